// Network domain model: desired state from inputs, outputs from an observed bridge (docs/architecture.md §3, read).
import { effectivePrefix, normalizeAddress, type IpFamily } from "../../net/ip-address";
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import type { ConnectionInputs } from "../../connection/connection";
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import { isVirtnetRoute, routeOutputs, sameDestination, desiredRoute, type DesiredRoute } from "../route/model";
import type { RouteInputs } from "../route/schema";
import type { ForwardInputs, IpInputs, NetworkInputs } from "./schema";
import type { DnsInputs, DomainInputs } from "./dnsmasq-schema";
import type { DnsmasqLease } from "../../dnsmasq/parse-leases";
import type { ForwardRules } from "../../net/firewall-rule";
import type { Known } from "../../known";
import type { DeviceTc } from "../../net/tc";
import type { TcFeatures } from "../../host/tc-capabilities";
import { bandwidthMatches, bandwidthSubstitutions, observedBandwidth } from "../bandwidth/observe";
import { floorClasses } from "../bandwidth/plan";
import type { Bandwidth } from "../bandwidth/schema";
import { networkToXml } from "../../libvirt/network-xml";
import type { DnsmasqFiles } from "../../net/operation";
import { wantedDnsmasqFiles } from "./dnsmasq-plan";

import { ownerAlias } from "../../net/owner-alias";
/** 2: interfaces carry their owner's alias and routes virtnet's protocol; 1 wrote "virtnet" and `proto static`. */
export const NETWORK_SCHEMA_VERSION = 2;
export const DEFAULT_BRIDGE_TEMPLATE = "virbr%d";
/** The kernel's MTU for a fresh bridge; used when a previously managed mtu is removed. */
export const DEFAULT_MTU = 1500;

export interface DesiredIp {
  family: IpFamily;
  address: string;
  prefix: number;
}

export interface NetworkDesired {
  name: string;
  /** The marker that says which resource owns the bridge. */
  alias: string;
  mac: string;
  mtu?: number;
  stp: boolean;
  delaySeconds: number;
  macTableManager: "kernel" | "libvirt";
  ips: DesiredIp[];
  routes: DesiredRoute[];
  bandwidth?: Bandwidth;
  /** Where guests' traffic may go: isolated when the inputs give no forward. */
  forward: ForwardRules;
  /** The files of the network's dnsmasq; absent when it runs none (docs/libvirt-behaviour.md §10.1). */
  dnsmasq?: DnsmasqFiles;
}

/** What a Network resource records in state; inputs and outputs share this shape so diffs compare like with like. */
export interface NetworkOutputs {
  schemaVersion: number;
  connection: Known<ConnectionInputs>;
  bridge: { name: string; stp: boolean; delay: number; macTableManager?: "kernel" | "libvirt" };
  mac: string;
  mtu?: number;
  ips: Known<IpInputs>[];
  routes: Known<RouteInputs>[];
  bandwidth?: Bandwidth;
  libvirtName?: string;
  /** The owning resource (project/stack/name), which the bridge's marker names. */
  owner?: string;
  /** The bridge was taken over from outside virtnet. */
  adopt?: boolean;
  /** The network's state as a libvirt <network> document. */
  libvirtXml?: string;
  /** Whether the bridge is administratively up, as observed (a bridge set down by hand is drift). */
  up?: boolean;
  /** Settings the host's kernel cannot apply and what virtnet did instead (docs/architecture.md §4). */
  substitutions: Substitution[];
  forward?: Known<ForwardInputs>;
  /** The network's rules in virtnet's nftables table as observed, `FAMILY CHAIN rule` in the order nft lists them. */
  firewallRules?: string[];
  /** What the host lacks of the forward mode (rules, jumps, forwarding), as observed: drift an update repairs. */
  forwardDrift?: string[];
  /** What else on the host will get in the guests' way (another table's forward drop, firewalld); never a failure. */
  hostWarnings?: string[];
  domain?: Known<DomainInputs>;
  dns?: Known<DnsInputs>;
  dnsmasqOptions?: string[];
  /** The leases the network's dnsmasq has handed out, as its lease file holds them; never drift. */
  dhcpLeases?: DnsmasqLease[];
  /** What the host lacks of the network's dnsmasq (the process, its files), as observed: drift an update repairs. */
  dnsmasqDrift?: string[];
  autostart?: boolean;
  /** What the host lacks of the network's autostart (its script, the unit, the enabled instance): drift an update repairs. */
  autostartDrift?: string[];
}

export interface Substitution {
  property: string;
  wanted: string;
  applied: string;
  reason: string;
}

/** The forward mode's, dnsmasq's and autostart's outputs as observed on the host. */
export type ObservedForward = Pick<NetworkOutputs, "forward" | "firewallRules" | "forwardDrift" | "hostWarnings" | "domain" | "dns" | "dnsmasqOptions" | "dhcpLeases" | "dnsmasqDrift" | "autostart" | "autostartDrift"> & {
  substitutions?: Substitution[];
};

/** The desired bridge that recorded (or intended) outputs describe. */
export function networkDesired(o: NetworkOutputs): NetworkDesired {
  return {
    name: o.bridge.name,
    alias: ownerAlias(o.owner),
    mac: o.mac,
    mtu: o.mtu,
    stp: o.bridge.stp,
    delaySeconds: o.bridge.delay,
    macTableManager: o.bridge.macTableManager ?? "kernel",
    ips: o.ips.map(desiredIp),
    routes: o.routes.map(desiredRoute),
    bandwidth: o.bandwidth,
    forward: forwardRules(o.forward),
    dnsmasq: wantedDnsmasqFiles(o),
  };
}

/** The forward inputs as the firewall planner takes them; no forward is libvirt's isolated network. */
export function forwardRules(f: Known<ForwardInputs> | undefined): ForwardRules {
  if (f === undefined) return { mode: "isolated" };
  // A host bridge never reaches the firewall planner: virtnet changes nothing on it (network/resource.ts).
  if (f.mode === "bridge") throw new Error("forward mode 'bridge' has no rules of virtnet's: the network only uses a host bridge");
  const nat = f.nat && {
    ...(f.nat.address?.start !== undefined && f.nat.address.end !== undefined ? { address: { start: f.nat.address.start, end: f.nat.address.end } } : {}),
    ...(f.nat.port?.start !== undefined && f.nat.port.end !== undefined ? { port: { start: f.nat.port.start, end: f.nat.port.end } } : {}),
    ...(f.nat.ipv6 !== undefined ? { ipv6: f.nat.ipv6 } : {}),
  };
  return { mode: f.mode, ...(f.dev !== undefined ? { dev: f.dev } : {}), ...(nat ? { nat } : {}) };
}

/** Outputs as the inputs describe them, before the host is observed. */
export function recordedNetwork(n: Known<NetworkInputs>, name: string): NetworkOutputs {
  const { name: _template, ...bridge } = n.bridge;
  const outputs: NetworkOutputs = { ...n, schemaVersion: NETWORK_SCHEMA_VERSION, bridge: { ...bridge, name }, mac: n.mac ?? "", substitutions: [] };
  return outputs;
}

/** The resolved inputs recorded outputs describe: what read and delete know of the network. */
export function intendedNetwork(o: NetworkOutputs): Known<NetworkInputs> {
  const { connection, bridge, mac, mtu, ips, routes, bandwidth, libvirtName, owner, adopt, forward, domain, dns, dnsmasqOptions, autostart } = o;
  return { connection, bridge, mac, mtu, ips, routes, bandwidth, libvirtName, owner, adopt, forward, domain, dns, dnsmasqOptions, autostart };
}

/** An <ip> element reduced to what the kernel holds: family, canonical address, effective prefix. */
export function desiredIp(ip: Known<IpInputs>): DesiredIp {
  const address = ip.address;
  return {
    family: ip.family ?? "ipv4",
    address: normalizeAddress(address),
    prefix: effectivePrefix(address, ip.prefix, ip.netmask)!,
  };
}

export function ipKey(ip: DesiredIp): string {
  return `${ip.family} ${ip.address}/${ip.prefix}`;
}

/**
 * The forward delay the kernel ends up with: enabling STP clamps it into 2–30 s (br_stp_start), so
 * libvirt's default `stp='on' delay='0'` really runs with 2 s, and a 0 s delay cannot be set while STP is on.
 */
export function effectiveForwardDelayCentiseconds(stp: boolean, delaySeconds: number): number {
  const cs = delaySeconds * 100;
  return stp ? Math.min(3000, Math.max(200, cs)) : cs;
}

/** Outputs describing the observed bridge, phrased like the previous inputs wherever the kernel agrees with them. */
/** The bridge's traffic control as observed, with the tc features the host was found to have. */
export interface ObservedTc {
  own: DeviceTc;
  ifb?: DeviceTc;
  features: TcFeatures;
}

/** `forward` is what observedForward (firewall-plan.ts) and observedDnsmasq (dnsmasq-plan.ts) found on the host. */
export function outputsFromObservation(previous: NetworkOutputs, link: ObservedLink, routes: readonly ObservedRoute[], forward: ObservedForward, tc?: ObservedTc, legacy = false): NetworkOutputs {
  const observedBridge = link.bridge!;
  const delay =
    effectiveForwardDelayCentiseconds(observedBridge.stpOn, previous.bridge.delay) === observedBridge.forwardDelayCentiseconds
      ? previous.bridge.delay
      : observedBridge.forwardDelayCentiseconds / 100;
  const wantedMode = previous.bridge.macTableManager;
  let macTableManager = wantedMode;
  if (observedBridge.vlanFiltering === true) macTableManager = "libvirt";
  else if (observedBridge.vlanFiltering === false && wantedMode === "libvirt") macTableManager = "kernel";

  const bridge: NetworkOutputs["bridge"] = { name: link.name, stp: observedBridge.stpOn, delay };
  if (macTableManager !== undefined) bridge.macTableManager = macTableManager;
  const outputs: NetworkOutputs = {
    schemaVersion: NETWORK_SCHEMA_VERSION,
    connection: previous.connection,
    bridge,
    mac: link.mac ?? previous.mac,
    ips: observedIps(previous.ips, link),
    routes: observedRoutes(previous.routes ?? [], link.name, routes, legacy),
    up: link.up,
    substitutions: substitutionsFor(bridge.macTableManager, link),
  };
  if (previous.mtu !== undefined) outputs.mtu = link.mtu;
  if (previous.libvirtName !== undefined) outputs.libvirtName = previous.libvirtName;
  if (previous.owner !== undefined) outputs.owner = previous.owner;
  if (previous.adopt !== undefined) outputs.adopt = previous.adopt;
  const { substitutions: forwardSubstitutions = [], ...forwardOutputs } = forward;
  Object.assign(outputs, forwardOutputs);
  if (tc) {
    const observed = observedBandwidth(tc.own, tc.ifb, true);
    const bandwidth = bandwidthMatches(previous.bandwidth, observed, floorClasses(tc.own).length > 0) ? previous.bandwidth : observed;
    if (bandwidth && (bandwidth.inbound || bandwidth.outbound)) outputs.bandwidth = bandwidth;
    outputs.substitutions.push(...bandwidthSubstitutions(previous.bandwidth, tc.features));
  }
  outputs.substitutions.push(...forwardSubstitutions);
  outputs.libvirtXml = networkToXml(outputs.libvirtName ?? link.name, outputs);
  return outputs;
}

/**
 * A host-bridge network's outputs: its inputs as given, with what the kernel shows of a bridge virtnet only uses
 * (whether it is up). Nothing of it is the network's to change, so nothing observed on it is drift.
 */
export function hostBridgeOutputs(previous: NetworkOutputs, link: ObservedLink): NetworkOutputs {
  const outputs: NetworkOutputs = { ...previous, schemaVersion: NETWORK_SCHEMA_VERSION, ips: [], routes: [], substitutions: [] };
  outputs.libvirtXml = networkToXml(outputs.libvirtName ?? link.name, outputs);
  return outputs;
}

/** Observed addresses in the previous inputs' form and order; kernel-made IPv6 link-local addresses are not ours. */
function observedIps(previous: Known<IpInputs>[], link: ObservedLink): Known<IpInputs>[] {
  const byKey = new Map(previous.map((ip) => [ipKey(desiredIp(ip)), ip]));
  const observed = link.addresses.map((a) => ({ family: a.family, address: normalizeAddress(a.address), prefix: a.prefix, scope: a.scope }));
  const wanted = observed.filter((a) => byKey.has(ipKey(a)));
  const extra = observed.filter((a) => !byKey.has(ipKey(a)) && !(a.family === "ipv6" && a.scope === "link"));
  const ordered = previous.filter((ip) => wanted.some((a) => ipKey(a) === ipKey(desiredIp(ip))));
  return [
    ...ordered,
    ...extra.map((a): Known<IpInputs> => (a.family === "ipv6" ? { address: a.address, prefix: a.prefix, family: "ipv6" } : { address: a.address, prefix: a.prefix })),
  ];
}

/**
 * The inline routes as the kernel holds them: only destinations this network manages (other routes on the bridge
 * belong to StaticRoute resources or to someone else), with the managed metric if present, else another one.
 */
function observedRoutes(previous: Known<RouteInputs>[], bridge: string, routes: readonly ObservedRoute[], legacy: boolean): Known<RouteInputs>[] {
  return previous.flatMap((r) => {
    const d = desiredRoute(r);
    // Someone else's route to the destination is not the network's: it shows as the route missing (drift).
    const candidates = routes.filter((o) => o.dev === bridge && sameDestination(o, d) && o.gateway !== undefined && isVirtnetRoute(o, legacy));
    const match = candidates.find((o) => o.metric === d.metric) ?? candidates[0];
    return match ? [routeOutputs(r, match)] : [];
  });
}

export function substitutionsFor(mode: "kernel" | "libvirt" | undefined, link: ObservedLink): Substitution[] {
  if (mode !== "libvirt" || link.bridge?.vlanFiltering !== undefined) return [];
  return [
    {
      property: "bridge.macTableManager",
      wanted: "vlan_filtering 1 on the bridge",
      applied: "vlan_filtering left unset",
      reason:
        "the kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); guest ports still get learning and flooding off and static fdb entries, but the bridge keeps its uplinks promiscuous",
    },
  ];
}
