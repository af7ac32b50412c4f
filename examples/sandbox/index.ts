// Pulumi program for `pulumi up` against any Linux host: settings come from the stack's config.
import * as pulumi from "@pulumi/pulumi";
import * as virtnet from "pulumi-virtnet";
import { defineLab } from "./lab";
import { connectionFromConfig } from "../config-connection";

const config = new pulumi.Config();
const connection = connectionFromConfig(config);

const lab = defineLab(virtnet, connection, { bridgeName: config.get("bridge") ?? "virbr10" });
export const bridge = lab.bridge;
export const mac = lab.mac;
export const ips = lab.ips;
export const substitutions = lab.substitutions;
