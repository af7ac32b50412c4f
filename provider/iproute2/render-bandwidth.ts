// libvirt's tc command lines for bandwidth (spec §5.2–§5.5), to the character, as argv.
import { createHash } from "node:crypto";
import type { Bandwidth, Rate } from "../resources/bandwidth/schema";

/** One tc invocation; `bestEffort` ones ignore their exit status, as libvirt does for every delete (spec §5.1). */
export interface TcCommand {
  argv: string[];
  bestEffort?: boolean;
}

const tc = (...argv: string[]): TcCommand => ({ argv: ["tc", ...argv] });
const tcDel = (...argv: string[]): TcCommand => ({ argv: ["tc", ...argv], bestEffort: true });

/** floor(average*1024/8/1500), at least 1, in exact integer arithmetic (averages reach 2^54). */
export function quantum(average: number | undefined): number {
  const q = (BigInt(average ?? 0) * 1024n) / 8n / 1500n;
  return q === 0n ? 1 : Number(q);
}

/** Ingress police burst: the given burst, else min(average, UINT_MAX/1024) KiB. */
export function policeBurst(r: Rate): number {
  return r.burst ?? Math.min(r.average ?? 0, 4194303);
}

export const kbps = (n: number): string => `${n}kbps`;

/** How a host lacking a feature gets the equivalent (design §4); the default is libvirt's exact commands. */
export interface TcCapabilities {
  /** Leaf qdisc under each HTB class: sfq as libvirt, or pfifo where the kernel has no sfq. */
  leaf: "sfq" | "pfifo";
  /** libvirt's fw filter is a no-op in effect (the HTB default class takes the traffic); skipped where the kernel lacks cls_fw. */
  fwFilter: boolean;
  /** Ingress policing for guest outbound (libvirt), or ifb + HTB where the kernel has no police action. */
  ingress: "police" | { ifb: string };
}

export const LIBVIRT_TC: TcCapabilities = { leaf: "sfq", fwFilter: true, ingress: "police" };

/** A stable ifb name per device for the police fallback, within IFNAMSIZ whatever the device's name. */
export function ifbNameFor(dev: string): string {
  return `vtifb${createHash("sha256").update(dev).digest("hex").slice(0, 8)}`;
}

function leaf(dev: string, parent: string, handle: string, caps: TcCapabilities): TcCommand {
  return caps.leaf === "sfq" ? tc("qdisc", "add", "dev", dev, "parent", parent, "handle", handle, "sfq", "perturb", "10") : tc("qdisc", "add", "dev", dev, "parent", parent, "handle", handle, "pfifo");
}

/** virNetDevBandwidthClear: both deletes, exit status ignored. */
export function renderBandwidthClear(dev: string): TcCommand[] {
  return [tcDel("qdisc", "del", "dev", dev, "root"), tcDel("qdisc", "del", "dev", dev, "ingress")];
}

/**
 * virNetDevBandwidthSet(dev, bw, hierarchical, swapped=true): inbound shaped by HTB on the device's egress,
 * outbound policed on its ingress. Nothing at all for an empty bandwidth (spec §5.3 cases 1 and 2).
 */
export function renderBandwidthSet(dev: string, bw: Bandwidth | undefined, hierarchical: boolean, caps: TcCapabilities = LIBVIRT_TC): TcCommand[] {
  if (!bw || (!bw.inbound && !bw.outbound)) return [];
  const out = renderBandwidthClear(dev);
  const tx = bw.inbound;
  if (tx?.average) {
    const q = String(quantum(tx.average));
    out.push(tc("qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", hierarchical ? "2" : "1"));
    if (hierarchical) {
      out.push(tc("class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", kbps(tx.average), "ceil", kbps(tx.peak ?? tx.average), "quantum", q));
    }
    out.push(
      tc(
        "class", "add", "dev", dev, "parent", hierarchical ? "1:1" : "1:", "classid", hierarchical ? "1:2" : "1:1", "htb", "rate", kbps(tx.average),
        ...(tx.peak !== undefined ? ["ceil", kbps(tx.peak)] : []),
        ...(tx.burst !== undefined ? ["burst", `${tx.burst}kb`] : []),
        "quantum", q,
      ),
    );
    out.push(leaf(dev, hierarchical ? "1:2" : "1:1", "2:", caps));
    if (caps.fwFilter) out.push(tc("filter", "add", "dev", dev, "parent", "1:0", "protocol", "all", "prio", "1", "handle", "1", "fw", "flowid", "1"));
  }
  const rx = bw.outbound;
  if (rx) out.push(...renderIngressLimit(dev, rx, caps));
  return out;
}

/** The outbound (guest to host) limit on the device's ingress: police, or the ifb fallback. */
export function renderIngressLimit(dev: string, rx: Rate, caps: TcCapabilities): TcCommand[] {
  const rate = kbps(rx.average ?? 0);
  const burst = `${policeBurst(rx)}kb`;
  if (caps.ingress === "police") {
    return [
      tc("qdisc", "add", "dev", dev, "ingress"),
      tc("filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0", "police", "rate", rate, "burst", burst, "mtu", "64kb", "drop", "flowid", ":1"),
    ];
  }
  // Without act_police: redirect the device's ingress to an ifb and shape it there with HTB at the same rate.
  const ifb = caps.ingress.ifb;
  return [
    // libvirt's clear covers the device only; the ifb's own shaping goes too, so a re-apply starts clean.
    tcDel("qdisc", "del", "dev", ifb, "root"),
    tc("qdisc", "add", "dev", dev, "ingress"),
    tc("filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb),
    tc("qdisc", "add", "dev", ifb, "root", "handle", "1:", "htb", "default", "1"),
    tc("class", "add", "dev", ifb, "parent", "1:", "classid", "1:1", "htb", "rate", rate, "burst", burst, "quantum", String(quantum(rx.average))),
    leaf(ifb, "1:1", "2:", caps),
  ];
}

/** An interface's inbound rates changed with its class kept (design §4: in-place updates use tc class change). */
export function renderInterfaceRateChange(dev: string, r: Rate): TcCommand {
  return tc(
    "class", "change", "dev", dev, "classid", "1:1", "htb", "rate", kbps(r.average!),
    ...(r.peak !== undefined ? ["ceil", kbps(r.peak)] : []),
    ...(r.burst !== undefined ? ["burst", `${r.burst}kb`] : []),
    "quantum", String(quantum(r.average)),
  );
}

/** Class and qdisc ids are hex; the u32 filter handle's node is 800+id written in decimal, which tc reads as hex. */
export function floorIds(id: number): { classId: string; qdisc: string; filterHandle: string } {
  return { classId: `1:${id.toString(16)}`, qdisc: `${id.toString(16)}:`, filterHandle: `800::${800 + id}` };
}

/** The u32 filter selecting frames to the guest MAC (Ethernet destination at -14..-9 from the IP header), IPv4 only. */
export function renderFloorFilter(bridge: string, guestMac: string, id: number): TcCommand {
  const hex = guestMac.replace(/:/g, "");
  const { classId, filterHandle } = floorIds(id);
  return tc(
    "filter", "add", "dev", bridge, "protocol", "ip", "prio", "2", "handle", filterHandle, "u32",
    "match", "u16", "0x0800", "0xffff", "at", "-2",
    "match", "u32", `0x${hex.slice(4)}`, "0xffffffff", "at", "-12",
    "match", "u16", `0x${hex.slice(0, 4)}`, "0xffff", "at", "-14",
    "flowid", classId,
  );
}

/** virNetDevBandwidthPlug: the guest's guaranteed class under the network's 1:1, its leaf, and its MAC filter. */
export function renderFloorPlug(bridge: string, network: Bandwidth, guestMac: string, guest: Rate, id: number, caps: TcCapabilities = LIBVIRT_TC): TcCommand[] {
  const net = network.inbound!;
  const { classId, qdisc } = floorIds(id);
  return [
    tc("class", "add", "dev", bridge, "parent", "1:1", "classid", classId, "htb", "rate", kbps(guest.floor!), "ceil", kbps(net.peak ?? net.average!), "quantum", String(quantum(guest.average))),
    leaf(bridge, classId, qdisc, caps),
    renderFloorFilter(bridge, guestMac, id),
  ];
}

/** virNetDevBandwidthUnplug: leaf, filter (by exact handle and prio, never 800::), class; exit status ignored. */
export function renderFloorUnplug(bridge: string, id: number): TcCommand[] {
  const { classId, qdisc, filterHandle } = floorIds(id);
  return [
    tcDel("qdisc", "del", "dev", bridge, "handle", qdisc),
    tcDel("filter", "del", "dev", bridge, "prio", "2", "handle", filterHandle, "u32"),
    tcDel("class", "del", "dev", bridge, "classid", classId),
  ];
}

/** virNetDevBandwidthUpdateFilter: a guest MAC change deletes that one filter and adds it back (spec §5.6). */
export function renderFloorFilterUpdate(bridge: string, newMac: string, id: number): TcCommand[] {
  return [tcDel("filter", "del", "dev", bridge, "prio", "2", "handle", floorIds(id).filterHandle, "u32"), renderFloorFilter(bridge, newMac, id)];
}

/** virNetDevBandwidthUpdateRate: class 1:2 (non-guaranteed traffic) gets what the floors leave of the network's peak or average. */
export function renderUnguaranteedRate(bridge: string, network: Bandwidth, floorSum: number): TcCommand {
  const net = network.inbound!;
  const limit = net.peak ?? net.average!;
  return tc("class", "change", "dev", bridge, "classid", "1:2", "htb", "rate", kbps(limit - floorSum), "ceil", kbps(limit), "quantum", String(quantum(net.average)));
}

/** networkUpdatePortBandwidth with both floors set: change the guest's class in place. */
export function renderFloorChange(bridge: string, network: Bandwidth, floor: number, id: number): TcCommand {
  const net = network.inbound!;
  return tc("class", "change", "dev", bridge, "classid", floorIds(id).classId, "htb", "rate", kbps(floor), "ceil", kbps(net.peak ?? net.average!), "quantum", String(quantum(net.average)));
}
