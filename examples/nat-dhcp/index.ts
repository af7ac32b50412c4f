// Pulumi program for the NAT+DHCP example against any Linux host (same config keys as examples/sandbox).
import * as virtnet from "pulumi-virtnet";
import { connectionFromConfig } from "../config-connection";
import { defineNatDhcp } from "./nat-dhcp";

const lab = defineNatDhcp(virtnet, connectionFromConfig());
export const bridge = lab.bridge;
export const leases = lab.dhcpLeases;
