// libvirt's traffic-control sequences as operations (docs/libvirt-behaviour.md §5.2–§5.6): which qdiscs, classes and
// filters virNetDevBandwidthSet, Clear, Plug, Unplug, UpdateFilter and UpdateRate write, in their order. The command
// syntax is provider/iproute2/render-tc.ts's; the golden tests render these to libvirt's exact lines.
import type { Bandwidth, Rate } from "../../net/bandwidth";
import type { Operation } from "../../net/operation";
import { floorIds, LIBVIRT_TC, policeBurst, quantum, type HtbClassSpec, type TcCapabilities } from "../../net/tc";

/** What a clear takes away, so that a failed change can put it back exactly. */
export interface ClearedTc {
  root?: Operation[];
  ingress?: Operation[];
  /** The ifb's own shaping, for the police fallback. */
  ifb?: Operation[];
}

function leaf(dev: string, parent: string, handle: string, caps: TcCapabilities): Operation {
  return { op: "qdiscAdd", dev, qdisc: { kind: caps.leaf, parent, handle } };
}

/** virNetDevBandwidthClear: both qdiscs go (exit status ignored). */
export function bandwidthClear(dev: string, cleared: ClearedTc = {}): Operation[] {
  return [
    { op: "qdiscDel", dev, target: "root", restore: cleared.root },
    { op: "qdiscDel", dev, target: "ingress", restore: cleared.ingress },
  ];
}

/** The inbound half of virNetDevBandwidthSet: HTB on the device's egress. */
export function inboundShaping(dev: string, tx: Rate & { average: number }, hierarchical: boolean, caps: TcCapabilities): Operation[] {
  const q = quantum(tx.average);
  const ops: Operation[] = [{ op: "qdiscAdd", dev, qdisc: { kind: "htb", handle: "1:", defaultClass: hierarchical ? "2" : "1" } }];
  if (hierarchical) ops.push({ op: "classAdd", dev, cls: { parent: "1:", classId: "1:1", rateKbps: tx.average, ceilKbps: tx.peak ?? tx.average, quantum: q } });
  const cls = shapedClass(tx, hierarchical);
  ops.push({ op: "classAdd", dev, cls }, leaf(dev, cls.classId, "2:", caps));
  if (caps.fwFilter) ops.push({ op: "filterAdd", dev, filter: { kind: "fw" } });
  return ops;
}

/** The class that carries the rate: 1:1 on an interface, 1:2 (unguaranteed traffic) under a network's 1:1. */
export function shapedClass(tx: Rate & { average: number }, hierarchical: boolean): HtbClassSpec {
  const cls: HtbClassSpec = { parent: hierarchical ? "1:1" : "1:", classId: hierarchical ? "1:2" : "1:1", rateKbps: tx.average, quantum: quantum(tx.average) };
  if (tx.peak !== undefined) cls.ceilKbps = tx.peak;
  if (tx.burst !== undefined) cls.burstKb = tx.burst;
  return cls;
}

/**
 * virNetDevBandwidthSet(dev, bw, hierarchical, swapped=true): inbound shaped by HTB on the device's egress, outbound
 * limited on its ingress. Nothing at all for an empty bandwidth (docs/libvirt-behaviour.md §5.3 cases 1 and 2).
 */
export function bandwidthSet(dev: string, bw: Bandwidth | undefined, hierarchical: boolean, caps: TcCapabilities = LIBVIRT_TC, cleared: ClearedTc = {}): Operation[] {
  if (!bw || (!bw.inbound && !bw.outbound)) return [];
  const ops = bandwidthClear(dev, cleared);
  const tx = bw.inbound;
  if (tx?.average) ops.push(...inboundShaping(dev, { ...tx, average: tx.average }, hierarchical, caps));
  if (bw.outbound) ops.push(...ingressLimit(dev, bw.outbound, caps, cleared.ifb));
  return ops;
}

/** The outbound (guest to host) limit on the device's ingress: police, or the ifb fallback. */
export function ingressLimit(dev: string, rx: Rate, caps: TcCapabilities, ifbRestore?: Operation[]): Operation[] {
  const rateKbps = rx.average ?? 0;
  const burstKb = policeBurst(rx);
  if (caps.ingress === "police") {
    return [
      { op: "qdiscAdd", dev, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev, filter: { kind: "police", rateKbps, burstKb } },
    ];
  }
  // Without act_police: redirect the device's ingress to an ifb and shape it there with HTB at the same rate.
  const ifb = caps.ingress.ifb;
  return [
    // libvirt's clear covers the device only; the ifb's own shaping goes too, so a re-apply starts clean.
    { op: "qdiscDel", dev: ifb, target: "root", restore: ifbRestore },
    { op: "qdiscAdd", dev, qdisc: { kind: "ingress" } },
    { op: "filterAdd", dev, filter: { kind: "redirect", to: ifb } },
    { op: "qdiscAdd", dev: ifb, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
    { op: "classAdd", dev: ifb, cls: { parent: "1:", classId: "1:1", rateKbps, burstKb, quantum: quantum(rx.average) } },
    leaf(ifb, "1:1", "2:", caps),
  ];
}

/** An interface's inbound class 1:1 with new rates (in-place updates use tc class change: docs/architecture.md §4). */
export function interfaceRateClass(r: Rate): HtbClassSpec {
  const cls: HtbClassSpec = { parent: "1:", classId: "1:1", rateKbps: r.average!, quantum: quantum(r.average) };
  if (r.peak !== undefined) cls.ceilKbps = r.peak;
  if (r.burst !== undefined) cls.burstKb = r.burst;
  return cls;
}

/** virNetDevBandwidthPlug: the guest's guaranteed class under the network's 1:1, its leaf, and its MAC filter. */
export function floorPlug(bridge: string, network: Bandwidth, guestMac: string, guest: Rate, id: number, caps: TcCapabilities = LIBVIRT_TC): Operation[] {
  const net = network.inbound!;
  const { classId, qdisc } = floorIds(id);
  return [
    { op: "classAdd", dev: bridge, cls: { parent: "1:1", classId, rateKbps: guest.floor!, ceilKbps: net.peak ?? net.average!, quantum: quantum(guest.average) } },
    leaf(bridge, classId, qdisc, caps),
    { op: "filterAdd", dev: bridge, filter: { kind: "floorMac", id, mac: guestMac } },
  ];
}

/** virNetDevBandwidthUnplug: leaf, filter (by exact handle and prio, never 800::), class; exit status ignored. */
export function floorUnplug(bridge: string, id: number): Operation[] {
  const { classId, qdisc } = floorIds(id);
  return [
    { op: "qdiscDel", dev: bridge, target: { handle: qdisc } },
    { op: "filterDelFloor", dev: bridge, id },
    { op: "classDel", dev: bridge, classId },
  ];
}

/** virNetDevBandwidthUpdateFilter: a guest MAC change deletes that one filter and adds it back (docs/libvirt-behaviour.md §5.6). */
export function floorFilterUpdate(bridge: string, newMac: string, id: number, oldMac?: string): Operation[] {
  return [
    { op: "filterDelFloor", dev: bridge, id, from: oldMac ? { kind: "floorMac", id, mac: oldMac } : undefined },
    { op: "filterAdd", dev: bridge, filter: { kind: "floorMac", id, mac: newMac } },
  ];
}

/** virNetDevBandwidthUpdateRate: class 1:2 (non-guaranteed traffic) gets what the floors leave of the peak or average. */
export function unguaranteedClass(network: Bandwidth, floorSum: number): HtbClassSpec {
  const net = network.inbound!;
  const limit = net.peak ?? net.average!;
  return { parent: "1:1", classId: "1:2", rateKbps: limit - floorSum, ceilKbps: limit, quantum: quantum(net.average) };
}

/** networkUpdatePortBandwidth with both floors set: the guest's class with a new floor. */
export function floorClass(network: Bandwidth, floor: number, id: number): HtbClassSpec {
  const net = network.inbound!;
  return { parent: "1:1", classId: floorIds(id).classId, rateKbps: floor, ceilKbps: net.peak ?? net.average!, quantum: quantum(net.average) };
}
