// Route domain model: a <route> reduced to what the kernel holds, and matching against observed routes.
import { effectivePrefix, networkAddress, normalizeAddress, type IpFamily } from "../../net/ip-address";
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import type { RouteInputs } from "./schema";
import type { Known } from "../../known";
import { ROUTE_PROTOCOL } from "../../net/owner-alias";

export interface DesiredRoute {
  family: IpFamily;
  /** Network address of the destination (host bits clear). */
  address: string;
  prefix: number;
  gateway: string;
  metric: number;
}

/** virNetDevIPRouteGetPrefix / GetMetric: the prefix the kernel gets, and metric 1 when absent (docs/libvirt-behaviour.md §2.2). */
export function desiredRoute(r: Known<RouteInputs>): DesiredRoute {
  return {
    family: r.family ?? "ipv4",
    address: normalizeAddress(r.address),
    prefix: effectivePrefix(r.address, r.prefix, r.netmask)!,
    gateway: normalizeAddress(r.gateway),
    metric: r.metric,
  };
}

/** The kernel's identity of a route in the main table: family, destination, metric. */
export function routeKey(r: { family: IpFamily; address: string; prefix: number; metric: number }): string {
  return `${destinationText(r)} metric ${r.metric}`;
}

export function destinationText(r: { family: IpFamily; address: string; prefix: number }): string {
  return r.prefix === 0 ? `default (${r.family})` : `${r.address}/${r.prefix}`;
}

export function sameDestination(a: { family: IpFamily; address: string; prefix: number }, b: { family: IpFamily; address: string; prefix: number }): boolean {
  return a.family === b.family && a.prefix === b.prefix && networkAddress(a.address, a.prefix) === networkAddress(b.address, b.prefix);
}

/** virtnet's own routes carry its protocol number; state from before it may have written `proto static`. */
export function isVirtnetRoute(o: ObservedRoute, legacy = false): boolean {
  return o.protocol === String(ROUTE_PROTOCOL) || (legacy && o.protocol === "static");
}

/** A route as `ip route` prints it, to name an existing route in an error. */
export function describeObservedRoute(r: ObservedRoute): string {
  const dst = r.prefix === 0 ? "default" : `${r.address}/${r.prefix}`;
  const type = r.type !== "unicast" ? r.type : undefined;
  const via = r.nexthops ? `${r.nexthops} nexthops` : r.gateway && `via ${r.gateway}`;
  return [type, dst, via, r.dev && `dev ${r.dev}`, r.protocol && `proto ${r.protocol}`, `metric ${r.metric}`].filter(Boolean).join(" ");
}

/** A desired route in the user's form when the kernel agrees with it, else as observed (preserve intent). */
export function routeOutputs<T extends Known<RouteInputs>>(previous: T, observed: ObservedRoute): T {
  const out: T = { ...previous };
  out.gateway = observed.gateway === normalizeAddress(previous.gateway) ? previous.gateway : (observed.gateway ?? "");
  out.metric = observed.metric;
  return out;
}
