// GuestInterface planner (docs/libvirt-behaviour.md §4.4, §3.2): pure functions from desired and observed tap state to steps.
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import type { Bandwidth } from "../../net/bandwidth";
import type { Operation } from "../../net/operation";
import { interfaceRateClass } from "../bandwidth/libvirt-tc";
import { bandwidthMatches, observedBandwidth } from "../bandwidth/observe";
import type { DeviceTcView } from "../bandwidth/observe-device";
import { classChange, planBandwidthClear, planBandwidthSet } from "../bandwidth/plan";
import { expectedPort, type GuestDesired } from "./model";

/**
 * libvirt's connect order: create the tap, give it the 0xFE MAC before it joins the bridge, MTU (the bridge's
 * unless set), attach (+isolated), up, then in libvirt mode learning off, flood off and the guest's fdb entry.
 */
export function planGuestCreate(d: GuestDesired, bridgeMtu: number): Operation[] {
  const name = d.name;
  return [
    { op: "tapAdd", name },
    { op: "linkSetAlias", name, alias: d.alias },
    { op: "linkSetAddress", name, mac: d.tapMac },
    { op: "linkSetMtu", name, mtu: d.mtu ?? bridgeMtu },
    { op: "linkSetMaster", name, master: d.bridge },
    ...(d.isolated ? [{ op: "bridgePortSet", name, setting: "isolated", on: true } as const] : []),
    { op: "linkSetUp", name },
    ...(d.libvirtMode
      ? ([
          { op: "bridgePortSet", name, setting: "learning", on: false },
          { op: "bridgePortSet", name, setting: "flood", on: false },
          { op: "fdbAdd", name, mac: d.guestMac },
        ] as const)
      : []),
  ];
}

/** What the previous inputs managed: the guest MAC whose fdb entry virtnet may have added. */
export interface GuestPrevious {
  guestMac: string;
}

/** In-place update: MAC (tap and fdb entry), MTU, isolation, bridge (a move), MAC-table mode, and drift. */
export function planGuestUpdate(d: GuestDesired, link: ObservedLink, fdb: readonly string[], previous: GuestPrevious): Operation[] {
  const name = d.name;
  const steps: Operation[] = [];
  if (link.alias !== d.alias) steps.push({ op: "linkSetAlias", name, alias: d.alias, from: link.alias ?? "" });
  const moving = link.master !== d.bridge;
  // A port leaving its bridge loses its fdb entries; on the new bridge its flags start at the kernel's defaults.
  const entries = moving ? [] : fdb;
  const port = moving || !link.port ? { learning: true, flood: true, isolated: false } : link.port;
  const ours = new Set([previous.guestMac, d.guestMac]);
  for (const mac of entries) {
    if (ours.has(mac) && !(d.libvirtMode && mac === d.guestMac)) steps.push({ op: "fdbDel", name, mac });
  }
  if (link.mac !== d.tapMac) steps.push({ op: "linkSetAddress", name, mac: d.tapMac, from: link.mac ?? d.tapMac });
  if (d.mtu !== undefined && link.mtu !== d.mtu) steps.push({ op: "linkSetMtu", name, mtu: d.mtu, from: link.mtu });
  if (moving) steps.push({ op: "linkSetMaster", name, master: d.bridge, from: link.master });
  if (port.isolated !== d.isolated) steps.push({ op: "bridgePortSet", name, setting: "isolated", on: d.isolated, from: port.isolated });
  if (!link.up) steps.push({ op: "linkSetUp", name, from: false });
  const want = expectedPort(d);
  for (const setting of ["learning", "flood"] as const) {
    if (port[setting] !== want[setting]) steps.push({ op: "bridgePortSet", name, setting, on: want[setting], from: port[setting] });
  }
  if (d.libvirtMode && !entries.includes(d.guestMac)) steps.push({ op: "fdbAdd", name, mac: d.guestMac });
  return steps;
}

export function planGuestDelete(name: string): Operation[] {
  // Deleting the port makes the kernel flush its fdb entries (docs/libvirt-behaviour.md §3.2).
  return [{ op: "tapDel", name }];
}

/** The tap's own bandwidth: nothing while the kernel matches, a class change for new inbound rates, else libvirt's set. */
export function planTapBandwidth(name: string, bw: Bandwidth | undefined, tc: DeviceTcView | undefined, alias: string): Operation[] {
  if (!tc) return [];
  const observed = observedBandwidth(tc.own, tc.ifb, false);
  if (bandwidthMatches(bw, observed)) return [];
  if (!bw?.inbound?.average && !bw?.outbound) return planBandwidthClear(name, tc, false);
  if (observed.inbound && bw.inbound?.average !== undefined && bandwidthMatches({ outbound: bw.outbound }, { outbound: observed.outbound })) {
    return [classChange(name, interfaceRateClass(bw.inbound), tc.own)];
  }
  return planBandwidthSet(name, bw, false, tc.caps, alias, tc);
}

