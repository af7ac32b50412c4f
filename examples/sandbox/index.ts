// Pulumi program for `pulumi up` against any Linux host: settings come from the stack's config.
import * as pulumi from "@pulumi/pulumi";
import * as virtnet from "pulumi-virtnet";
import { defineLab } from "./lab";

const config = new pulumi.Config();
const connection: virtnet.ConnectionArgs = {
  host: config.require("host"),
  port: config.getNumber("port") ?? 22,
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("sshKey"),
  hostKey: config.require("hostKey"),
  sudo: config.getBoolean("sudo") ?? false,
};

const lab = defineLab(virtnet, connection, { bridgeName: config.get("bridge") ?? "virbr10" });
export const bridge = lab.bridge;
export const mac = lab.mac;
export const ips = lab.ips;
export const substitutions = lab.substitutions;
