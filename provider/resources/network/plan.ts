// Network planner: pure functions from desired (and observed) state to ordered steps (docs/libvirt-behaviour.md §6.2, §6.3).
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import { planRoutes } from "../route/plan";
import type { DesiredRoute } from "../route/model";
import { LIBVIRT_TC, type TcCapabilities } from "../../net/tc";
import { bandwidthMatches, observedBandwidth } from "../bandwidth/observe";
import { floorClasses, planBandwidthClear, planBandwidthSet, planNetworkRateChange, type ObservedDeviceTc } from "../bandwidth/plan";
import { networkAddress, normalizeAddress } from "../../net/ip-address";
import type { Operation } from "../../net/operation";
import { planFirewall, subnetCidrs, planForwarding, plannedRules, type HostForwarding } from "./firewall-plan";
import { planDnsmasq } from "./dnsmasq-plan";
import { DEFAULT_MTU, effectiveForwardDelayCentiseconds, ipKey, type DesiredIp, type NetworkDesired } from "./model";

/**
 * libvirt's start order (networkStartNetworkVirtual): add with MAC, MTU, delay before STP, IPv6 sysctls, the
 * firewall before any address, addresses, vlan_filtering, up, routes, forwarding, QoS.
 */
export function planNetworkCreate(d: NetworkDesired, host: HostForwarding, caps: TcCapabilities = LIBVIRT_TC, observed?: ObservedDeviceTc): Operation[] {
  const name = d.name;
  const hasIpv6 = d.ips.some((ip) => ip.family === "ipv6");
  const subnets = subnetCidrs(d.ips);
  return [
    // Deleting the bridge undoes everything after it too: addresses and settings live on the bridge.
    { op: "linkAddBridge", name, mac: d.mac },
    { op: "linkSetAlias", name, alias: d.alias },
    // Set after creation, as libvirt does: an MTU given to `ip link add` is not marked as set by the user,
    // so the kernel lowers the bridge to its smallest port's MTU as soon as one joins (br_mtu_auto_adjust).
    ...(d.mtu !== undefined ? [{ op: "linkSetMtu", name, mtu: d.mtu } as const] : []),
    { op: "bridgeSetForwardDelay", name, centiseconds: d.delaySeconds * 100 },
    { op: "bridgeSetStp", name, on: d.stp },
    { op: "ipv6Sysctl", name, key: "disable_ipv6", value: hasIpv6 ? 0 : 1 },
    { op: "ipv6Sysctl", name, key: "accept_ra", value: 0 },
    { op: "ipv6Sysctl", name, key: "autoconf", value: 0 },
    // The rules name the bridge by index, so it must exist; they go before any address, as libvirt's do.
    ...planFirewall(name, plannedRules(d, host.firewall), host.firewall, subnets),
    ...d.ips.map((ip) => addr("addrAdd", name, ip)),
    ...(d.macTableManager === "libvirt" ? [{ op: "bridgeSetVlanFiltering", name, on: true } as const] : []),
    { op: "linkSetUp", name },
    // Routes after the bridge is up (docs/libvirt-behaviour.md §6.2 step 12); all of them in this one script.
    ...planRoutes({ bridge: name, desired: d.routes, managed: [], observed: [] }).additions,
    ...planForwarding(d, host.forwarding, host.routerAdvertisement),
    // dnsmasq once the bridge has its addresses, before QoS, as libvirt starts it (docs/libvirt-behaviour.md §10.4).
    ...planDnsmasq(name, d.dnsmasq, host.dnsmasq?.get(name)),
    // Network-wide QoS last (docs/libvirt-behaviour.md §6.2 step 15), hierarchical so guests' floors can go under it.
    ...planBandwidthSet(name, d.bandwidth, true, caps, d.alias, observed),
  ];
}

/** Bandwidth steps for an update: nothing while the kernel matches, in-place class changes while guests hold floors. */
export function planNetworkBandwidth(d: NetworkDesired, tc: ObservedDeviceTc): Operation[] {
  const floors = floorClasses(tc.own);
  if (bandwidthMatches(d.bandwidth, observedBandwidth(tc.own, tc.ifb, true), floors.length > 0)) return [];
  if (floors.length > 0) {
    if (d.bandwidth?.inbound?.average === undefined) {
      throw new Error(`bridge ${d.name} has guests with a floor (classes ${floors.map((f) => `1:${f.id.toString(16)}`).join(", ")}); remove their floors before the network's inbound bandwidth`);
    }
    return planNetworkRateChange(d.name, d.bandwidth, floors, tc);
  }
  if (!d.bandwidth?.inbound && !d.bandwidth?.outbound) return planBandwidthClear(d.name, tc, true);
  return planBandwidthSet(d.name, d.bandwidth, true, tc.caps, d.alias, tc);
}

/**
 * libvirt's stop order: dnsmasq, down, the network's rules (while the bridge still has its name, which they match),
 * then delete (which takes addresses and routes with the bridge). `subnets` are those its rules may name.
 */
export function planNetworkDelete(name: string, host: HostForwarding, subnets: readonly string[]): Operation[] {
  return [...planDnsmasq(name, undefined, host.dnsmasq?.get(name)), { op: "linkSetDown", name, from: true }, ...planFirewall(name, [], host.firewall, subnets), { op: "linkDel", name }];
}

/** What the previous inputs managed, which observation alone cannot tell. */
export interface NetworkPrevious {
  /** Whether they set an MTU, so removing `mtu` returns the bridge to the kernel default. */
  mtuManaged: boolean;
  routes: DesiredRoute[];
  /** State from before owner markers: the legacy alias and `proto static` routes are virtnet's. */
  legacy?: boolean;
  /** The subnets its rules were written for, so that a changed address still finds the rules it replaces. */
  subnets: string[];
}

/** In-place update: only what differs from the observed bridge and its routes, never taking the bridge down. */
export function planNetworkUpdate(d: NetworkDesired, link: ObservedLink, routes: readonly ObservedRoute[], previous: NetworkPrevious, host: HostForwarding, tc?: ObservedDeviceTc): Operation[] {
  const name = d.name;
  const subnets = [...previous.subnets, ...subnetCidrs(d.ips)];
  // The rules first, in one batch (libvirt's update order); the bridge and its guests are not touched.
  const steps: Operation[] = [...planFirewall(name, plannedRules(d, host.firewall), host.firewall, subnets)];
  if (link.alias !== d.alias) steps.push({ op: "linkSetAlias", name, alias: d.alias, from: link.alias ?? "" });
  if (link.mac !== undefined && link.mac !== d.mac) steps.push({ op: "linkSetAddress", name, mac: d.mac, from: link.mac });
  const mtu = d.mtu ?? (previous.mtuManaged ? DEFAULT_MTU : undefined);
  if (mtu !== undefined && mtu !== link.mtu) steps.push({ op: "linkSetMtu", name, mtu, from: link.mtu });
  steps.push(...stpSteps(d, link));
  const routeSteps = planRoutes({ bridge: name, desired: d.routes, managed: previous.routes, observed: routes, legacy: previous.legacy });
  steps.push(...routeSteps.removals);
  steps.push(...addressSteps(d, link));
  const vlanFiltering = d.macTableManager === "libvirt";
  if (link.bridge?.vlanFiltering !== undefined && link.bridge.vlanFiltering !== vlanFiltering) {
    steps.push({ op: "bridgeSetVlanFiltering", name, on: vlanFiltering, from: !vlanFiltering });
  }
  if (!link.up) steps.push({ op: "linkSetUp", name, from: false });
  steps.push(...routeSteps.additions, ...routeSteps.superseded);
  steps.push(...planForwarding(d, host.forwarding, host.routerAdvertisement));
  steps.push(...planDnsmasq(name, d.dnsmasq, host.dnsmasq?.get(name)));
  if (tc) steps.push(...planNetworkBandwidth(d, tc));
  return steps;
}

/** The kernel refuses a delay outside 2–30 s while STP is on, so the order depends on the direction. */
function stpSteps(d: NetworkDesired, link: ObservedLink): Operation[] {
  const name = d.name;
  const observed = link.bridge!;
  const wantedCs = effectiveForwardDelayCentiseconds(d.stp, d.delaySeconds);
  const setDelay = (cs: number): Operation => ({ op: "bridgeSetForwardDelay", name, centiseconds: cs, from: observed.forwardDelayCentiseconds });
  const setStp = (on: boolean): Operation => ({ op: "bridgeSetStp", name, on, from: !on });
  if (d.stp === observed.stpOn) return wantedCs === observed.forwardDelayCentiseconds ? [] : [setDelay(wantedCs)];
  // Turning STP on clamps the delay itself; turning it off first lets any delay through.
  return d.stp ? [setDelay(d.delaySeconds * 100), setStp(true)] : [setStp(false), ...(wantedCs === observed.forwardDelayCentiseconds ? [] : [setDelay(wantedCs)])];
}

function addressSteps(d: NetworkDesired, link: ObservedLink): Operation[] {
  const name = d.name;
  const observed: DesiredIp[] = link.addresses
    .filter((a) => !(a.family === "ipv6" && a.scope === "link"))
    .map((a) => ({ family: a.family, address: normalizeAddress(a.address), prefix: a.prefix }));
  const wanted = new Set(d.ips.map(ipKey));
  const present = new Set(observed.map(ipKey));
  // Deleting the primary IPv4 address of a subnet makes the kernel delete its secondaries too (promote_secondaries
  // is off by default): those that stay are deleted first, explicitly, and added back after.
  const removed = withSecondaries(observed, observed.filter((ip) => !wanted.has(ipKey(ip))));
  const cycled = new Set(removed.filter((ip) => wanted.has(ipKey(ip))).map(ipKey));
  const added = d.ips.filter((ip) => !present.has(ipKey(ip)) || cycled.has(ipKey(ip)));
  const hadIpv6 = observed.some((ip) => ip.family === "ipv6");
  const wantsIpv6 = d.ips.some((ip) => ip.family === "ipv6");
  const steps: Operation[] = [];
  // Removals first, so an address that only changes its prefix can be added again.
  for (const ip of removed) steps.push(addr("addrDel", name, ip));
  if (wantsIpv6 && !hadIpv6) steps.push({ op: "ipv6Sysctl", name, key: "disable_ipv6", value: 0, from: 1 });
  for (const ip of added) steps.push(addr("addrAdd", name, ip));
  if (hadIpv6 && !wantsIpv6) steps.push({ op: "ipv6Sysctl", name, key: "disable_ipv6", value: 1, from: 0 });
  return steps;
}

/** The removals, each primary preceded by the other addresses of its subnet (the kernel lists a subnet's primary first). */
function withSecondaries(observed: DesiredIp[], removed: DesiredIp[]): DesiredIp[] {
  const subnet = (ip: DesiredIp) => `${ip.family} ${networkAddress(ip.address, ip.prefix)}/${ip.prefix}`;
  const out: DesiredIp[] = [];
  for (const ip of removed) {
    const primary = observed.find((o) => o.family === "ipv4" && subnet(o) === subnet(ip)) === ip;
    if (primary) out.push(...observed.filter((o) => o !== ip && subnet(o) === subnet(ip) && !removed.includes(o) && !out.includes(o)));
    out.push(ip);
  }
  return out;
}

function addr(op: "addrAdd" | "addrDel", name: string, ip: DesiredIp): Operation {
  return { op, name, family: ip.family, address: ip.address, prefix: ip.prefix };
}
