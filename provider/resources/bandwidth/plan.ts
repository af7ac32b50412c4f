// Bandwidth planner: libvirt's set/clear with what they replace recorded for rollback, the ifb the police fallback
// needs, and in-place class changes for a network whose bridge holds guests' floors (docs/libvirt-behaviour.md §5).
import type { Bandwidth } from "../../net/bandwidth";
import type { Operation } from "../../net/operation";
import { isVirtnetAlias } from "../../net/owner-alias";
import { classSpecOf, ifbNameFor, kbpsOfBits, quantum, type DeviceTc, type HtbClassSpec, type TcCapabilities } from "../../net/tc";
import type { HostSnapshot } from "../../host/snapshot";
import { bandwidthSet, bandwidthClear, floorClass, inboundShaping, ingressLimit, unguaranteedClass, type ClearedTc } from "./libvirt-tc";
import { observedBandwidth } from "./observe";

/** A device's tc as observed, with how to render for this host. */
export interface ObservedDeviceTc {
  own: DeviceTc;
  ifb?: DeviceTc;
  ifbName?: string;
  ifbExists: boolean;
  caps: TcCapabilities;
}

/** The ifb of the police fallback, marked with the alias of the device it serves. */
function ifbCreate(caps: TcCapabilities, bw: Bandwidth | undefined, ifbExists: boolean, alias: string): Operation[] {
  if (typeof caps.ingress === "string" || !bw?.outbound || ifbExists) return [];
  const name = caps.ingress.ifb;
  return [{ op: "ifbAdd", name }, { op: "linkSetAlias", name, alias }, { op: "linkSetUp", name }];
}

/**
 * What libvirt's clear would take from a device virtnet shaped, as the operations that put it back: the same set
 * re-derived from the observed rates, so a failed change leaves the previous tc state exactly.
 */
export function clearedTc(dev: string, tc: ObservedDeviceTc | undefined, hierarchical: boolean): ClearedTc {
  if (!tc) return {};
  const before = observedBandwidth(tc.own, tc.ifb, hierarchical);
  const cleared: ClearedTc = {};
  if (before.inbound?.average !== undefined) cleared.root = inboundShaping(dev, { ...before.inbound, average: before.inbound.average }, hierarchical, tc.caps);
  if (before.outbound) {
    const limit = ingressLimit(dev, before.outbound, tc.caps).filter((o) => o.op !== "qdiscDel");
    cleared.ingress = limit.filter((o) => "dev" in o && o.dev === dev);
    const ifb = limit.filter((o) => "dev" in o && o.dev !== dev);
    if (ifb.length > 0) cleared.ifb = ifb;
  }
  return cleared;
}

/** virNetDevBandwidthSet, preceded by the ifb it needs where the kernel has no police action. */
export function planBandwidthSet(dev: string, bw: Bandwidth | undefined, hierarchical: boolean, caps: TcCapabilities, alias: string, observed?: ObservedDeviceTc): Operation[] {
  const set = bandwidthSet(dev, bw, hierarchical, caps, clearedTc(dev, observed, hierarchical));
  return set.length === 0 ? [] : [...ifbCreate(caps, bw, observed?.ifbExists ?? false, alias), ...set];
}

/** Removing bandwidth: both qdiscs go, and the fallback's ifb with them. */
export function planBandwidthClear(dev: string, observed: ObservedDeviceTc, hierarchical: boolean): Operation[] {
  const ifb = observed.ifbExists ? observed.ifbName : undefined;
  return [...bandwidthClear(dev, clearedTc(dev, observed, hierarchical)), ...(ifb ? [{ op: "linkDel" as const, name: ifb }] : [])];
}

/** Guests' floor classes on a network's bridge: 1:3 and up, under 1:1. */
export function floorClasses(tc: DeviceTc): { id: number; floor: number }[] {
  return tc.classes
    .filter((c) => c.parent === "1:1" && /^1:[0-9a-f]+$/.test(c.classId))
    .map((c) => ({ id: parseInt(c.classId.slice(2), 16), floor: kbpsOfBits(c.rateBits) }))
    .filter((c) => c.id >= 3);
}

/** `tc class change` to `cls`, recording the observed class it replaces. */
export function classChange(dev: string, cls: HtbClassSpec, observed: DeviceTc): Operation {
  const before = observed.classes.find((c) => c.classId === cls.classId);
  return { op: "classChange", dev, cls, from: before ? classSpecOf(before, cls.quantum) : undefined };
}

/**
 * A network whose bridge holds guests' floors cannot be cleared and set again (the floors would go): its inbound
 * rates change in place with `tc class change` (1:1, 1:2 and each floor's ceiling), its outbound limit is re-made.
 */
export function planNetworkRateChange(bridge: string, bw: Bandwidth, floors: { id: number; floor: number }[], observed: ObservedDeviceTc): Operation[] {
  const net = bw.inbound!;
  const floorSum = floors.reduce((sum, f) => sum + f.floor, 0);
  const q = quantum(net.average);
  const unguaranteed: HtbClassSpec =
    floorSum > 0 ? unguaranteedClass(bw, floorSum) : { parent: "1:1", classId: "1:2", rateKbps: net.average!, ...(net.peak ? { ceilKbps: net.peak } : {}), ...(net.burst ? { burstKb: net.burst } : {}), quantum: q };
  const cleared = clearedTc(bridge, observed, true);
  return [
    classChange(bridge, { parent: "1:", classId: "1:1", rateKbps: net.average!, ceilKbps: net.peak ?? net.average!, quantum: q }, observed.own),
    classChange(bridge, unguaranteed, observed.own),
    ...floors.map((f) => classChange(bridge, floorClass(bw, f.floor, f.id), observed.own)),
    { op: "qdiscDel", dev: bridge, target: "ingress", restore: cleared.ingress },
    ...(bw.outbound ? ingressLimit(bridge, bw.outbound, observed.caps, cleared.ifb) : []),
  ];
}

/** The ifb a kernel without act_police needed for a device's outbound limit goes with the device. */
export function planIfbCleanup(snapshot: HostSnapshot, dev: string): Operation[] {
  const ifb = ifbNameFor(dev);
  return isVirtnetAlias(snapshot.link(ifb)?.alias) ? [{ op: "linkDel", name: ifb }] : [];
}
