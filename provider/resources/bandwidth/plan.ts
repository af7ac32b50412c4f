// Bandwidth planner: tc commands as plan steps, libvirt's set/clear, and in-place class changes (spec §5).
import type { DeviceTc } from "../../host/snapshot";
import { OWNER_ALIAS } from "../../net/owner-alias";
import {
  kbps,
  quantum,
  renderBandwidthClear,
  renderBandwidthSet,
  renderFloorChange,
  renderIngressLimit,
  renderUnguaranteedRate,
  type TcCapabilities,
  type TcCommand,
} from "../../iproute2/render-bandwidth";
import { step, type PlanStep } from "../../plan/operation";
import type { Bandwidth } from "./schema";

export function tcSteps(commands: TcCommand[]): PlanStep[] {
  return commands.map((c) => step({ op: "tc", argv: c.argv, bestEffort: c.bestEffort }));
}

function ifbSteps(caps: TcCapabilities, bw: Bandwidth | undefined, ifbExists: boolean): PlanStep[] {
  if (typeof caps.ingress === "string" || !bw?.outbound || ifbExists) return [];
  const name = caps.ingress.ifb;
  return [step({ op: "ifbAdd", name }, { op: "linkDel", name }), step({ op: "linkSetAlias", name, alias: OWNER_ALIAS }), step({ op: "linkSetUp", name })];
}

/** virNetDevBandwidthSet, preceded by the ifb it needs where the kernel has no police action. */
export function planBandwidthSet(dev: string, bw: Bandwidth | undefined, hierarchical: boolean, caps: TcCapabilities, ifbExists = false): PlanStep[] {
  const set = renderBandwidthSet(dev, bw, hierarchical, caps);
  return set.length === 0 ? [] : [...ifbSteps(caps, bw, ifbExists), ...tcSteps(set)];
}

/** Removing bandwidth: both qdiscs go, and the fallback's ifb with them. */
export function planBandwidthClear(dev: string, ifb: string | undefined): PlanStep[] {
  return [...tcSteps(renderBandwidthClear(dev)), ...(ifb ? [step({ op: "linkDel", name: ifb })] : [])];
}

/** Guests' floor classes on a network's bridge: 1:3 and up, under 1:1. */
export function floorClasses(tc: DeviceTc): { id: number; floor: number }[] {
  return tc.classes
    .filter((c) => c.parent === "1:1" && /^1:[0-9a-f]+$/.test(c.classId))
    .map((c) => ({ id: parseInt(c.classId.slice(2), 16), floor: Math.round(c.rateBits / 8000) }))
    .filter((c) => c.id >= 3);
}

/**
 * A network whose bridge holds guests' floors cannot be cleared and set again (the floors would go): its inbound
 * rates change in place with `tc class change` (1:1, 1:2 and each floor's ceiling), its outbound limit is re-made.
 */
export function planNetworkRateChange(bridge: string, bw: Bandwidth, floors: { id: number; floor: number }[], caps: TcCapabilities): PlanStep[] {
  const net = bw.inbound!;
  const floorSum = floors.reduce((sum, f) => sum + f.floor, 0);
  const q = String(quantum(net.average));
  const commands: TcCommand[] = [
    { argv: ["tc", "class", "change", "dev", bridge, "classid", "1:1", "htb", "rate", kbps(net.average!), "ceil", kbps(net.peak ?? net.average!), "quantum", q] },
    floorSum > 0
      ? renderUnguaranteedRate(bridge, bw, floorSum)
      : { argv: ["tc", "class", "change", "dev", bridge, "classid", "1:2", "htb", "rate", kbps(net.average!), ...(net.peak ? ["ceil", kbps(net.peak)] : []), ...(net.burst ? ["burst", `${net.burst}kb`] : []), "quantum", q] },
    ...floors.map((f) => renderFloorChange(bridge, bw, f.floor, f.id)),
  ];
  const dropIngress: TcCommand = { argv: ["tc", "qdisc", "del", "dev", bridge, "ingress"], bestEffort: true };
  return tcSteps([...commands, dropIngress, ...(bw.outbound ? renderIngressLimit(bridge, bw.outbound, caps) : [])]);
}
