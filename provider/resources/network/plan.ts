// Network planner: pure functions from desired (and observed) state to ordered steps (spec §6.2, §6.3).
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import { planRoutes } from "../route/plan";
import type { DesiredRoute } from "../route/model";
import { LIBVIRT_TC, type TcCapabilities } from "../../iproute2/render-bandwidth";
import type { DeviceTc } from "../../host/snapshot";
import { bandwidthMatches, observedBandwidth } from "../bandwidth/observe";
import { floorClasses, planBandwidthClear, planBandwidthSet, planNetworkRateChange } from "../bandwidth/plan";
import { normalizeAddress } from "../../net/ip-address";
import { step, type Operation, type PlanStep } from "../../plan/operation";
import { DEFAULT_MTU, OWNER_ALIAS, effectiveForwardDelayCentiseconds, ipKey, type DesiredIp, type NetworkDesired } from "./model";

/** libvirt's start order: add with MAC, MTU, delay before STP, IPv6 sysctls, addresses, vlan_filtering, up. */
export function planNetworkCreate(d: NetworkDesired, caps: TcCapabilities = LIBVIRT_TC): PlanStep[] {
  const name = d.name;
  const hasIpv6 = d.ips.some((ip) => ip.family === "ipv6");
  return [
    // Deleting the bridge undoes everything after it too: addresses and settings live on the bridge.
    step({ op: "linkAddBridge", name, mac: d.mac }, { op: "linkDel", name }),
    step({ op: "linkSetAlias", name, alias: OWNER_ALIAS }),
    // Set after creation, as libvirt does: an MTU given to `ip link add` is not marked as set by the user,
    // so the kernel lowers the bridge to its smallest port's MTU as soon as one joins (br_mtu_auto_adjust).
    ...(d.mtu !== undefined ? [step({ op: "linkSetMtu", name, mtu: d.mtu })] : []),
    step({ op: "bridgeSetForwardDelay", name, centiseconds: d.delaySeconds * 100 }),
    step({ op: "bridgeSetStp", name, on: d.stp }),
    step({ op: "ipv6Sysctl", name, key: "disable_ipv6", value: hasIpv6 ? 0 : 1 }),
    step({ op: "ipv6Sysctl", name, key: "accept_ra", value: 0 }),
    step({ op: "ipv6Sysctl", name, key: "autoconf", value: 0 }),
    ...d.ips.map((ip) => step(addr("addrAdd", name, ip))),
    ...(d.macTableManager === "libvirt" ? [step({ op: "bridgeSetVlanFiltering", name, on: true })] : []),
    step({ op: "linkSetUp", name }),
    // Routes after the bridge is up (spec §6.2 step 12); all of them in this one script.
    ...planRoutes({ bridge: name, desired: d.routes, managed: [], observed: [] }).additions,
    // Network-wide QoS last (spec §6.2 step 15), hierarchical so guests' floors can go under it.
    ...planBandwidthSet(name, d.bandwidth, true, caps),
  ];
}

/** The bridge's tc as observed, and how to render for this host. */
export interface BridgeTc {
  own: DeviceTc;
  ifb?: DeviceTc;
  ifbName?: string;
  ifbExists: boolean;
  caps: TcCapabilities;
}

/** Bandwidth steps for an update: nothing while the kernel matches, in-place class changes while guests hold floors. */
export function planNetworkBandwidth(d: NetworkDesired, tc: BridgeTc): PlanStep[] {
  const floors = floorClasses(tc.own);
  if (bandwidthMatches(d.bandwidth, observedBandwidth(tc.own, tc.ifb, true), floors.length > 0)) return [];
  if (floors.length > 0) {
    if (d.bandwidth?.inbound?.average === undefined) {
      throw new Error(`bridge ${d.name} has guests with a floor (classes ${floors.map((f) => `1:${f.id.toString(16)}`).join(", ")}); remove their floors before the network's inbound bandwidth`);
    }
    return planNetworkRateChange(d.name, d.bandwidth, floors, tc.caps);
  }
  if (!d.bandwidth?.inbound && !d.bandwidth?.outbound) return planBandwidthClear(d.name, tc.ifbExists ? tc.ifbName : undefined);
  return planBandwidthSet(d.name, d.bandwidth, true, tc.caps, tc.ifbExists);
}

/** libvirt's stop order: down, then delete (which takes addresses and routes with the bridge). */
export function planNetworkDelete(name: string): PlanStep[] {
  return [step({ op: "linkSetDown", name }), step({ op: "linkDel", name })];
}

/** What the previous inputs managed, which observation alone cannot tell. */
export interface NetworkPrevious {
  /** Whether they set an MTU, so removing `mtu` returns the bridge to the kernel default. */
  mtuManaged: boolean;
  routes: DesiredRoute[];
}

/** In-place update: only what differs from the observed bridge and its routes, never taking the bridge down. */
export function planNetworkUpdate(d: NetworkDesired, link: ObservedLink, routes: readonly ObservedRoute[], previous: NetworkPrevious, tc?: BridgeTc): PlanStep[] {
  const name = d.name;
  const steps: PlanStep[] = [];
  if (link.alias !== OWNER_ALIAS) steps.push(step({ op: "linkSetAlias", name, alias: OWNER_ALIAS }, { op: "linkSetAlias", name, alias: link.alias ?? "" }));
  if (link.mac !== undefined && link.mac !== d.mac) steps.push(step({ op: "linkSetAddress", name, mac: d.mac }, { op: "linkSetAddress", name, mac: link.mac }));
  const mtu = d.mtu ?? (previous.mtuManaged ? DEFAULT_MTU : undefined);
  if (mtu !== undefined && mtu !== link.mtu) steps.push(step({ op: "linkSetMtu", name, mtu }, { op: "linkSetMtu", name, mtu: link.mtu }));
  steps.push(...stpSteps(d, link));
  const routeSteps = planRoutes({ bridge: name, desired: d.routes, managed: previous.routes, observed: routes });
  steps.push(...routeSteps.removals);
  steps.push(...addressSteps(d, link));
  const vlanFiltering = d.macTableManager === "libvirt";
  if (link.bridge?.vlanFiltering !== undefined && link.bridge.vlanFiltering !== vlanFiltering) {
    steps.push(step({ op: "bridgeSetVlanFiltering", name, on: vlanFiltering }, { op: "bridgeSetVlanFiltering", name, on: !vlanFiltering }));
  }
  if (!link.up) steps.push(step({ op: "linkSetUp", name }, { op: "linkSetDown", name }));
  steps.push(...routeSteps.additions, ...routeSteps.superseded);
  if (tc) steps.push(...planNetworkBandwidth(d, tc));
  return steps;
}

/** The kernel refuses a delay outside 2–30 s while STP is on, so the order depends on the direction. */
function stpSteps(d: NetworkDesired, link: ObservedLink): PlanStep[] {
  const name = d.name;
  const observed = link.bridge!;
  const wantedCs = effectiveForwardDelayCentiseconds(d.stp, d.delaySeconds);
  const setDelay = (cs: number) => step({ op: "bridgeSetForwardDelay", name, centiseconds: cs }, { op: "bridgeSetForwardDelay", name, centiseconds: observed.forwardDelayCentiseconds });
  const setStp = (on: boolean) => step({ op: "bridgeSetStp", name, on }, { op: "bridgeSetStp", name, on: !on });
  if (d.stp === observed.stpOn) return wantedCs === observed.forwardDelayCentiseconds ? [] : [setDelay(wantedCs)];
  // Turning STP on clamps the delay itself; turning it off first lets any delay through.
  return d.stp ? [setDelay(d.delaySeconds * 100), setStp(true)] : [setStp(false), ...(wantedCs === observed.forwardDelayCentiseconds ? [] : [setDelay(wantedCs)])];
}

function addressSteps(d: NetworkDesired, link: ObservedLink): PlanStep[] {
  const name = d.name;
  const observed: DesiredIp[] = link.addresses
    .filter((a) => !(a.family === "ipv6" && a.scope === "link"))
    .map((a) => ({ family: a.family, address: normalizeAddress(a.address), prefix: a.prefix }));
  const wanted = new Set(d.ips.map(ipKey));
  const present = new Set(observed.map(ipKey));
  const removed = observed.filter((ip) => !wanted.has(ipKey(ip)));
  const added = d.ips.filter((ip) => !present.has(ipKey(ip)));
  const hadIpv6 = observed.some((ip) => ip.family === "ipv6");
  const wantsIpv6 = d.ips.some((ip) => ip.family === "ipv6");
  const steps: PlanStep[] = [];
  // Removals first, so an address that only changes its prefix can be added again.
  for (const ip of removed) steps.push(step(addr("addrDel", name, ip), addr("addrAdd", name, ip)));
  if (wantsIpv6 && !hadIpv6) steps.push(step({ op: "ipv6Sysctl", name, key: "disable_ipv6", value: 0 }));
  for (const ip of added) steps.push(step(addr("addrAdd", name, ip), addr("addrDel", name, ip)));
  if (hadIpv6 && !wantsIpv6) steps.push(step({ op: "ipv6Sysctl", name, key: "disable_ipv6", value: 1 }));
  return steps;
}

function addr(op: "addrAdd" | "addrDel", name: string, ip: DesiredIp): Operation {
  return { op, name, family: ip.family, address: ip.address, prefix: ip.prefix };
}
