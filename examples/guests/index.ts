// Pulumi program for the guests example against any Linux host (same config keys as examples/sandbox).
import * as virtnet from "pulumi-virtnet";
import { connectionFromConfig } from "../config-connection";
import { defineGuests } from "./guests";

const lab = defineGuests(virtnet, connectionFromConfig());
export const bridge = lab.bridge;
export const webTap = lab.webTap;
export const dbTap = lab.dbTap;
export const substitutions = lab.substitutions;
