// GuestInterface planner (spec §4.4, §3.2): pure functions from desired and observed tap state to steps.
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import { OWNER_ALIAS } from "../../net/owner-alias";
import { step, type PlanStep } from "../../plan/operation";
import { expectedPort, type GuestDesired } from "./model";

/**
 * libvirt's connect order: create the tap, give it the 0xFE MAC before it joins the bridge, MTU (the bridge's
 * unless set), attach (+isolated), up, then in libvirt mode learning off, flood off and the guest's fdb entry.
 */
export function planGuestCreate(d: GuestDesired, bridgeMtu: number): PlanStep[] {
  const name = d.name;
  return [
    step({ op: "tapAdd", name }, { op: "tapDel", name }),
    step({ op: "linkSetAlias", name, alias: OWNER_ALIAS }),
    step({ op: "linkSetAddress", name, mac: d.tapMac }),
    step({ op: "linkSetMtu", name, mtu: d.mtu ?? bridgeMtu }),
    step({ op: "linkSetMaster", name, master: d.bridge }),
    ...(d.isolated ? [step({ op: "bridgePortSet", name, setting: "isolated", on: true })] : []),
    step({ op: "linkSetUp", name }),
    ...(d.libvirtMode
      ? [
          step({ op: "bridgePortSet", name, setting: "learning", on: false }),
          step({ op: "bridgePortSet", name, setting: "flood", on: false }),
          step({ op: "fdbAdd", name, mac: d.guestMac }),
        ]
      : []),
  ];
}

/** What the previous inputs managed: the guest MAC whose fdb entry virtnet may have added. */
export interface GuestPrevious {
  guestMac: string;
}

/** In-place update: MAC (tap and fdb entry), MTU, isolation, bridge (a move), MAC-table mode, and drift. */
export function planGuestUpdate(d: GuestDesired, link: ObservedLink, fdb: readonly string[], previous: GuestPrevious): PlanStep[] {
  const name = d.name;
  const steps: PlanStep[] = [];
  if (link.alias !== OWNER_ALIAS) steps.push(step({ op: "linkSetAlias", name, alias: OWNER_ALIAS }));
  const moving = link.master !== d.bridge;
  // A port leaving its bridge loses its fdb entries; on the new bridge its flags start at the kernel's defaults.
  const entries = moving ? [] : fdb;
  const port = moving || !link.port ? { learning: true, flood: true, isolated: false } : link.port;
  const ours = new Set([previous.guestMac, d.guestMac]);
  for (const mac of entries) {
    if (ours.has(mac) && !(d.libvirtMode && mac === d.guestMac)) steps.push(step({ op: "fdbDel", name, mac }, { op: "fdbAdd", name, mac }));
  }
  if (link.mac !== d.tapMac) steps.push(step({ op: "linkSetAddress", name, mac: d.tapMac }, { op: "linkSetAddress", name, mac: link.mac ?? d.tapMac }));
  if (d.mtu !== undefined && link.mtu !== d.mtu) steps.push(step({ op: "linkSetMtu", name, mtu: d.mtu }, { op: "linkSetMtu", name, mtu: link.mtu }));
  if (moving) steps.push(step({ op: "linkSetMaster", name, master: d.bridge }, ...(link.master ? [{ op: "linkSetMaster" as const, name, master: link.master }] : [])));
  if (port.isolated !== d.isolated) steps.push(step({ op: "bridgePortSet", name, setting: "isolated", on: d.isolated }, { op: "bridgePortSet", name, setting: "isolated", on: port.isolated }));
  if (!link.up) steps.push(step({ op: "linkSetUp", name }, { op: "linkSetDown", name }));
  const want = expectedPort(d);
  for (const setting of ["learning", "flood"] as const) {
    if (port[setting] !== want[setting]) steps.push(step({ op: "bridgePortSet", name, setting, on: want[setting] }, { op: "bridgePortSet", name, setting, on: port[setting] }));
  }
  if (d.libvirtMode && !entries.includes(d.guestMac)) steps.push(step({ op: "fdbAdd", name, mac: d.guestMac }, { op: "fdbDel", name, mac: d.guestMac }));
  return steps;
}

export function planGuestDelete(name: string): PlanStep[] {
  // Deleting the port makes the kernel flush its fdb entries (spec §3.2).
  return [step({ op: "tapDel", name })];
}
