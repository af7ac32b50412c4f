// libvirt's bandwidth rules (virNetDevBandwidthParseRate, networkCheckBandwidth; docs/libvirt-behaviour.md §1.7, §5.5).
import type { CheckFailure } from "../../schema/check-failures";
import { containsUnknown, isUnknown, type Unknown } from "../../unknown";
import type { Bandwidth, BandwidthInputs, RateInputs } from "./schema";

/** Where the bandwidth sits decides whether a floor is allowed: only a guest interface's inbound. */
export type BandwidthOwner = "network" | "interface";

function rateFailures(r: RateInputs, direction: "inbound" | "outbound", owner: BandwidthOwner, path: string): CheckFailure[] {
  if (containsUnknown(r)) return [];
  if (r.average === undefined && r.floor === undefined) return [{ property: path, reason: "Missing mandatory average or floor attributes" }];
  if ((r.peak !== undefined || r.burst !== undefined) && r.average === undefined) return [{ property: path, reason: "'peak' and 'burst' require 'average' attribute" }];
  if (r.floor !== undefined && (direction === "outbound" || owner === "network")) {
    const where = owner === "network" ? "on a network's bandwidth" : "on outbound traffic";
    return [{ property: `${path}.floor`, reason: `floor attribute is not supported for this config: floor is only for a guest interface's inbound traffic, not ${where}` }];
  }
  if (r.peak !== undefined && r.average !== undefined && (r.peak as number) < (r.average as number)) {
    return [{ property: `${path}.peak`, reason: `peak (${r.peak} KB/s) must not be below average (${r.average} KB/s)` }];
  }
  return [];
}

export function bandwidthFailures(b: BandwidthInputs | Unknown | undefined, owner: BandwidthOwner, path = "bandwidth"): CheckFailure[] {
  if (b === undefined || isUnknown(b)) return [];
  return (["inbound", "outbound"] as const).flatMap((d) => {
    const r = b[d];
    return r === undefined || isUnknown(r) ? [] : rateFailures(r, d, owner, `${path}.${d}`);
  });
}

/** The network's inbound peak, or its average: what the floors of its guests may add up to (docs/libvirt-behaviour.md §5.5). */
export function floorLimit(network: Bandwidth | undefined): number | undefined {
  return network?.inbound?.peak ?? network?.inbound?.average;
}

/**
 * networkCheckBandwidth: a floor needs a network with inbound QoS, and all floors together must not overcommit
 * its peak (or average). `otherFloors` are the floors already plugged into the network's bridge.
 */
export function floorProblem(floor: number | undefined, network: Bandwidth | undefined, otherFloors: number, what: string): string | undefined {
  if (floor === undefined) return undefined;
  const limit = floorLimit(network);
  if (limit === undefined) return `Invalid use of 'floor' on ${what}: its network has no inbound QoS set (give the Network bandwidth.inbound)`;
  const total = otherFloors + floor;
  const which = network?.inbound?.peak !== undefined ? "peak" : "average";
  if (total > limit) return `Cannot plug ${what} because new combined inbound floor=${total} would overcommit ${which}=${limit} on its network`;
  // libvirt accepts floors adding up to exactly the limit, then fails: class 1:2 would get rate 0, which tc refuses.
  if (total === limit) {
    return `Cannot plug ${what} because new combined inbound floor=${total} would leave nothing of ${which}=${limit} for the network's unguaranteed traffic; floors must add up to less than the network's ${which}`;
  }
  return undefined;
}
