// A guest's guaranteed inbound rate on its network's bridge (spec §5.5): class ids, plug, unplug, MAC change.
import type { DeviceTc } from "../../host/snapshot";
import { filterDestinationMac } from "../../iproute2/parse-tc";
import {
  floorIds,
  renderFloorChange,
  renderFloorFilterUpdate,
  renderFloorPlug,
  renderFloorUnplug,
  renderUnguaranteedRate,
  type TcCapabilities,
} from "../../iproute2/render-bandwidth";
import type { PlanStep } from "../../plan/operation";
import { floorClasses, tcSteps } from "../bandwidth/plan";
import { floorProblem } from "../bandwidth/rules";
import type { Bandwidth, Rate } from "../bandwidth/schema";

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
  return Math.round(cls.rateBits / 8000);
}

/** networkNextClassID: the first id from 3 that no class on the bridge and no plug in flight uses. */
export function nextClassId(bridgeTc: DeviceTc, reserved: ReadonlySet<number>): number {
  const used = new Set(bridgeTc.classes.map((c) => parseInt(c.classId.split(":")[1] ?? "", 16)));
  let id = 3;
  while (used.has(id) || reserved.has(id)) id++;
  return id;
}

function plug(bridge: string, network: Bandwidth, mac: string, guest: Rate, id: number, floorSum: number, caps: TcCapabilities): PlanStep[] {
  const [cls, leaf, filter] = tcSteps(renderFloorPlug(bridge, network, mac, guest, id, caps));
  // libvirt runs Unplug when a plug fails midway (spec §5.5); the class's undo is that unplug.
  cls.undo = renderFloorUnplug(bridge, id).map((c) => ({ op: "tc" as const, argv: c.argv, bestEffort: true }));
  return [cls, leaf, filter, ...tcSteps([renderUnguaranteedRate(bridge, network, floorSum)])];
}

function unplug(bridge: string, network: Bandwidth | undefined, id: number, floorSum: number): PlanStep[] {
  const rate = network?.inbound?.average !== undefined ? tcSteps([unguaranteedAfter(bridge, network, floorSum)]) : [];
  return [...tcSteps(renderFloorUnplug(bridge, id)), ...rate];
}

/**
 * Class 1:2 after the floors change: what the floors leave of the peak (or average). When the last floor goes it
 * returns to the average it was created with; libvirt leaves it at the peak, so its state depends on history.
 */
function unguaranteedAfter(bridge: string, network: Bandwidth, floorSum: number) {
  if (floorSum > 0) return renderUnguaranteedRate(bridge, network, floorSum);
  const cmd = renderUnguaranteedRate(bridge, network, 0);
  const rate = cmd.argv.indexOf("rate");
  cmd.argv[rate + 1] = `${network.inbound!.average}kbps`;
  return cmd;
}

export interface FloorPlanInput {
  /** The floor now wanted, with the guest's inbound rate (the quantum comes from its average). */
  want?: { bridge: string; rate: Rate; network: Bandwidth | undefined; caps: TcCapabilities };
  /** The floor the previous state planted, and the network it was planted under. */
  previous?: PluggedFloor & { network: Bandwidth | undefined };
  guestMac: string;
  tcOf: (bridge: string) => DeviceTc;
  reserved: ReadonlySet<number>;
  what: string;
}

/** The steps from the previous floor to the wanted one, and the class id the guest holds afterwards. */
export function planFloor(p: FloorPlanInput): { steps: PlanStep[]; id?: number } {
  const { want, previous, guestMac } = p;
  const steps: PlanStep[] = [];
  const others = (bridge: string, exceptId?: number) =>
    floorClasses(p.tcOf(bridge))
      .filter((f) => f.id !== exceptId)
      .reduce((sum, f) => sum + f.floor, 0);
  const stays = want && previous && want.bridge === previous.bridge;
  if (previous && !stays) steps.push(...unplug(previous.bridge, previous.network, previous.id, others(previous.bridge, previous.id)));
  if (!want) return { steps };
  const floor = want.rate.floor!;
  const problem = floorProblem(floor, want.network, others(want.bridge, stays ? previous!.id : undefined), p.what);
  if (problem) throw new Error(problem);
  const network = want.network!;
  const sum = others(want.bridge, stays ? previous!.id : undefined) + floor;
  if (!stays) {
    const id = nextClassId(p.tcOf(want.bridge), p.reserved);
    return { steps: [...steps, ...plug(want.bridge, network, guestMac, want.rate, id, sum, want.caps)], id };
  }
  const id = previous!.id;
  const held = observedFloor(p.tcOf(want.bridge), id, previous!.mac);
  const classThere = p.tcOf(want.bridge).classes.some((c) => c.classId === floorIds(id).classId);
  if (!classThere) return { steps: plug(want.bridge, network, guestMac, want.rate, id, sum, want.caps), id };
  if (held !== floor) steps.push(...tcSteps([renderFloorChange(want.bridge, network, floor, id), renderUnguaranteedRate(want.bridge, network, sum)]));
  // A new guest MAC (or a filter lost by hand): only this guest's filter is deleted and added back, never 800::.
  if (held === undefined || previous!.mac !== guestMac) steps.push(...tcSteps(renderFloorFilterUpdate(want.bridge, guestMac, id)));
  return { steps, id };
}
