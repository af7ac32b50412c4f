// Pulumi program for the routed example against any Linux host (same config keys as examples/sandbox).
import * as virtnet from "pulumi-virtnet";
import { connectionFromConfig } from "../config-connection";
import { defineRoutedLab } from "./routed";

const lab = defineRoutedLab(virtnet, connectionFromConfig());
export const bridge = lab.bridge;
export const routes = lab.routes;
