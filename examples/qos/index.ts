// Pulumi program for the QoS example against any Linux host (same config keys as examples/sandbox).
import * as pulumi from "@pulumi/pulumi";
import * as virtnet from "pulumi-virtnet";
import { defineQos } from "./qos";

const config = new pulumi.Config();
const lab = defineQos(virtnet, {
  host: config.require("host"),
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("sshKey"),
  hostKey: config.require("hostKey"),
  sudo: config.getBoolean("sudo") ?? false,
});
export const bridge = lab.bridge;
export const webFloorClass = lab.webFloorClass;
export const substitutions = lab.substitutions;
