// Network lifecycle: observe the host, plan, apply in one exec, observe again (design §3 data flow).
import { knownConnection } from "../../connection/known-connection";
import { ApplyError, type Host } from "../../host/host";
import { hostFor } from "../../host/host-pool";
import type { HostSnapshot } from "../../host/snapshot";
import { isNameTemplate } from "../../net/interface-name";
import { chooseName } from "../../host/choose-name";
import { OWNER_ALIAS } from "../../net/owner-alias";
import { PartialFailure, redactedHandlers } from "../../resource-error";
import { assertStateVersion } from "../../schema/state-version";
import { checkNetwork, stripUndefined } from "./check";
import { diffNetwork } from "./diff";
import {
  DEFAULT_BRIDGE_TEMPLATE,
  NETWORK_SCHEMA_VERSION,
  desiredIp,
  outputsFromObservation,
  type NetworkDesired,
  type NetworkOutputs,
} from "./model";
import { planNetworkCreate, planNetworkDelete, planNetworkUpdate, type BridgeTc } from "./plan";
import type { ObservedTc } from "./model";
import type { Bandwidth } from "../bandwidth/schema";
import { unsupportedBandwidth } from "../bandwidth/observe";
import { tcCapabilitiesFor, tcFeatures } from "../../host/tc-capabilities";
import { ifbNameFor } from "../../iproute2/render-bandwidth";
import { step } from "../../plan/operation";
import { networkPreflightProblems } from "./preflight";
import { networkRuleFailures } from "./rules";
import { desiredRoute, type DesiredRoute } from "../route/model";
import { networkArgsSchema, type NetworkInputs } from "./schema";

type Props = Record<string, unknown>;

/** libvirt tries virbr0 … virbr256 (MAX_BRIDGE_ID, spec §1.9). */
const MAX_BRIDGE_ID = 256;
const AUTO_NAME_ATTEMPTS = 3;

export function networkId(host: string, bridge: string): string {
  return `${host}/${bridge}`;
}

/** Outputs as the inputs describe them, before the host is observed. */
function intendedOutputs(n: NetworkInputs, name: string): NetworkOutputs {
  const bridge = n.bridge as Exclude<NetworkInputs["bridge"], string>;
  return stripUndefined({
    schemaVersion: NETWORK_SCHEMA_VERSION,
    connection: n.connection as NetworkOutputs["connection"],
    bridge: { name, stp: bridge.stp as boolean, delay: bridge.delay as number, macTableManager: bridge.macTableManager as NetworkOutputs["bridge"]["macTableManager"] },
    mac: n.mac as string,
    mtu: n.mtu as number | undefined,
    ips: n.ips as NetworkOutputs["ips"],
    routes: n.routes as NetworkOutputs["routes"],
    bandwidth: n.bandwidth as NetworkOutputs["bandwidth"],
    libvirtName: n.libvirtName as string | undefined,
    substitutions: [],
  });
}

function desiredFrom(o: NetworkOutputs): NetworkDesired {
  return {
    name: o.bridge.name,
    mac: o.mac,
    mtu: o.mtu,
    stp: o.bridge.stp,
    delaySeconds: o.bridge.delay,
    macTableManager: o.bridge.macTableManager ?? "kernel",
    ips: o.ips.map(desiredIp),
    routes: o.routes.map(desiredRoute),
    bandwidth: o.bandwidth,
  };
}

/**
 * The bridge's traffic control as observed, with how to render for this host. The host's tc features are probed
 * (once per connection) only when the network has bandwidth, or had it.
 */
async function bridgeTc(host: Host, snapshot: HostSnapshot, name: string, bandwidth: Bandwidth | undefined): Promise<(BridgeTc & ObservedTc) | undefined> {
  const own = snapshot.tcOf(name);
  if (!bandwidth && own.qdiscs.length === 0) return undefined;
  const features = await tcFeatures(host);
  const unsupported = unsupportedBandwidth(bandwidth, features);
  if (unsupported) throw new Error(`bridge ${name} on ${host.label}: ${unsupported}`);
  const caps = tcCapabilitiesFor(features, name);
  const ifbName = typeof caps.ingress === "string" ? undefined : caps.ingress.ifb;
  return { own, features, caps, ifbName, ifb: ifbName ? snapshot.tcOf(ifbName) : undefined, ifbExists: ifbName !== undefined && snapshot.link(ifbName) !== undefined };
}

/** Reads state written by this or an older virtnet (design §3: old state must keep loading). */
export function networkOutputsFromState(props: Props): NetworkOutputs {
  assertStateVersion(props, NETWORK_SCHEMA_VERSION, "network");
  // State written before inline routes existed has none.
  return { routes: [], ...props } as unknown as NetworkOutputs;
}

/**
 * Runs, with every value now known, the rules preview had to defer (gateway reachability through addresses that
 * were unknown), then the checks that need the host. Throws before anything changes.
 */
function preflight(n: NetworkInputs, d: NetworkDesired, snapshot: HostSnapshot, host: Host, managedRoutes: DesiredRoute[]): void {
  const problems = [
    ...networkRuleFailures(n).map((f) => `${f.property}: ${f.reason}`),
    ...networkPreflightProblems(d, snapshot, managedRoutes),
  ];
  if (problems.length > 0) throw new Error(`bridge ${d.name} on ${host.label}: ${problems.join("; ")}`);
}

/** For import, read gets the program's inputs rather than outputs: default them and take the bridge name from the id. */
function outputsForRead(id: string, props: Props): NetworkOutputs {
  if (props.schemaVersion !== undefined) return networkOutputsFromState(props);
  const { __provider: _ignored, ...args } = props;
  const parsed = networkArgsSchema.safeParse(args);
  if (!parsed.success) throw new Error(`cannot import network ${id}: its inputs are not valid: ${parsed.error.issues[0]?.message}`);
  const name = id.slice(id.lastIndexOf("/") + 1);
  return intendedOutputs({ ...parsed.data, mac: parsed.data.mac ?? "" }, name);
}

function bridgeOf(snapshot: HostSnapshot, name: string, host: Host) {
  const link = snapshot.link(name);
  if (link && link.kind !== "bridge") {
    throw new Error(`${name} on ${host.label} is a ${link.kind ?? "plain"} interface, not a bridge; rename the network's bridge or remove that interface`);
  }
  return link;
}

function wantedName(n: NetworkInputs): string {
  return (n.bridge as { name?: string }).name ?? DEFAULT_BRIDGE_TEMPLATE;
}

async function outputsOf(previous: NetworkOutputs, snapshot: HostSnapshot, name: string, host: Host): Promise<Props> {
  const tc = await bridgeTc(host, snapshot, name, previous.bandwidth);
  return stripUndefined(outputsFromObservation(previous, snapshot.link(name)!, snapshot.routes, tc)) as unknown as Props;
}

async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const n = inputs as unknown as NetworkInputs;
  const connection = knownConnection(n.connection, "creating a network");
  const host = hostFor(connection);
  for (let attempt = 1; ; attempt++) {
    const snapshot = await host.observe();
    const name = chooseName({ wanted: wantedName(n), maxId: MAX_BRIDGE_ID, noun: "bridge", importId: (b) => networkId(connection.host, b) }, snapshot, host);
    const intended = intendedOutputs(n, name);
    try {
      const desired = desiredFrom(intended);
      preflight(n, desired, snapshot, host, []);
      const tc = await bridgeTc(host, snapshot, name, desired.bandwidth);
      const after = await host.apply(planNetworkCreate(desired, tc?.caps), `creating bridge ${name}`);
      return { id: networkId(connection.host, name), outs: await outputsOf(intended, after, name, host) };
    } catch (e) {
      // Another process took the auto-chosen name between observation and creation: choose again.
      const raced = e instanceof ApplyError && e.rolledBack && /File exists/.test(e.message);
      if (raced && isNameTemplate(wantedName(n)) && attempt < AUTO_NAME_ATTEMPTS) continue;
      if (e instanceof ApplyError && !e.rolledBack) {
        // The engine stores these as the resource's outputs: they must carry the serialized provider for a
        // later delete, and contain no undefined (the plugin cannot encode it and never answers).
        const properties = { ...stripUndefined(intended), __provider: inputs.__provider } as unknown as Props;
        throw new PartialFailure(e.message, networkId(connection.host, name), properties, [e.message]);
      }
      throw e;
    } finally {
      host.reservedNames.delete(name);
    }
  }
}

async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const previous = outputsForRead(id, props);
  const host = hostFor(knownConnection(previous.connection, `reading network ${id}`));
  const snapshot = await host.observe();
  if (!bridgeOf(snapshot, previous.bridge.name, host)) return { id: "", props: {} };
  return { id, props: await outputsOf(previous, snapshot, previous.bridge.name, host) };
}

async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const previous = networkOutputsFromState(olds);
  const n = news as unknown as NetworkInputs;
  const name = previous.bridge.name;
  const intended = intendedOutputs(n, name);
  const host = hostFor(knownConnection(n.connection, `updating network ${id}`));
  const snapshot = await host.observe();
  const link = bridgeOf(snapshot, name, host);
  const desired = desiredFrom(intended);
  const managedRoutes = link ? previous.routes.map(desiredRoute) : [];
  preflight(n, desired, snapshot, host, managedRoutes);
  // A bridge deleted by hand since the last refresh is simply made again: nothing the user asked for is lost.
  const tc = await bridgeTc(host, snapshot, name, desired.bandwidth);
  const steps = link
    ? planNetworkUpdate(desired, link, snapshot.routes, { mtuManaged: previous.mtu !== undefined, routes: managedRoutes }, tc)
    : planNetworkCreate(desired, tc?.caps);
  const after = steps.length > 0 ? await host.apply(steps, `updating bridge ${name}`) : snapshot;
  return { outs: await outputsOf(intended, after, name, host) };
}

async function remove(id: string, props: Props): Promise<void> {
  const previous = networkOutputsFromState(props);
  const host = hostFor(knownConnection(previous.connection, `deleting network ${id}`));
  const snapshot = await host.observe();
  const link = bridgeOf(snapshot, previous.bridge.name, host);
  // Already gone (deleted by hand, or by an earlier interrupted destroy): nothing to do.
  if (!link) return;
  // Guests of this deployment are deleted first (they depend on the network); any left belong to someone else.
  const guests = [...snapshot.links.values()].filter((l) => l.master === link.name && l.kind === "tun" && l.alias === OWNER_ALIAS).map((l) => l.name);
  if (guests.length > 0) {
    throw new Error(
      `bridge ${link.name} on ${host.label} still has guest interfaces that virtnet manages elsewhere (another stack or program): ${guests.join(", ")}. Delete or move them first`,
    );
  }
  // The ifb a kernel without act_police needed for the outbound limit goes with the bridge.
  const ifb = ifbNameFor(link.name);
  const extra = snapshot.link(ifb)?.alias === OWNER_ALIAS ? [step({ op: "linkDel", name: ifb })] : [];
  await host.apply([...planNetworkDelete(previous.bridge.name), ...extra], `deleting bridge ${previous.bridge.name}`);
}

/** The Network handlers the serialized shim delegates to. */
export const networkHandlers = redactedHandlers({
  check: (olds, news) => checkNetwork(olds, news),
  diff: (_id, olds, news) => diffNetwork(networkOutputsFromState(olds), news as unknown as NetworkInputs),
  create,
  read,
  update,
  delete: remove,
});
