// A wave's plans merged into one: each plan's order kept, shared devices and host-wide state in plan order, and
// operations of one tool grouped (docs/architecture.md §5).
import { describe, expect, it } from "vitest";
import { mergePlans } from "../../../provider/plan/merge-plans";
import { renderApplyScript } from "../../../provider/plan/apply-script";
import { renderBatchLine } from "../../../provider/iproute2/render-operation";
import type { Operation } from "../../../provider/net/operation";

/** A guest's create on bridge `br`: ip, bridge and tc steps, as the GuestInterface planner makes them. */
function guestPlan(tap: string, br = "br0", floorRate?: number): Operation[] {
  const plan: Operation[] = [
    { op: "tapAdd", name: tap },
    { op: "linkSetAlias", name: tap, alias: "virtnet" },
    { op: "linkSetMaster", name: tap, master: br },
    { op: "bridgePortSet", name: tap, setting: "learning", on: false },
    { op: "linkSetUp", name: tap },
    { op: "qdiscAdd", dev: tap, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
  ];
  if (floorRate !== undefined) plan.push({ op: "classChange", dev: br, cls: htbClassOf("1:2", floorRate) });
  return plan;
}

const htbClassOf = (classId: string, rateKbps: number) => ({ parent: "1:1", classId, rateKbps, quantum: 1500 });
const toolOf = (o: Operation) => renderBatchLine(o)?.key ?? "";
/** Number of tool changes along a sequence: how many processes it costs at least. */
const runsOf = (ops: readonly Operation[]) => ops.filter((o, i) => i === 0 || toolOf(o) !== toolOf(ops[i - 1])).length;

describe("mergePlans", () => {
  it("groups a wave of guests' operations by tool, each guest's in its own order", () => {
    const plans = Array.from({ length: 50 }, (_, i) => guestPlan(`vnet${i}`));
    const merged = mergePlans(plans);
    expect(merged).toHaveLength(plans.flat().length);
    // ip (tuntap, alias, master), bridge, ip (up), tc: four runs, against four per guest one after another.
    expect(runsOf(merged)).toBe(4);
    expect(runsOf(plans.flat())).toBe(200);
    for (const plan of plans) expect(merged.filter((o) => plan.includes(o))).toEqual(plan);
  });

  it("keeps operations on a shared device in the order of their plans", () => {
    const plans = [guestPlan("vnet0", "br0", 100), guestPlan("vnet1", "br0", 200), guestPlan("vnet2", "br0", 300)];
    const merged = mergePlans(plans);
    const bridgeClasses = merged.flatMap((o) => (o.op === "classChange" ? [o.cls.rateKbps] : []));
    expect(bridgeClasses).toEqual([100, 200, 300]);
    // Ports join the bridge in plan order too; its traffic control is another matter, which does not hold them back.
    const ports = merged.flatMap((o) => (o.op === "linkSetMaster" ? [o.name] : []));
    expect(ports).toEqual(["vnet0", "vnet1", "vnet2"]);
    expect(runsOf(merged)).toBe(4);
  });

  it("keeps host-wide operations in place against every other plan", () => {
    const file: Operation = { op: "fileWrite", path: "/etc/virtnet/br0.sh", content: "x", mode: 0o644, from: null };
    const a: Operation[] = [{ op: "tapAdd", name: "vnet0" }, file];
    const b: Operation[] = [{ op: "tapAdd", name: "vnet1" }];
    expect(mergePlans([a, b])).toEqual([a[0], file, b[0]]);
    expect(mergePlans([b, a])).toEqual([b[0], a[0], file]);
  });

  it("has the effect of the plans one after another, whatever their shapes (random plans)", () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const devices = ["br0", "br1", "vnet0", "vnet1", "vnet2", "vnet3"];
    const makeOp = (): Operation => {
      const dev = devices[rand(devices.length)];
      switch (rand(6)) {
        case 5:
          return rand(2) === 0 ? { op: "tapAdd", name: dev } : { op: "linkDel", name: dev };
        case 0:
          return { op: "linkSetMtu", name: dev, mtu: 1000 + rand(500) };
        case 1:
          return { op: "bridgePortSet", name: dev, setting: "flood", on: rand(2) === 0 };
        case 2:
          return { op: "classChange", dev, cls: htbClassOf("1:2", 1 + rand(1000)) };
        case 3:
          return { op: "linkSetMaster", name: dev, master: devices[rand(2)] };
        default:
          return { op: "forwardingSysctl", family: "ipv4", value: 1 };
      }
    };
    for (let round = 0; round < 200; round++) {
      const plans = Array.from({ length: 1 + rand(6) }, () => Array.from({ length: rand(6) }, makeOp));
      const merged = mergePlans(plans);
      const flat = plans.flat();
      // A permutation (each operation once, by identity) that keeps each plan's order.
      expect(merged).toHaveLength(flat.length);
      for (const plan of plans) expect(merged.filter((o) => plan.includes(o))).toEqual(plan);
      // Two operations of different plans changing the same link or the same traffic control, or either host-wide
      // state, are in plan order.
      const touches = (o: Operation) => (o.op === "forwardingSysctl" ? undefined : o.op === "classChange" ? [`tc ${o.dev}`] : o.op === "linkSetMaster" ? [o.name, o.master] : o.op === "tapAdd" || o.op === "linkDel" ? [o.name, `tc ${o.name}`] : "name" in o ? [o.name] : []);
      const planOf = new Map(plans.flatMap((p, i) => p.map((o) => [o, i] as const)));
      for (let x = 0; x < flat.length; x++) {
        for (let y = 0; y < flat.length; y++) {
          const [ox, oy] = [flat[x], flat[y]];
          if (planOf.get(ox)! >= planOf.get(oy)!) continue;
          const tx = touches(ox);
          const ty = touches(oy);
          if (tx === undefined || ty === undefined || tx.some((d) => ty.includes(d))) expect(merged.indexOf(ox)).toBeLessThan(merged.indexOf(oy));
        }
      }
      expect(runsOf(merged)).toBeLessThanOrEqual(runsOf(flat));
    }
  });

  it("renders a wave of three guests as one script with one process per tool run (golden)", async () => {
    const script = renderApplyScript(mergePlans([guestPlan("vnet0", "br0", 100), guestPlan("vnet1"), guestPlan("vnet2")]));
    await expect(script).toMatchFileSnapshot("../golden/merged-guests-create.sh");
  });
});
