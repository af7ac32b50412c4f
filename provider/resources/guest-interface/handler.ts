// GuestInterface lifecycle: observe the host, plan the tap and its bridge port, apply in one exec, observe again.
import { connectionSecrets } from "../../connection/connection";
import { knownConnection } from "../../connection/known-connection";
import { chooseName } from "../../host/choose-name";
import type { Host } from "../../host/host";
import { hostFor } from "../../host/host-pool";
import type { HostSnapshot } from "../../host/snapshot";
import { withRedaction } from "../../resource-error";
import { assertStateVersion } from "../../schema/state-version";
import { stripUndefined, type CheckResult } from "../network/check";
import type { DiffResult } from "../network/diff";
import { checkGuestInterface } from "./check";
import { diffGuestInterface } from "./diff";
import { DEFAULT_TAP_TEMPLATE, guestDesired, guestOutputsFromObservation } from "./model";
import { planGuestCreate, planGuestDelete, planGuestUpdate } from "./plan";
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

function outputsOf(n: GuestInterfaceInputs, name: string, snapshot: HostSnapshot): Props {
  return stripUndefined(guestOutputsFromObservation(n, name, snapshot.link(name)!, snapshot.fdb.get(name) ?? [])) as unknown as Props;
}

async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const n = inputs as unknown as GuestInterfaceInputs;
  const connection = knownConnection(n.connection, "creating a guest interface");
  const host = hostFor(connection);
  const snapshot = await host.observe();
  const name = chooseName(
    { wanted: (n.name as string | undefined) ?? DEFAULT_TAP_TEMPLATE, maxId: MAX_TAP_ID, noun: "tap", importId: (t) => guestInterfaceId(connection.host, t) },
    snapshot,
    host,
  );
  try {
    const mtu = bridgeMtu(n, snapshot, host, name);
    const after = await host.apply(planGuestCreate(guestDesired(n, name), mtu), `creating guest interface ${name} on ${n.bridge}`);
    return { id: guestInterfaceId(connection.host, name), outs: outputsOf(n, name, after) };
  } finally {
    host.reservedNames.delete(name);
  }
}

async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const previous = fromState(olds);
  const n = news as unknown as GuestInterfaceInputs;
  const host = hostFor(knownConnection(n.connection, `updating guest interface ${id}`));
  const snapshot = await host.observe();
  const name = previous.name;
  const mtu = bridgeMtu(n, snapshot, host, name);
  const link = snapshot.link(name);
  const desired = guestDesired(n, name);
  // A tap deleted by hand since the last refresh is made again.
  const steps = link ? planGuestUpdate(desired, link, snapshot.fdb.get(name) ?? [], { guestMac: previous.mac }) : planGuestCreate(desired, mtu);
  const after = steps.length > 0 ? await host.apply(steps, `updating guest interface ${name}`) : snapshot;
  return { outs: outputsOf(n, name, after) };
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
  return { id, props: outputsOf(n, name, snapshot) };
}

async function remove(id: string, props: Props): Promise<void> {
  const previous = fromState(props);
  const host = hostFor(knownConnection(previous.connection, `deleting guest interface ${id}`));
  if (!(await host.observe()).link(previous.name)) return;
  await host.apply(planGuestDelete(previous.name), `deleting guest interface ${previous.name}`);
}

function secretsOf(props: Props): string[] {
  return connectionSecrets(props.connection as Parameters<typeof connectionSecrets>[0]);
}

/** The GuestInterface handlers the serialized shim delegates to. */
export const guestInterfaceHandlers = {
  check: (olds: Props, news: Props): Promise<CheckResult> => withRedaction(secretsOf(news), async () => checkGuestInterface(olds, news)),
  diff: (_id: string, olds: Props, news: Props): Promise<DiffResult> =>
    withRedaction(secretsOf(news), async () => diffGuestInterface(fromState(olds), news as unknown as GuestInterfaceInputs)),
  create: (inputs: Props) => withRedaction(secretsOf(inputs), () => create(inputs)),
  read: (id: string, props: Props) => withRedaction(secretsOf(props), () => read(id, props)),
  update: (id: string, olds: Props, news: Props) => withRedaction([...secretsOf(olds), ...secretsOf(news)], () => update(id, olds, news)),
  delete: (id: string, props: Props) => withRedaction(secretsOf(props), () => remove(id, props)),
};
