// The Network resource (a libvirt <network>: a Linux bridge with its addresses, routes and QoS) as the lifecycle
// needs it: naming, observation, plan and outputs. Everything shared lives in ../lifecycle.ts.
import type { Host } from "../../host/host";
import type { HostSnapshot } from "../../host/snapshot";
import { isLegacyState, ownedLink, refuseForeign } from "../owned-link";
import { stripUndefined } from "../../strip-undefined";
import { observeDeviceTc, type DeviceTcView } from "../bandwidth/observe-device";
import { planIfbCleanup } from "../bandwidth/plan";
import { lifecycle, type ResourceType } from "../lifecycle";
import { desiredRoute } from "../route/model";
import { checkNetwork } from "./check";
import { networkPolicy } from "./diff";
import { DEFAULT_BRIDGE_TEMPLATE, NETWORK_SCHEMA_VERSION, hostBridgeOutputs, intendedNetwork, networkDesired, outputsFromObservation, recordedNetwork, type NetworkDesired, type NetworkOutputs } from "./model";
import { planNetworkCreate, planNetworkDelete, planNetworkUpdate } from "./plan";
import { observedForward, subnetCidrs } from "./firewall-plan";
import { networkPreflightProblems, refuseForeignGuests } from "./preflight";
import { networkRuleFailures } from "./rules";
import { autostartDrift, autostartProblem, networkBootScript, networkSysctl, planAutostart } from "./autostart-plan";
import type { TcCapabilities } from "../../net/tc";
import type { AutostartObservation } from "../../systemd/observe-autostart";
import { bootScriptPath } from "../../systemd/autostart-paths";
import { dnsmasqConfigOf, observedDnsmasq, planDnsmasq, wantedDnsmasqFiles } from "./dnsmasq-plan";
import { dnsmasqPreflightProblems, probeDnsmasq, type DnsmasqProbe } from "../../host/dnsmasq-probe";
import { tcFeatures } from "../../host/tc-capabilities";
import { isHostBridge, type NetworkInputs } from "./schema";

/** libvirt tries virbr0 … virbr256 (MAX_BRIDGE_ID, docs/libvirt-behaviour.md §1.9). */
const MAX_BRIDGE_ID = 256;

export function networkId(host: string, bridge: string): string {
  return `${host}/${bridge}`;
}

/** The bridge of that name, if any; another kind of interface under the name is an error naming it. */
function bridgeOf(snapshot: HostSnapshot, name: string, host: Host) {
  const link = snapshot.link(name);
  if (link && link.kind !== "bridge") {
    throw new Error(`${name} on ${host.label} is a ${link.kind ?? "plain"} interface, not a bridge; rename the network's bridge or remove that interface`);
  }
  return link;
}

/** What a network's plan needs beyond the snapshot: its bridge's tc, and the host's dnsmasq when it is to start one. */
export interface NetworkExtra {
  tc?: DeviceTcView;
  dnsmasqProbe?: DnsmasqProbe;
}

/** The probes a network's plan may need, started beside its snapshot. */
export interface NetworkProbes {
  dnsmasq?: Promise<DnsmasqProbe>;
}

export const networkType: ResourceType<NetworkInputs, NetworkOutputs, NetworkExtra, NetworkProbes> = {
  noun: "bridge",
  schemaVersion: NETWORK_SCHEMA_VERSION,
  check: checkNetwork,
  policy: networkPolicy,
  // State written before inline routes existed has none.
  load: (props) => ({ routes: [], ...props }) as unknown as NetworkOutputs,
  intended: intendedNetwork,
  naming: {
    wanted: (n) => n.bridge.name ?? DEFAULT_BRIDGE_TEMPLATE,
    owner: (n) => n.owner,
    adopt: (n) => n.adopt === true,
    external: (n) => isHostBridge(n.forward),
    maxId: MAX_BRIDGE_ID,
    noun: "bridge",
  },
  nameOf: (o) => o.bridge.name,
  id: (host, _n, name) => networkId(host, name),
  recorded: recordedNetwork,
  // tc is probed only when the network has bandwidth, or had it; never on a host bridge, which virtnet does not shape.
  // The host's dnsmasq only when the network runs one and a plan follows, and used only when the plan is to start it.
  // Both go with the snapshot: a create or update of the default network (NAT and DHCP) is two round trips, not three.
  probe: (host, n, previous, planning) => {
    if (!n || isHostBridge(n.forward)) return {};
    if (n.bandwidth || previous?.bandwidth) tcFeatures(host).catch(() => undefined);
    if (!planning || !dnsmasqConfigOf(recordedNetwork(n, n.bridge.name ?? DEFAULT_BRIDGE_TEMPLATE))) return {};
    const dnsmasq = probeDnsmasq(host);
    dnsmasq.catch(() => undefined);
    return { dnsmasq };
  },
  observe: async (c) => {
    if (!c.desired || isHostBridge(c.desired.forward)) return {};
    const wanted = wantedDnsmasqFiles(recordedNetwork(c.desired, c.name));
    const starts = planDnsmasq(c.name, wanted, c.snapshot.dnsmasq.get(c.name)).some((o) => o.op === "dnsmasqStart");
    const [tc, dnsmasqProbe] = await Promise.all([observeDeviceTc(c.host, c.snapshot, c.name, c.desired.bandwidth, `bridge ${c.name}`), starts ? (c.probes?.dnsmasq ?? probeDnsmasq(c.host)) : undefined]);
    return { tc, dnsmasqProbe };
  },

  plan({ host, snapshot, name, desired, previous, extra: { tc, dnsmasqProbe } }) {
    // A host bridge is only used: virtnet neither creates, changes nor deletes it (docs/libvirt-behaviour.md §1.8).
    if (isHostBridge((desired ?? previous!).forward)) {
      if (desired) hostBridgeOf(snapshot, name, host);
      return [];
    }
    const link = ownBridge(snapshot, name, host, desired ?? previous!, previous);
    // Autostart goes first: the boot script never outlives the network it would make again.
    if (!desired) return link ? [...refuseForeignGuests(snapshot, name, host), ...planAutostart(name, undefined, snapshot.autostart), ...planNetworkDelete(name, snapshot, recordedSubnets(previous)), ...planIfbCleanup(snapshot, name)] : planAutostart(name, undefined, snapshot.autostart);
    refuseForeign(snapshot, "bridge", name, host, link);
    const d = networkDesired(recordedNetwork(desired, name));
    const legacy = isLegacyState(previous);
    const managedRoutes = link && previous ? previous.routes.map(desiredRoute) : [];
    // The rules preview had to defer (addresses that were unknown), then the checks that need the host.
    const config = dnsmasqProbe && dnsmasqConfigOf(recordedNetwork(desired, name));
    const problems = [
      ...networkRuleFailures(desired).map((f) => `${f.property}: ${f.reason}`),
      ...networkPreflightProblems(d, snapshot, managedRoutes, legacy),
      // Only the other networks whose bridge is on the host serve DHCP; files of a bridge that is gone serve nothing.
      ...(config ? dnsmasqPreflightProblems(config, dnsmasqProbe!, new Map([...snapshot.dnsmasq].filter(([b]) => snapshot.link(b) !== undefined)), host.label) : []),
      ...(desired.autostart === true ? [autostartProblem(snapshot.autostart, host.label)].filter((p) => p !== undefined) : []),
    ];
    if (problems.length > 0) throw new Error(`bridge ${name} on ${host.label}: ${problems.join("; ")}`);
    // A bridge deleted by hand since the last refresh is simply made again: nothing the user asked for is lost.
    // The boot script is written in the same exec as the live change, after it: it never describes a state not applied.
    const boot = planAutostart(name, ...autostartWanted(desired.autostart, d, snapshot, tc?.caps));
    if (!link || !previous) return [...planNetworkCreate(d, snapshot, tc?.caps, tc), ...boot];
    return [...planNetworkUpdate(d, link, snapshot.routes, { mtuManaged: previous.mtu !== undefined, routes: managedRoutes, legacy, subnets: recordedSubnets(previous) }, snapshot, tc), ...boot];
  },

  outputs({ host, snapshot, name, desired, previous, extra: { tc } }) {
    if (isHostBridge(desired.forward)) {
      const bridge = snapshot.link(name);
      return bridge?.kind === "bridge" ? stripUndefined(hostBridgeOutputs(recordedNetwork(desired, name), bridge)) : undefined;
    }
    // Someone else's interface under the name is not the network: it reads as gone, and is never changed.
    const link = ownBridge(snapshot, name, host, desired, previous);
    if (!link) return undefined;
    const recorded = recordedNetwork(desired, name);
    const d = networkDesired(recorded);
    const autostart = observedAutostart(recorded, ...autostartWanted(desired.autostart, d, snapshot, tc?.caps));
    return stripUndefined(outputsFromObservation(recorded, link, snapshot.routes, { ...observedForward(recorded, snapshot), ...observedDnsmasq(recorded, snapshot), ...autostart }, tc, isLegacyState(previous)));
  },
};

/** The host bridge a bridge-mode network uses; its absence is an error saying what to do. */
function hostBridgeOf(snapshot: HostSnapshot, name: string, host: Host) {
  const link = bridgeOf(snapshot, name, host);
  if (!link) {
    throw new Error(`bridge ${name} does not exist on ${host.label}; forward mode 'bridge' uses an existing host bridge, which virtnet does not create: create it with the host's own network configuration first, or give bridge.name of one that exists`);
  }
  return link;
}

/** The subnets the recorded state's rules were written for. */
function recordedSubnets(previous: NetworkOutputs | undefined): string[] {
  return previous ? subnetCidrs(networkDesired(previous).ips) : [];
}

/** The bridge under the name when it is this network's to manage (docs/architecture.md §4, ownership). */
function ownBridge(snapshot: HostSnapshot, name: string, host: Host, n: { owner?: string; adopt?: boolean }, previous: NetworkOutputs | undefined) {
  bridgeOf(snapshot, name, host);
  return ownedLink(snapshot, name, n, previous);
}

/**
 * Autostart as wanted, in planAutostart's and autostartDrift's terms: the boot script (undefined: off), the host as
 * observed, the sysctl file, and whether the network's dnsmasq gets a unit.
 */
function autostartWanted(on: boolean | undefined, d: NetworkDesired, snapshot: HostSnapshot, caps: TcCapabilities | undefined): [string | undefined, AutostartObservation, string | undefined, boolean] {
  return [on === true ? networkBootScript(d, snapshot.firewall, caps) : undefined, snapshot.autostart, networkSysctl(d), d.dnsmasq !== undefined];
}

/** Autostart as the host has it: on when the instance is enabled and the script is there; the drift against `wanted`. */
function observedAutostart(previous: NetworkOutputs, wanted: string | undefined, observed: AutostartObservation, sysctl: string | undefined, dnsmasq: boolean): Pick<NetworkOutputs, "autostart" | "autostartDrift"> {
  const bridge = previous.bridge.name;
  const on = observed.enabled.get(bridge) === "enabled" && observed.files.has(bootScriptPath(bridge));
  const drift = autostartDrift(bridge, wanted, observed, sysctl, dnsmasq);
  return { ...(previous.autostart !== undefined || on ? { autostart: on } : {}), ...(drift.length > 0 ? { autostartDrift: drift } : {}) };
}

/** The Network handlers the serialized shim delegates to. */
export const networkHandlers = lifecycle(networkType);
