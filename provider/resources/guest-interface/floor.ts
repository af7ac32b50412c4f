// A guest's guaranteed inbound rate on its network's bridge (docs/libvirt-behaviour.md §5.5): class ids, plug, unplug, MAC change.
import type { Bandwidth, Rate } from "../../net/bandwidth";
import type { Operation } from "../../net/operation";
import { classSpecOf, floorIds, kbpsOfBits, quantum, type DeviceTc, type TcCapabilities } from "../../net/tc";
import { filterDestinationMac } from "../../iproute2/parse-tc";
import { classChange, floorClasses } from "../bandwidth/plan";
import { floorClass, floorFilterUpdate, floorPlug, floorUnplug, shapedClass, unguaranteedClass } from "../bandwidth/libvirt-tc";
import { floorProblem } from "../bandwidth/rules";
import type { HostSnapshot } from "../../host/snapshot";

/** A floor as planted on a bridge. */
export interface PluggedFloor {
  bridge: string;
  id: number;
  floor: number;
  mac: string;
}

/** The floor a guest's class and filter on the bridge actually give it, or undefined when either is gone. */
export function observedFloor(bridgeTc: DeviceTc, id: number, guestMac: string): number | undefined {
  const { classId, filterHandle } = floorIds(id);
  const cls = bridgeTc.classes.find((c) => c.classId === classId && c.parent === "1:1");
  const filter = bridgeTc.filters.find((f) => f.handle === filterHandle && f.pref === 2);
  if (!cls || !filter || filter.flowid !== classId || filterDestinationMac(filter) !== guestMac) return undefined;
  return kbpsOfBits(cls.rateBits);
}

/** The floor class whose filter sends frames to this guest's MAC on the bridge (how a plugged floor is found). */
export function floorIdByMac(bridgeTc: DeviceTc, guestMac: string): number | undefined {
  const filter = bridgeTc.filters.find((f) => f.pref === 2 && f.flowid !== undefined && filterDestinationMac(f) === guestMac);
  const id = filter ? parseInt(filter.flowid!.split(":")[1] ?? "", 16) : NaN;
  return Number.isNaN(id) || !bridgeTc.classes.some((c) => c.classId === floorIds(id).classId) ? undefined : id;
}

/** networkNextClassID: the first id from 3 that no class on the bridge and no plug in flight uses. */
export function nextClassId(bridgeTc: DeviceTc, reserved: ReadonlySet<number>): number {
  const used = new Set(bridgeTc.classes.map((c) => parseInt(c.classId.split(":")[1] ?? "", 16)));
  let id = 3;
  while (used.has(id) || reserved.has(id)) id++;
  return id;
}

/** Plugging runs libvirt's Plug, then UpdateRate; a failed plug is undone by the inverses (Unplug's own steps). */
function plug(bridge: string, network: Bandwidth, mac: string, guest: Rate, id: number, floorSum: number, caps: TcCapabilities, observed: DeviceTc): Operation[] {
  return [...floorPlug(bridge, network, mac, guest, id, caps), classChange(bridge, unguaranteedClass(network, floorSum), observed)];
}

/** Unplug, recording the class and filter it removes so that a failed change puts them back. */
function unplug(bridge: string, network: Bandwidth | undefined, id: number, floorSum: number, observed: DeviceTc, guestMac: string): Operation[] {
  const { classId, qdisc } = floorIds(id);
  const cls = observed.classes.find((c) => c.classId === classId);
  const held = observed.qdiscs.find((q) => q.handle === qdisc);
  const ops = floorUnplug(bridge, id).map((o): Operation => {
    if (o.op === "classDel" && cls) return { ...o, from: classSpecOf(cls, quantum(network?.inbound?.average)) };
    if (o.op === "filterDelFloor") return { ...o, from: { kind: "floorMac", id, mac: guestMac } };
    if (o.op === "qdiscDel" && held && (held.kind === "sfq" || held.kind === "pfifo")) return { ...o, restore: [{ op: "qdiscAdd", dev: bridge, qdisc: { kind: held.kind, parent: classId, handle: qdisc } }] };
    return o;
  });
  const rate = network?.inbound?.average !== undefined ? [classChange(bridge, unguaranteedAfter(network, floorSum), observed)] : [];
  return [...ops, ...rate];
}

/**
 * Class 1:2 after the floors change: what the floors leave of the peak (or average). When the last floor goes it
 * returns to what the network's set created (average, peak, burst); libvirt leaves it at the peak without its
 * burst, so its state would depend on history.
 */
function unguaranteedAfter(network: Bandwidth, floorSum: number) {
  const inbound = network.inbound!;
  return floorSum > 0 ? unguaranteedClass(network, floorSum) : shapedClass({ ...inbound, average: inbound.average! }, true);
}

export interface FloorPlanInput {
  /** The floor now wanted, with the guest's inbound rate (the quantum comes from its average). */
  want?: { bridge: string; rate: Rate; network: Bandwidth | undefined; caps: TcCapabilities };
  /** The floor the previous state planted, and the network it was planted under. */
  previous?: PluggedFloor & { network: Bandwidth | undefined };
  guestMac: string;
  tcOf: (bridge: string) => DeviceTc;
  reserved: ReadonlySet<number>;
  /**
   * Floor changes other resources of this process planned and have not applied yet, by bridge and class id (the
   * floor, or null when unplugged): counted as if applied, so concurrent plugs share one wave instead of a lock.
   */
  pending?: FloorLedger;
  what: string;
}

export type FloorLedger = ReadonlyMap<string, ReadonlyMap<number, number | null>>;

/** Floors on a bridge as observed, with the changes still in flight applied over them. */
function floorsWithPending(tc: DeviceTc, pending: ReadonlyMap<number, number | null> | undefined): { id: number; floor: number }[] {
  const floors = new Map(floorClasses(tc).map((f) => [f.id, f.floor]));
  for (const [id, floor] of pending ?? []) {
    if (floor === null) floors.delete(id);
    else floors.set(id, floor);
  }
  return [...floors].map(([id, floor]) => ({ id, floor }));
}

/** The steps from the previous floor to the wanted one, and the class id the guest holds afterwards. */
export function planFloor(p: FloorPlanInput): { steps: Operation[]; id?: number } {
  const { want, previous, guestMac } = p;
  const steps: Operation[] = [];
  const others = (bridge: string, exceptId?: number) =>
    floorsWithPending(p.tcOf(bridge), p.pending?.get(bridge))
      .filter((f) => f.id !== exceptId)
      .reduce((sum, f) => sum + f.floor, 0);
  const stays = want && previous && want.bridge === previous.bridge;
  if (previous && !stays) steps.push(...unplug(previous.bridge, previous.network, previous.id, others(previous.bridge, previous.id), p.tcOf(previous.bridge), previous.mac));
  if (!want) return { steps };
  const floor = want.rate.floor!;
  const problem = floorProblem(floor, want.network, others(want.bridge, stays ? previous!.id : undefined), p.what);
  if (problem) throw new Error(problem);
  const network = want.network!;
  const sum = others(want.bridge, stays ? previous!.id : undefined) + floor;
  if (!stays) {
    const inFlight = [...(p.pending?.get(want.bridge)?.keys() ?? [])];
    const id = nextClassId(p.tcOf(want.bridge), new Set([...p.reserved, ...inFlight]));
    return { steps: [...steps, ...plug(want.bridge, network, guestMac, want.rate, id, sum, want.caps, p.tcOf(want.bridge))], id };
  }
  const id = previous!.id;
  const held = observedFloor(p.tcOf(want.bridge), id, previous!.mac);
  const classThere = p.tcOf(want.bridge).classes.some((c) => c.classId === floorIds(id).classId);
  const bridgeTc = p.tcOf(want.bridge);
  if (!classThere) return { steps: plug(want.bridge, network, guestMac, want.rate, id, sum, want.caps, bridgeTc), id };
  if (held !== floor) steps.push(classChange(want.bridge, floorClass(network, floor, id), bridgeTc), classChange(want.bridge, unguaranteedClass(network, sum), bridgeTc));
  // A new guest MAC (or a filter lost by hand): only this guest's filter is deleted and added back, never 800::.
  if (held === undefined || previous!.mac !== guestMac) {
    const filterThere = bridgeTc.filters.some((f) => f.handle === floorIds(id).filterHandle);
    steps.push(...floorFilterUpdate(want.bridge, guestMac, id, filterThere ? previous!.mac : undefined));
  }
  return { steps, id };
}

/** The floor the recorded state planted: its class id and bridge. */
export function planted(o: { floorClassId?: number; floorBridge?: string } | undefined): { id: number; bridge: string } | undefined {
  return o?.floorClassId !== undefined && o.floorBridge !== undefined ? { id: o.floorClassId, bridge: o.floorBridge } : undefined;
}

/** Where the guest's floor is plugged now: found by its MAC filter, else the recorded class while it exists. */
export function floorRecord(snapshot: HostSnapshot, n: { bridge: string; mac?: string }, previous: { floorClassId?: number; floorBridge?: string } | undefined) {
  const found = floorIdByMac(snapshot.tcOf(n.bridge), n.mac ?? "");
  if (found !== undefined) return { id: found, bridge: n.bridge };
  const was = planted(previous);
  return was && snapshot.tcOf(was.bridge).classes.some((c) => c.classId === floorIds(was.id).classId) ? was : undefined;
}


/**
 * The floor changes a plan makes, as the ledger records them until its apply is over: a floor class added or changed
 * under a bridge's 1:1 (its floor), or deleted (null). Returns how to take them out again.
 */
export function reserveFloors(ledger: Map<string, Map<number, number | null>>, ops: readonly Operation[]): () => void {
  const entries: [string, number][] = [];
  const note = (bridge: string, classId: string, floor: number | null) => {
    const id = parseInt(classId.split(":")[1] ?? "", 16);
    if (Number.isNaN(id) || id < 3) return;
    const byId = ledger.get(bridge) ?? new Map<number, number | null>();
    ledger.set(bridge, byId);
    byId.set(id, floor);
    entries.push([bridge, id]);
  };
  for (const o of ops) {
    if ((o.op === "classAdd" || o.op === "classChange") && o.cls.parent === "1:1") note(o.dev, o.cls.classId, o.cls.rateKbps);
    if (o.op === "classDel") note(o.dev, o.classId, null);
  }
  return () => {
    for (const [bridge, id] of entries) ledger.get(bridge)?.delete(id);
  };
}
