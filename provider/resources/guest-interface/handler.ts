// GuestInterface lifecycle: observe the host, plan the tap and its bridge port, apply in one exec, observe again.
import { knownConnection } from "../../connection/known-connection";
import { chooseName } from "../../host/choose-name";
import type { Host } from "../../host/host";
import { hostFor } from "../../host/host-pool";
import type { HostSnapshot } from "../../host/snapshot";
import { redactedHandlers } from "../../resource-error";
import { assertStateVersion } from "../../schema/state-version";
import { stripUndefined } from "../network/check";
import { checkGuestInterface } from "./check";
import { diffGuestInterface } from "./diff";
import { DEFAULT_TAP_TEMPLATE, guestDesired, guestOutputsFromObservation } from "./model";
import { planGuestCreate, planGuestDelete, planGuestUpdate } from "./plan";
import { observedFloor, planFloor } from "./floor";
import type { GuestTc } from "./model";
import type { Bandwidth } from "../bandwidth/schema";
import { bandwidthMatches, observedBandwidth, unsupportedBandwidth } from "../bandwidth/observe";
import { planBandwidthClear, planBandwidthSet, tcSteps } from "../bandwidth/plan";
import { tcCapabilitiesFor, tcFeatures } from "../../host/tc-capabilities";
import { ifbNameFor, renderInterfaceRateChange, type TcCapabilities } from "../../iproute2/render-bandwidth";
import { OWNER_ALIAS } from "../../net/owner-alias";
import { step, type PlanStep } from "../../plan/operation";
import { GUEST_INTERFACE_SCHEMA_VERSION, guestInterfaceArgsSchema, type GuestInterfaceInputs, type GuestInterfaceOutputs } from "./schema";

type Props = Record<string, unknown>;

/** libvirt gives up after 10000 vnet names (spec §4.2). */
const MAX_TAP_ID = 9999;

export function guestInterfaceId(host: string, tap: string): string {
  return `${host}/${tap}`;
}

function fromState(props: Props): GuestInterfaceOutputs {
  assertStateVersion(props, GUEST_INTERFACE_SCHEMA_VERSION, "guest interface");
  return props as unknown as GuestInterfaceOutputs;
}

/** The bridge the tap joins must exist and be a bridge; its MTU is the tap's default (spec §4.4). */
function bridgeMtu(n: GuestInterfaceInputs, snapshot: HostSnapshot, host: Host, tap: string): number {
  const bridge = snapshot.link(n.bridge as string);
  if (!bridge || bridge.kind !== "bridge") {
    throw new Error(`guest interface ${tap} on ${host.label}: ${n.bridge} ${bridge ? "is not a bridge" : "does not exist"}; create its network first`);
  }
  return bridge.mtu;
}

/** The tap's tc and its floor as observed, with how to render for this host; undefined when no bandwidth is involved. */
async function guestTc(host: Host, snapshot: HostSnapshot, n: GuestInterfaceInputs, name: string, floor?: { id: number; bridge: string }): Promise<(GuestTc & { tapCaps: TcCapabilities; bridgeCaps: TcCapabilities; ifbName?: string; ifbExists: boolean }) | undefined> {
  const bandwidth = n.bandwidth as Bandwidth | undefined;
  const tap = snapshot.tcOf(name);
  if (!bandwidth && tap.qdiscs.length === 0 && !floor) return undefined;
  const features = await tcFeatures(host);
  const unsupported = unsupportedBandwidth(bandwidth, features);
  if (unsupported) throw new Error(`guest interface ${name} on ${host.label}: ${unsupported}`);
  const tapCaps = tcCapabilitiesFor(features, name);
  const ifbName = typeof tapCaps.ingress === "string" ? undefined : tapCaps.ingress.ifb;
  return {
    tap,
    ifb: ifbName ? snapshot.tcOf(ifbName) : undefined,
    features,
    tapCaps,
    bridgeCaps: tcCapabilitiesFor(features, n.bridge as string),
    ifbName,
    ifbExists: ifbName !== undefined && snapshot.link(ifbName) !== undefined,
    floor: floor ? observedFloor(snapshot.tcOf(floor.bridge), floor.id, n.mac as string) : undefined,
    floorClassId: floor?.id,
    floorBridge: floor?.bridge,
  };
}

async function outputsOf(host: Host, n: GuestInterfaceInputs, name: string, snapshot: HostSnapshot, floor?: { id: number; bridge: string }): Promise<Props> {
  const tc = await guestTc(host, snapshot, n, name, floor);
  return stripUndefined(guestOutputsFromObservation(n, name, snapshot.link(name)!, snapshot.fdb.get(name) ?? [], tc)) as unknown as Props;
}

/** The tap's own bandwidth: nothing while the kernel matches, a class change for new inbound rates, else libvirt's set. */
function planTapBandwidth(name: string, bw: Bandwidth | undefined, tc: NonNullable<Awaited<ReturnType<typeof guestTc>>> | undefined, recreated: boolean): PlanStep[] {
  if (!tc) return [];
  const observed = recreated ? {} : observedBandwidth(tc.tap, tc.ifb, false);
  if (bandwidthMatches(bw, observed)) return [];
  if (!bw?.inbound?.average && !bw?.outbound) return planBandwidthClear(name, tc.ifbExists ? tc.ifbName : undefined);
  if (observed.inbound && bw.inbound?.average !== undefined && bandwidthMatches({ outbound: bw.outbound }, { outbound: observed.outbound })) {
    return tcSteps([renderInterfaceRateChange(name, bw.inbound)]);
  }
  return planBandwidthSet(name, bw, false, tc.tapCaps, tc.ifbExists && !recreated);
}

function wantedFloor(n: GuestInterfaceInputs, tc: { bridgeCaps: TcCapabilities } | undefined) {
  const rate = (n.bandwidth as Bandwidth | undefined)?.inbound;
  if (rate?.floor === undefined || !tc) return undefined;
  return { bridge: n.bridge as string, rate, network: n.networkBandwidth as Bandwidth | undefined, caps: tc.bridgeCaps };
}

/** Floors read and change the bridge's shared classes: one floor change at a time per host (design §5). */
function withFloorLock<T>(host: Host, involved: boolean, body: () => Promise<T>): Promise<T> {
  return involved ? host.exclusive("floor", body) : body();
}

async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const n = inputs as unknown as GuestInterfaceInputs;
  const connection = knownConnection(n.connection, "creating a guest interface");
  const host = hostFor(connection);
  const hasFloor = (n.bandwidth as Bandwidth | undefined)?.inbound?.floor !== undefined;
  return withFloorLock(host, hasFloor, async () => {
    const snapshot = await host.observe();
    const name = chooseName(
      { wanted: (n.name as string | undefined) ?? DEFAULT_TAP_TEMPLATE, maxId: MAX_TAP_ID, noun: "tap", importId: (t) => guestInterfaceId(connection.host, t) },
      snapshot,
      host,
    );
    try {
      const mtu = bridgeMtu(n, snapshot, host, name);
      const tc = await guestTc(host, snapshot, n, name);
      // The network port (its floor) is plugged before the tap exists, as libvirt allocates the port first (spec §4.5).
      const floor = planFloor({ want: wantedFloor(n, tc), guestMac: n.mac as string, tcOf: (b) => snapshot.tcOf(b), reserved: new Set(), what: `guest interface ${name}` });
      const steps = [...floor.steps, ...planGuestCreate(guestDesired(n, name), mtu), ...planTapBandwidth(name, n.bandwidth as Bandwidth | undefined, tc, true)];
      const after = await host.apply(steps, `creating guest interface ${name} on ${n.bridge}`);
      const planted = floor.id !== undefined ? { id: floor.id, bridge: n.bridge as string } : undefined;
      return { id: guestInterfaceId(connection.host, name), outs: await outputsOf(host, n, name, after, planted) };
    } finally {
      host.reservedNames.delete(name);
    }
  });
}

async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const previous = fromState(olds);
  const n = news as unknown as GuestInterfaceInputs;
  const host = hostFor(knownConnection(n.connection, `updating guest interface ${id}`));
  const hadFloor = previous.floorClassId !== undefined && previous.floorBridge !== undefined;
  const hasFloor = (n.bandwidth as Bandwidth | undefined)?.inbound?.floor !== undefined;
  return withFloorLock(host, hadFloor || hasFloor, async () => {
    const snapshot = await host.observe();
    const name = previous.name;
    const mtu = bridgeMtu(n, snapshot, host, name);
    const link = snapshot.link(name);
    const desired = guestDesired(n, name);
    const planted = hadFloor ? { id: previous.floorClassId!, bridge: previous.floorBridge! } : undefined;
    const tc = await guestTc(host, snapshot, n, name, planted);
    const floor = planFloor({
      want: wantedFloor(n, tc),
      previous: planted && { ...planted, floor: previous.bandwidth?.inbound?.floor ?? 0, mac: previous.mac, network: previous.networkBandwidth as Bandwidth | undefined },
      guestMac: desired.guestMac,
      tcOf: (b) => snapshot.tcOf(b),
      reserved: new Set(),
      what: `guest interface ${name}`,
    });
    // A tap deleted by hand since the last refresh is made again.
    const tapSteps = link ? planGuestUpdate(desired, link, snapshot.fdb.get(name) ?? [], { guestMac: previous.mac }) : planGuestCreate(desired, mtu);
    const steps = [...floor.steps, ...tapSteps, ...planTapBandwidth(name, n.bandwidth as Bandwidth | undefined, tc, !link)];
    const after = steps.length > 0 ? await host.apply(steps, `updating guest interface ${name}`) : snapshot;
    return { outs: await outputsOf(host, n, name, after, floor.id !== undefined ? { id: floor.id, bridge: n.bridge as string } : undefined) };
  });
}

/** For import, read gets the program's inputs: default them and take the tap name from the id. */
function previousForRead(id: string, props: Props): { n: GuestInterfaceInputs; name: string } {
  if (props.schemaVersion !== undefined) {
    const o = fromState(props);
    return { n: o as unknown as GuestInterfaceInputs, name: o.name };
  }
  const { __provider: _ignored, ...args } = props;
  const parsed = guestInterfaceArgsSchema.safeParse(args);
  if (!parsed.success) throw new Error(`cannot import guest interface ${id}: its inputs are not valid: ${parsed.error.issues[0]?.message}`);
  // The tap's MAC has lost the guest's first byte (spec §4.3), so the guest MAC must come from the program.
  if (parsed.data.mac === undefined) throw new Error(`cannot import guest interface ${id}: give the guest's mac (the tap's own MAC does not tell it)`);
  return { n: parsed.data, name: id.slice(id.lastIndexOf("/") + 1) };
}

async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const { n, name } = previousForRead(id, props);
  const host = hostFor(knownConnection(n.connection, `reading guest interface ${id}`));
  const snapshot = await host.observe();
  const link = snapshot.link(name);
  if (!link) return { id: "", props: {} };
  const o = props as Partial<GuestInterfaceOutputs>;
  const planted = o.floorClassId !== undefined && o.floorBridge !== undefined ? { id: o.floorClassId, bridge: o.floorBridge } : undefined;
  return { id, props: await outputsOf(host, n, name, snapshot, planted) };
}

async function remove(id: string, props: Props): Promise<void> {
  const previous = fromState(props);
  const host = hostFor(knownConnection(previous.connection, `deleting guest interface ${id}`));
  const hadFloor = previous.floorClassId !== undefined && previous.floorBridge !== undefined;
  await withFloorLock(host, hadFloor, async () => {
    const snapshot = await host.observe();
    const unplug = hadFloor
      ? planFloor({
          previous: { id: previous.floorClassId!, bridge: previous.floorBridge!, floor: 0, mac: previous.mac, network: previous.networkBandwidth as Bandwidth | undefined },
          guestMac: previous.mac,
          tcOf: (b) => snapshot.tcOf(b),
          reserved: new Set(),
          what: `guest interface ${previous.name}`,
        }).steps
      : [];
    const ifb = ifbNameFor(previous.name);
    const extra = snapshot.link(ifb)?.alias === OWNER_ALIAS ? [step({ op: "linkDel", name: ifb })] : [];
    const tap = snapshot.link(previous.name) ? planGuestDelete(previous.name) : [];
    const steps = [...unplug, ...tap, ...extra];
    if (steps.length > 0) await host.apply(steps, `deleting guest interface ${previous.name}`);
  });
}

/** The GuestInterface handlers the serialized shim delegates to. */
export const guestInterfaceHandlers = redactedHandlers({
  check: (olds, news) => checkGuestInterface(olds, news),
  diff: (_id, olds, news) => diffGuestInterface(fromState(olds), news as unknown as GuestInterfaceInputs),
  create,
  read,
  update,
  delete: remove,
});
