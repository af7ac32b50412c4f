// The one lifecycle every resource shares (docs/architecture.md §3.1): check and diff with Pulumi's unknowns; create,
// read, update and delete with resolved inputs, each as observe → plan → apply in one exec → read back. A resource
// declares only what is its own (ResourceType); this file owns state versions, name reservation, name races,
// stale-plan retries, partial failures and the scrubbing of secrets from everything thrown. Existing objects are
// taken over by a create with `adopt: true`, never by a read: see `read`.
import { ApplyError, ApplyInterrupted, type Host } from "../host/host";
import { hostFor } from "../host/host-pool";
import type { HostSnapshot } from "../host/snapshot";
import { chooseName } from "../host/choose-name";
import { isNameTemplate } from "../net/interface-name";
import { ownership } from "../net/owner-alias";
import type { Operation } from "../net/operation";
import type { Connection } from "../connection/connection";
import { resolveKnown, type Known } from "../known";
import { PartialFailure, redactedHandlers } from "./resource-error";
import type { CheckResult } from "../schema/check-failures";
import { assertStateVersion } from "../schema/state-version";
import { stripUndefined } from "../strip-undefined";
import { diffByPolicy, type FieldPolicy } from "./field-policy";

type Props = Record<string, unknown>;

/** Everything a plan or an observation of one resource may look at. */
export interface ApplyContext<R, O, X, P = undefined> {
  host: Host;
  snapshot: HostSnapshot;
  /** The object's name on the host (a bridge or tap); "" for a resource named by what it routes. */
  name: string;
  /** The resolved inputs; on read, what the recorded outputs describe. Absent when deleting. */
  desired?: R;
  /** The recorded outputs. Absent when creating. */
  previous?: O;
  /** What `observe` found beyond the snapshot (such as the host's tc features). */
  extra: X;
  /** What `probe` started beside the snapshot; absent after an apply, whose observation is of what it left. */
  probes?: P;
}

export interface ResourceType<I, O, X = undefined, P = undefined> {
  /** How messages name the resource kind ("network"). */
  noun: string;
  schemaVersion: number;
  check(olds: Props, news: Props): CheckResult;
  /** The diff table, comparing recorded outputs with checked inputs (which may hold unknowns). */
  policy: readonly FieldPolicy<O, I>[];
  /** State written by this or an older version, as this version's outputs (old state must keep loading). */
  load?(props: Props): O;
  /** The resolved inputs that recorded outputs describe (read and delete know nothing else). */
  intended(o: O): Known<I>;
  /** Naming of a created object: an explicit name or a template with %d (bridges and taps), and its owner. */
  naming?: {
    wanted(r: Known<I>): string;
    owner(r: Known<I>): string | undefined;
    adopt(r: Known<I>): boolean;
    /** The object exists outside virtnet and is only used (a host bridge): its name is taken as given, never chosen or reserved. */
    external?(r: Known<I>): boolean;
    maxId: number;
    noun: string;
  };
  /** The name of the recorded object. */
  nameOf(o: O): string;
  id(host: string, r: Known<I>, name: string): string;
  /**
   * Records, until the apply is over, what the plan takes of state shared with other resources of this process (a
   * bridge's floor classes), so that their plans in the same wave count it; returns how to release it.
   */
  reserve?(c: ApplyContext<Known<I>, O, X, P>, ops: readonly Operation[]): () => void;
  /**
   * Starts the probes the plan will need (the host's tc features, its dnsmasq) beside the snapshot: submitted in the
   * same turn, they share its exec instead of costing one more round trip after it (docs/architecture.md §5).
   * `observe` receives them as `probes`. A probe it may leave unused must not reject unhandled. `planning` is false
   * on read, which plans nothing.
   */
  probe?(host: Host, desired: Known<I> | undefined, previous: O | undefined, planning: boolean): P;
  /** What the plan needs beyond the snapshot (probed once per host and cached where possible). */
  observe(c: ApplyContext<Known<I>, O, undefined, P>): Promise<X>;
  /** Pure: the operations from the observed state to the desired one; throws on a host-side problem. */
  plan(c: ApplyContext<Known<I>, O, X, P>): Operation[];
  /** Outputs from observation, phrased as the inputs wherever the kernel agrees; undefined when the object is gone. */
  outputs(c: ApplyContext<Known<I>, O, X, P> & { desired: Known<I> }): O | undefined;
  /** Outputs as the inputs describe them, for a create that failed half-way (the engine records what exists). */
  recorded(r: Known<I>, name: string): O;
}

/**
 * A plan made from an observation another change overtook (an interrupted run's apply still queued on the host's
 * lock, another stack) fails on an object that is no longer, or already, there, and is undone; observed again, it is
 * planned again, a bounded number of times. Any other refusal is the user's to see at once.
 */
const STALE_PLAN_ATTEMPTS = 3;
const STALE = /No such process|Cannot find device|File exists|No such file or directory|Device or resource busy/;

/**
 * Runs `body` again while it fails with an apply the host undid on a stale view; the last failure is thrown. `again`
 * is true on a second attempt and later, which must plan from a whole observation.
 */
async function replanning<T>(body: (again: boolean) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await body(attempt > 1);
    } catch (e) {
      if (!(e instanceof ApplyError && e.rolledBack && STALE.test(e.message)) || attempt >= STALE_PLAN_ATTEMPTS) throw e;
    }
  }
}

/** A name taken from a template may be taken by another process between observation and creation: choose again. */
const NAME_RACE_ATTEMPTS = 12;

/** The Pulumi handlers of a resource type, with secrets scrubbed from whatever they throw. */
export function lifecycle<I extends { connection: unknown }, O extends { connection: unknown }, X, P = undefined>(t: ResourceType<I, O, X, P>) {
  const load = (props: Props): O => {
    assertStateVersion(props, t.schemaVersion, t.noun);
    return t.load ? t.load(props) : (props as unknown as O);
  };
  const connect = (c: unknown, what: string): Host => hostFor(resolveKnown(c, what) as Connection);

  type Base = Omit<ApplyContext<Known<I>, O, undefined, P>, "extra">;

  /**
   * The host's snapshot, with the probes the resource's plan will need submitted in the same turn, so that they share
   * its exec (docs/architecture.md §5). `planning` is false on read. `whole`: after a plan failed on what the
   * snapshot did not show, from a whole observation, never a read-back patched into an older one.
   */
  async function observeWithProbes(host: Host, desired: Known<I> | undefined, previous: O | undefined, planning: boolean, whole = false): Promise<{ snapshot: HostSnapshot; probes: P | undefined }> {
    const probes = t.probe?.(host, desired, previous, planning);
    return { snapshot: await host.observe(whole), probes };
  }

  /** Plans from the observation and applies (holding the plan's reservations meanwhile); the state it leads to. */
  async function planAndApply(base: Base, what: string): Promise<HostSnapshot> {
    const c = { ...base, extra: undefined };
    const full = { ...c, extra: await t.observe(c) };
    const ops = t.plan(full);
    const release = t.reserve?.(full, ops);
    try {
      return ops.length > 0 ? await base.host.apply(ops, `${what} ${t.noun} ${base.name}`.trimEnd()) : base.snapshot;
    } finally {
      release?.();
    }
  }

  /** Create or update: plan, apply, and the outputs the resulting state shows. */
  async function run(base: Base & { desired: Known<I> }, what: string): Promise<O | undefined> {
    const after = { ...base, snapshot: await planAndApply(base, what), extra: undefined, probes: undefined };
    return t.outputs({ ...after, extra: await t.observe(after) });
  }

  async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
    const r = resolveKnown(inputs as unknown as I, `creating a ${t.noun}`);
    const host = connect(r.connection, `creating a ${t.noun}`);
    const hostName = (r.connection as Connection).host;
    for (let attempt = 1; ; attempt++) {
      const { snapshot, probes } = await observeWithProbes(host, r, undefined, true, attempt > 1);
      const wanted = t.naming?.wanted(r);
      const external = t.naming?.external?.(r) === true;
      const chosen = !t.naming
        ? { name: "", adopted: false }
        : external
          ? { name: wanted!, adopted: false }
          : chooseName({ ...t.naming, wanted: wanted!, owner: t.naming.owner(r), adopt: t.naming.adopt(r) }, snapshot, host);
      const name = chosen.name;
      const id = t.id(hostName, r, name);
      try {
        // What an interrupted create of this resource left is converged like a recorded object.
        const previous = chosen.adopted ? t.recorded(r, name) : undefined;
        const outputs = await run({ host, snapshot, name, desired: r, previous, probes }, "creating");
        return { id, outs: stripUndefined(outputs ?? t.recorded(r, name)) as unknown as Props };
      } catch (e) {
        const raced = e instanceof ApplyError && e.rolledBack && /File exists|Device or resource busy/.test(e.message);
        if (raced && wanted !== undefined && isNameTemplate(wanted) && attempt < NAME_RACE_ATTEMPTS) {
          // Another process has the name now, whether or not the next observation already shows it.
          host.takenNames.add(name);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
          continue;
        }
        if ((e instanceof ApplyError && !e.rolledBack) || e instanceof ApplyInterrupted) {
          // The engine stores these as the resource's outputs: they must carry the serialized provider for a later
          // delete, and contain no undefined (the plugin cannot encode it and never answers).
          // `interruptedCreate` marks state no observation has confirmed: the next update may find its name taken.
          const properties = { ...stripUndefined(t.recorded(r, name)), interruptedCreate: true, __provider: inputs.__provider } as unknown as Props;
          throw new PartialFailure(e.message, id, properties, [e.message]);
        }
        throw e;
      } finally {
        if (!external) host.reservedNames.delete(name);
      }
    }
  }

  /**
   * Read refreshes what virtnet recorded (every state it writes carries a schemaVersion). It never looks an object up
   * by id: `pulumi import` cannot work with a dynamic provider, whose Read the engine calls with only the URN and id,
   * so the plugin has no serialized provider to load (pulumi/pulumi#16175); and a read by id with the program's
   * arguments would record an object that no create ever converged or marked. Taking over is a create's job.
   */
  function recordedState(id: string, props: Props): O {
    if (props.schemaVersion === undefined) {
      throw new Error(
        `cannot read ${t.noun} ${id}: virtnet reads only the state it recorded, and pulumi import or a read by id is not supported for a dynamic provider (pulumi/pulumi#16175). To manage an existing ${t.noun}, declare the resource with adopt: true: its create takes the ${t.noun} over, converges and marks it`,
      );
    }
    return load(props);
  }

  async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
    const previous = recordedState(id, props);
    const host = connect(previous.connection, `reading ${t.noun} ${id}`);
    const desired = t.intended(previous);
    const base = { host, ...(await observeWithProbes(host, desired, previous, false)), name: t.nameOf(previous), desired, previous, extra: undefined };
    const outputs = t.outputs({ ...base, extra: await t.observe(base) });
    // Gone (deleted by hand, or by an interrupted destroy): the engine plans a create.
    return outputs ? { id, props: stripUndefined(outputs) as unknown as Props } : { id: "", props: {} };
  }

  /**
   * A create cut off before its host ran it leaves a recorded name and no object; a create of another resource may
   * then have taken that name. Such a resource, updated (as the engine updates any resource whose create failed to
   * initialize), takes a free name of its template, as its create would have: never the other resource's object.
   */
  function nameForUpdate(previous: O, r: Known<I>, snapshot: HostSnapshot, host: Host): { name: string; reserved?: string } {
    const recorded = t.nameOf(previous);
    const naming = t.naming;
    const interrupted = (previous as { interruptedCreate?: boolean }).interruptedCreate === true;
    if (!naming || naming.external?.(r) === true || !interrupted) return { name: recorded };
    const wanted = naming.wanted(r);
    if (!isNameTemplate(wanted)) return { name: recorded };
    // Taken: made by another resource since, or handed to a create of this process whose apply is still to come.
    const link = snapshot.link(recorded);
    if ((link && ownership(link.alias, naming.owner(r)) === "other") || host.reservedNames.has(recorded)) {
      const name = chooseName({ ...naming, wanted, owner: naming.owner(r), adopt: false }, snapshot, host).name;
      return { name, reserved: name };
    }
    // Still free: kept from the creates of this process until the update is over.
    host.reservedNames.add(recorded);
    return { name: recorded, reserved: recorded };
  }

  async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    const previous = load(olds);
    const r = resolveKnown(news as unknown as I, `updating ${t.noun} ${id}`);
    const host = connect(r.connection, `updating ${t.noun} ${id}`);
    let name = t.nameOf(previous);
    const reservations: string[] = [];
    try {
      const outputs = await replanning(async (again) => {
        const { snapshot, probes } = await observeWithProbes(host, r, previous, true, again);
        const chosen = nameForUpdate(previous, r, snapshot, host);
        name = chosen.name;
        if (chosen.reserved) reservations.push(chosen.reserved);
        return run({ host, snapshot, name, desired: r, previous, probes }, "updating");
      });
      return { outs: stripUndefined(outputs ?? t.recorded(r, name)) as unknown as Props };
    } finally {
      for (const n of reservations) host.reservedNames.delete(n);
    }
  }

  async function remove(id: string, props: Props): Promise<void> {
    const previous = load(props);
    const host = connect(previous.connection, `deleting ${t.noun} ${id}`);
    await replanning(async (again) => planAndApply({ host, ...(await observeWithProbes(host, undefined, previous, true, again)), name: t.nameOf(previous), previous }, "deleting"));
  }

  return redactedHandlers({
    check: (olds, news) => t.check(olds, news),
    diff: (_id, olds, news) => diffByPolicy(t.policy, load(olds), news as unknown as I),
    create,
    read,
    update,
    delete: remove,
  });
}
