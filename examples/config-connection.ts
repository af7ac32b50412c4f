// The connection every example program reads from its stack's config (see README, "Quick start").
import * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export function connectionFromConfig(config = new pulumi.Config()): virtnet.ConnectionArgs {
  return {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    user: config.get("user") ?? "root",
    privateKey: config.requireSecret("sshKey"),
    hostKey: config.require("hostKey"),
    sudo: config.getBoolean("sudo") ?? false,
  };
}
