// Parses `ip -j -d addr show` into links with their bridge attributes and addresses; strict about what it uses.
import { z } from "zod";
import { parseJsonOutput } from "./parse-json";
import type { IpFamily } from "../net/ip-address";

const addrInfo = z.object({
  family: z.string(),
  local: z.string().optional(),
  prefixlen: z.number().int().optional(),
  scope: z.string().optional(),
});

const bridgeInfo = z.object({
  forward_delay: z.number(),
  stp_state: z.number(),
  vlan_filtering: z.number().optional(),
});

const link = z.object({
  ifindex: z.number().int(),
  ifname: z.string(),
  flags: z.array(z.string()),
  mtu: z.number().int(),
  address: z.string().optional(),
  ifalias: z.string().optional(),
  master: z.string().optional(),
  linkinfo: z
    .object({
      info_kind: z.string().optional(),
      info_data: z.unknown().optional(),
      info_slave_kind: z.string().optional(),
      info_slave_data: z.unknown().optional(),
    })
    .optional(),
  addr_info: z.array(addrInfo).default([]),
});

export interface ObservedAddress {
  family: IpFamily;
  address: string;
  prefix: number;
  scope: string;
}

export interface ObservedBridge {
  forwardDelayCentiseconds: number;
  stpOn: boolean;
  /** undefined when the kernel has no bridge vlan_filtering (docs/architecture.md §4). */
  vlanFiltering?: boolean;
}

const bridgePortInfo = z.object({ learning: z.boolean(), flood: z.boolean(), isolated: z.boolean().optional() });

/** A bridge port's flags (`bridge link` settings). */
export interface ObservedPort {
  learning: boolean;
  flood: boolean;
  isolated: boolean;
}

export interface ObservedLink {
  index: number;
  name: string;
  kind?: string;
  up: boolean;
  mtu: number;
  mac?: string;
  alias?: string;
  master?: string;
  bridge?: ObservedBridge;
  /** Set when the link is a port of a bridge. */
  port?: ObservedPort;
  addresses: ObservedAddress[];
}

export function parseIpAddr(json: string): ObservedLink[] {
  return parseJsonOutput(json, z.array(link), "ip -j -d addr show").map((l) => {
    const kind = l.linkinfo?.info_kind;
    let bridge: ObservedBridge | undefined;
    if (kind === "bridge") {
      const info = bridgeInfo.safeParse(l.linkinfo?.info_data);
      if (!info.success) throw new Error(`'ip -j -d addr show' gave bridge ${l.ifname} without forward_delay/stp_state`);
      bridge = {
        forwardDelayCentiseconds: info.data.forward_delay,
        // stp_state 2 is user-space STP: still on.
        stpOn: info.data.stp_state !== 0,
        vlanFiltering: info.data.vlan_filtering === undefined ? undefined : info.data.vlan_filtering === 1,
      };
    }
    let port: ObservedPort | undefined;
    if (l.linkinfo?.info_slave_kind === "bridge") {
      const info = bridgePortInfo.safeParse(l.linkinfo.info_slave_data);
      if (!info.success) throw new Error(`'ip -j -d addr show' gave bridge port ${l.ifname} without learning/flood`);
      port = { learning: info.data.learning, flood: info.data.flood, isolated: info.data.isolated ?? false };
    }
    return {
      index: l.ifindex,
      name: l.ifname,
      kind,
      up: l.flags.includes("UP"),
      mtu: l.mtu,
      mac: l.address,
      alias: l.ifalias,
      master: l.master,
      bridge,
      port,
      addresses: l.addr_info.flatMap((a): ObservedAddress[] => {
        if ((a.family !== "inet" && a.family !== "inet6") || a.local === undefined || a.prefixlen === undefined) return [];
        return [{ family: a.family === "inet" ? "ipv4" : "ipv6", address: a.local, prefix: a.prefixlen, scope: a.scope ?? "global" }];
      }),
    };
  });
}
