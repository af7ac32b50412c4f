// The example network: a libvirt-style lab bridge with IPv4 and IPv6, as the README shows it.
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export interface LabOptions {
  bridgeName?: string;
  mtu?: number;
  stp?: boolean;
  delay?: number;
  macTableManager?: "kernel" | "libvirt";
  ips?: virtnet.IpArgs[];
}

export const DEFAULT_LAB: Required<LabOptions> = {
  bridgeName: "virbr10",
  mtu: 9000,
  stp: true,
  delay: 0,
  macTableManager: "kernel",
  ips: [
    { address: "192.168.100.1", prefix: 24 },
    { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" },
  ],
};

/** Declares the lab network on the host the connection names; returns what the stack exports. */
export function defineLab(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, options: LabOptions = {}) {
  const o = { ...DEFAULT_LAB, ...options };
  const lab = new sdk.Network("lab", {
    connection,
    bridge: { name: o.bridgeName, stp: o.stp, delay: o.delay, macTableManager: o.macTableManager },
    mtu: o.mtu,
    ips: o.ips,
  });
  return { bridge: lab.bridge, mac: lab.mac, ips: lab.ips, substitutions: lab.substitutions };
}
