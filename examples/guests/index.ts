// Pulumi program for the guests example against any Linux host (same config keys as examples/sandbox).
import * as pulumi from "@pulumi/pulumi";
import * as virtnet from "pulumi-virtnet";
import { defineGuests } from "./guests";

const config = new pulumi.Config();
const lab = defineGuests(virtnet, {
  host: config.require("host"),
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("sshKey"),
  hostKey: config.require("hostKey"),
  sudo: config.getBoolean("sudo") ?? false,
});
export const bridge = lab.bridge;
export const webTap = lab.webTap;
export const dbTap = lab.dbTap;
export const substitutions = lab.substitutions;
