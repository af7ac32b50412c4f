// Pulumi program for the routed example against any Linux host (same config keys as examples/sandbox).
import * as pulumi from "@pulumi/pulumi";
import * as virtnet from "pulumi-virtnet";
import { defineRoutedLab } from "./routed";

const config = new pulumi.Config();
const lab = defineRoutedLab(virtnet, {
  host: config.require("host"),
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("sshKey"),
  hostKey: config.require("hostKey"),
  sudo: config.getBoolean("sudo") ?? false,
});
export const bridge = lab.bridge;
export const routes = lab.routes;
