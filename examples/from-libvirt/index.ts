// Pulumi program: adopt a libvirt network definition (routed.xml) on any Linux host (same config as examples/sandbox).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as virtnet from "pulumi-virtnet";
import { defineFromLibvirt } from "./migrate";

const config = new pulumi.Config();
const lab = defineFromLibvirt(
  virtnet,
  { host: config.require("host"), privateKey: config.requireSecret("sshKey"), hostKey: config.require("hostKey") },
  readFileSync(join(__dirname, "routed.xml"), "utf8"),
);
export const libvirtXml = lab.libvirtXml;
export const tap = lab.tap;
