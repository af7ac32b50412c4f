// Pulumi program for the QoS example against any Linux host (same config keys as examples/sandbox).
import * as virtnet from "pulumi-virtnet";
import { connectionFromConfig } from "../config-connection";
import { defineQos } from "./qos";

const lab = defineQos(virtnet, connectionFromConfig());
export const bridge = lab.bridge;
export const webFloorClass = lab.webFloorClass;
export const substitutions = lab.substitutions;
