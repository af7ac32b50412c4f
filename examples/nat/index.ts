// Pulumi program for the NAT example against any Linux host (same config keys as examples/sandbox).
import * as virtnet from "pulumi-virtnet";
import { connectionFromConfig } from "../config-connection";
import { defineNat } from "./nat";

const lab = defineNat(virtnet, connectionFromConfig());
export const bridge = lab.bridge;
export const tap = lab.tap;
export const libvirtXml = lab.libvirtXml;
export const substitutions = lab.substitutions;
