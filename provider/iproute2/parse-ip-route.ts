// Parses `ip -j -d route show table main` (either family) strictly about the fields virtnet uses.
import { z } from "zod";
import { parseJsonOutput } from "./parse-json";
import { normalizeAddress, type IpFamily } from "../net/ip-address";

const route = z.object({
  type: z.string().optional(),
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  protocol: z.string().optional(),
  metric: z.number().int().optional(),
  nexthops: z.array(z.object({ gateway: z.string().optional(), dev: z.string().optional() })).optional(),
});

export interface ObservedRoute {
  family: IpFamily;
  address: string;
  prefix: number;
  gateway?: string;
  /** The device; "" for routes with none (blackhole, unreachable, prohibit) and for multipath routes. */
  dev: string;
  protocol?: string;
  metric: number;
  /** unicast, blackhole, unreachable, prohibit, …; multipath routes are unicast with `nexthops`. */
  type: string;
  nexthops?: number;
}

export function parseIpRoute(json: string, family: IpFamily): ObservedRoute[] {
  const routes = parseJsonOutput(json, z.array(route), "ip -j route show");
  const hostPrefix = family === "ipv4" ? 32 : 128;
  return routes.map((r): ObservedRoute => {
    // Routes without a device (blackhole, unreachable, multipath) are never virtnet's, but they still take a
    // destination: collisions must see them.
    const [address, prefix] = r.dst === "default" ? [family === "ipv4" ? "0.0.0.0" : "::", "0"] : r.dst.split("/");
    return {
      family,
      address: normalizeAddress(address),
      prefix: prefix === undefined ? hostPrefix : Number(prefix),
      gateway: r.gateway === undefined ? undefined : normalizeAddress(r.gateway),
      dev: r.dev ?? "",
      protocol: r.protocol,
      // IPv4 routes of metric 0 print no metric.
      metric: r.metric ?? 0,
      type: r.type ?? "unicast",
      ...(r.nexthops ? { nexthops: r.nexthops.length } : {}),
    };
  });
}
