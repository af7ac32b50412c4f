// Traffic control as virtnet's domain sees it: what tc reports for a device, and the qdiscs, HTB classes and filters
// virtnet writes (modelled as netlink models Qdisc/Class/Filter). Neutral: planners, parsers and renderers share it.
import { createHash } from "node:crypto";

/** A qdisc as tc reports it; `defaultClass` is htb's `default` (hex in tc's JSON). */
export interface TcQdisc {
  kind: string;
  handle: string;
  parent?: string;
  defaultClass?: string;
}

/** An HTB class as `tc -d class show` reports it. */
export interface TcClass {
  classId: string;
  parent?: string;
  rateBits: number;
  ceilBits: number;
  burstBytes: number;
  quantum?: number;
}

export interface TcU32Match {
  value: string;
  mask: string;
  offset: number;
}

export interface TcFilter {
  /** The u32 handle, e.g. 800::803. */
  handle: string;
  pref: number;
  flowid?: string;
  matches: TcU32Match[];
  police?: { rateBits: number; burstBytes: number };
  redirectTo?: string;
}

/** A device's qdiscs, HTB classes and u32 filters (egress and ingress), as observed. */
export interface DeviceTc {
  qdiscs: TcQdisc[];
  classes: TcClass[];
  filters: TcFilter[];
  ingressFilters: TcFilter[];
}

export const NO_TC: DeviceTc = { qdiscs: [], classes: [], filters: [], ingressFilters: [] };

/** A qdisc virtnet writes: the HTB root, a leaf under a class, or the ingress qdisc. */
export type QdiscSpec =
  | { kind: "htb"; handle: string; defaultClass: string }
  | { kind: "sfq" | "pfifo"; parent: string; handle: string }
  | { kind: "ingress" };

/** An HTB class with libvirt's parameters, rates in KB/s and burst in KB. */
export interface HtbClassSpec {
  parent: string;
  classId: string;
  rateKbps: number;
  ceilKbps?: number;
  burstKb?: number;
  quantum: number;
}

/** The filters virtnet writes (docs/libvirt-behaviour.md §5.3, §5.5). */
export type FilterSpec =
  /** libvirt's `fw` filter on the HTB root (prio 1 handle 1 flowid 1). */
  | { kind: "fw" }
  /** Outbound limit on the ingress qdisc, with the police action. */
  | { kind: "police"; rateKbps: number; burstKb: number }
  /** Outbound limit without act_police: the ingress is redirected to an ifb that shapes it. */
  | { kind: "redirect"; to: string }
  /** A guest's floor: frames to its MAC go to its class (u32, prio 2, handle 800::800+id). */
  | { kind: "floorMac"; id: number; mac: string };

/** How a host lacking a feature gets the equivalent (docs/architecture.md §4); the default is libvirt's exact commands. */
export interface TcCapabilities {
  /** Leaf qdisc under each HTB class: sfq as libvirt, or pfifo where the kernel has no sfq. */
  leaf: "sfq" | "pfifo";
  /** libvirt's fw filter is a no-op in effect (the HTB default class takes the traffic); skipped without cls_fw. */
  fwFilter: boolean;
  /** Ingress policing for guest outbound (libvirt), or ifb + HTB where the kernel has no police action. */
  ingress: "police" | { ifb: string };
}

export const LIBVIRT_TC: TcCapabilities = { leaf: "sfq", fwFilter: true, ingress: "police" };

/** Which tc features a host's kernel has (probed once per connection). */
export interface TcFeatures {
  sfq: boolean;
  fw: boolean;
  police: boolean;
  ifb: boolean;
}

/** libvirt's commands where the kernel has what they need, the documented equivalents elsewhere. */
export function tcCapabilitiesFor(f: TcFeatures, dev: string): TcCapabilities {
  if (f.sfq && f.fw && f.police) return LIBVIRT_TC;
  return { leaf: f.sfq ? "sfq" : "pfifo", fwFilter: f.fw, ingress: f.police ? "police" : { ifb: ifbNameFor(dev) } };
}


/** floor(average*1024/8/1500), at least 1, in exact integer arithmetic (averages reach 2^54). */
export function quantum(average: number | undefined): number {
  const q = (BigInt(average ?? 0) * 1024n) / 8n / 1500n;
  return q === 0n ? 1 : Number(q);
}

/** Ingress police burst: the given burst, else min(average, UINT_MAX/1024) KiB. */
export function policeBurst(r: { average?: number; burst?: number }): number {
  return r.burst ?? Math.min(r.average ?? 0, 4194303);
}

/** A stable ifb name per device for the police fallback, within IFNAMSIZ whatever the device's name. */
export function ifbNameFor(dev: string): string {
  return `vtifb${createHash("sha256").update(dev).digest("hex").slice(0, 8)}`;
}

/** Class and qdisc ids are hex; the u32 filter handle's node is 800+id written in decimal, which tc reads as hex. */
export function floorIds(id: number): { classId: string; qdisc: string; filterHandle: string } {
  return { classId: `1:${id.toString(16)}`, qdisc: `${id.toString(16)}:`, filterHandle: `800::${800 + id}` };
}

/** KB/s from the bits per second tc reports. */
export const kbpsOfBits = (bits: number): number => Math.round(bits / 8000);

/** An observed HTB class in the terms virtnet writes it (so a change can be undone exactly). */
export function classSpecOf(c: TcClass, fallbackQuantum: number): HtbClassSpec {
  const spec: HtbClassSpec = { parent: c.parent ?? "1:", classId: c.classId, rateKbps: kbpsOfBits(c.rateBits), quantum: c.quantum ?? fallbackQuantum };
  if (c.ceilBits !== c.rateBits) spec.ceilKbps = kbpsOfBits(c.ceilBits);
  if (c.burstBytes % 1024 === 0) spec.burstKb = c.burstBytes / 1024;
  return spec;
}
