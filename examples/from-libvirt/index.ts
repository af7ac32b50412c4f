// Pulumi program: adopt a libvirt network definition (routed.xml) on any Linux host (same config as examples/sandbox).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as virtnet from "pulumi-virtnet";
import { connectionFromConfig } from "../config-connection";
import { defineFromLibvirt } from "./migrate";

const lab = defineFromLibvirt(
  virtnet,
  connectionFromConfig(),
  readFileSync(join(__dirname, "routed.xml"), "utf8"),
);
export const libvirtXml = lab.libvirtXml;
export const tap = lab.tap;
