// planFloor (docs/libvirt-behaviour.md §5.5): a guest's guaranteed inbound rate on its network's bridge, planned from
// DeviceTc recorded on a real kernel (test/unit/fixtures/host/record.ts): exact operations, with the `from` and
// `restore` a failed change needs to put the bridge back, and the tc lines they render to.
import { describe, expect, it } from "vitest";
import { renderOperation } from "../../../provider/iproute2/render-operation";
import type { Operation } from "../../../provider/net/operation";
import { LIBVIRT_TC, tcCapabilitiesFor, type DeviceTc } from "../../../provider/net/tc";
import { quoteArgv } from "../../../provider/exec/quote";
import { rollbackInverses } from "../../../provider/plan/inverse";
import { nextClassId, planFloor, reserveFloors, type FloorPlanInput } from "../../../provider/resources/guest-interface/floor";
import type { Bandwidth } from "../../../provider/net/bandwidth";
import recorded from "../fixtures/host/device-tc.json";
import { NET_BANDWIDTH as NET } from "../fixtures/host/scenario";

const TC = recorded as unknown as Record<string, DeviceTc>;
/** The bridge vnfk0 with the network's QoS and no floors, then with guests' floors as the scenario plugged them. */
const noFloors = TC["network-created/vnfk0"]!;
const oneFloor = TC["guest-created/vnfk0"]!; // 1:3, floor 300, guest 52:54:00:fa:00:10
const threeFloors = TC["guest3-created/vnfk0"]!; // 1:3 300, 1:4 200, 1:5 100
const floorsThreeAndFive = TC["guest2-deleted/vnfk0"]!; // 1:4 unplugged
const FALLBACK = tcCapabilitiesFor({ sfq: false, fw: false, police: false, ifb: true }, "vnfk0");
const MAC1 = "52:54:00:fa:00:10";
const lines = (ops: Operation[]) => ops.map((o) => quoteArgv(renderOperation(o).argv));

function plan(p: Partial<FloorPlanInput> & { bridges?: Record<string, DeviceTc> }) {
  const bridges = p.bridges ?? { vnfk0: oneFloor };
  return planFloor({ guestMac: MAC1, reserved: new Set(), what: "guest interface vnfkt9", ...p, tcOf: (b) => bridges[b] ?? { qdiscs: [], classes: [], filters: [], ingressFilters: [] } });
}
const want = (floor: number, extra: { average?: number; peak?: number } = { average: 1024 }, bridge = "vnfk0", caps = LIBVIRT_TC) => ({ bridge, rate: { ...extra, floor }, network: NET, caps });
const plugged = { bridge: "vnfk0", id: 3, floor: 300, mac: MAC1, network: NET };

/** Class 1:2 as the recorded bridge holds it, in the terms virtnet writes it (what a rollback restores). */
const recorded12 = {
  noFloors: { parent: "1:1", classId: "1:2", rateKbps: 1000, ceilKbps: 2000, burstKb: 64, quantum: 85 },
  oneFloor: { parent: "1:1", classId: "1:2", rateKbps: 1700, ceilKbps: 2000, quantum: 85 },
};

describe("planFloor: plugging", () => {
  it("plugs a new guest as class 1:3 under 1:1 with its leaf and MAC filter, then lowers 1:2 by the floor, recording 1:2 with its burst", () => {
    const { steps, id } = plan({ bridges: { vnfk0: noFloors }, want: want(100, { average: 512 }), guestMac: "52:54:00:fa:00:12" });
    expect(id).toBe(3);
    expect(steps).toEqual([
      { op: "classAdd", dev: "vnfk0", cls: { parent: "1:1", classId: "1:3", rateKbps: 100, ceilKbps: 2000, quantum: 43 } },
      { op: "qdiscAdd", dev: "vnfk0", qdisc: { kind: "sfq", parent: "1:3", handle: "3:" } },
      { op: "filterAdd", dev: "vnfk0", filter: { kind: "floorMac", id: 3, mac: "52:54:00:fa:00:12" } },
      { op: "classChange", dev: "vnfk0", cls: { parent: "1:1", classId: "1:2", rateKbps: 1900, ceilKbps: 2000, quantum: 85 }, from: recorded12.noFloors },
    ]);
    expect(lines(steps)).toEqual([
      "tc class add dev vnfk0 parent 1:1 classid 1:3 htb rate 100kbps ceil 2000kbps quantum 43",
      "tc qdisc add dev vnfk0 parent 1:3 handle 3: sfq perturb 10",
      "tc filter add dev vnfk0 protocol ip prio 2 handle 800::803 u32 match u16 0x0800 0xffff at -2 match u32 0x00fa0012 0xffffffff at -12 match u16 0x5254 0xffff at -14 flowid 1:3",
      "tc class change dev vnfk0 classid 1:2 htb rate 1900kbps ceil 2000kbps quantum 85",
    ]);
  });

  it("undoes a failed plug newest first: 1:2 back with its burst, the filter by its handle, the leaf, the class", () => {
    const { steps } = plan({ bridges: { vnfk0: noFloors }, want: want(100, { average: 512 }) });
    expect(rollbackInverses(steps)).toEqual([
      [{ op: "classDel", dev: "vnfk0", classId: "1:3" }],
      [{ op: "qdiscDel", dev: "vnfk0", target: { parent: "1:3", handle: "3:" } }],
      [{ op: "filterDelFloor", dev: "vnfk0", id: 3 }],
      [{ op: "classChange", dev: "vnfk0", cls: recorded12.noFloors, from: { parent: "1:1", classId: "1:2", rateKbps: 1900, ceilKbps: 2000, quantum: 85 } }],
    ]);
    expect(lines(rollbackInverses(steps).reverse().flat())).toEqual([
      "tc class change dev vnfk0 classid 1:2 htb rate 1000kbps ceil 2000kbps burst 64kb quantum 85",
      "tc filter del dev vnfk0 prio 2 handle 800::803 u32",
      "tc qdisc del dev vnfk0 parent 1:3 handle 3:",
      "tc class del dev vnfk0 classid 1:3",
    ]);
  });

  it("plugs a floor-only guest with quantum 1 and a pfifo leaf where the kernel has no sch_sfq", () => {
    const { steps } = plan({ bridges: { vnfk0: noFloors }, want: want(200, {}, "vnfk0", FALLBACK) });
    expect(steps.slice(0, 2)).toEqual([
      { op: "classAdd", dev: "vnfk0", cls: { parent: "1:1", classId: "1:3", rateKbps: 200, ceilKbps: 2000, quantum: 1 } },
      { op: "qdiscAdd", dev: "vnfk0", qdisc: { kind: "pfifo", parent: "1:3", handle: "3:" } },
    ]);
  });

  it("takes the class id freed by an unplugged guest (1:4 between 1:3 and 1:5), and skips ids reserved by plugs in flight", () => {
    expect(plan({ bridges: { vnfk0: floorsThreeAndFive }, want: want(50), guestMac: "52:54:00:fa:00:13" }).id).toBe(4);
    expect(plan({ bridges: { vnfk0: floorsThreeAndFive }, want: want(50), reserved: new Set([4]) }).id).toBe(6);
    expect(nextClassId(threeFloors, new Set())).toBe(6);
  });

  it("writes ids from 10 in hex as libvirt does: class 1:a, leaf a:, filter 800::810", () => {
    const filled: DeviceTc = {
      ...oneFloor,
      classes: [...oneFloor.classes, ...[4, 5, 6, 7, 8, 9].map((i) => ({ classId: `1:${i}`, parent: "1:1", rateBits: 8000, ceilBits: 16_000_000, burstBytes: 1600, quantum: 1 }))],
    };
    const { steps, id } = plan({ bridges: { vnfk0: filled }, want: want(10), guestMac: "52:54:00:fa:00:1a" });
    expect(id).toBe(10);
    expect(lines(steps.slice(0, 3))).toEqual([
      "tc class add dev vnfk0 parent 1:1 classid 1:a htb rate 10kbps ceil 2000kbps quantum 87",
      "tc qdisc add dev vnfk0 parent 1:a handle a: sfq perturb 10",
      "tc filter add dev vnfk0 protocol ip prio 2 handle 800::810 u32 match u16 0x0800 0xffff at -2 match u32 0x00fa001a 0xffffffff at -12 match u16 0x5254 0xffff at -14 flowid 1:a",
    ]);
    // 1:2 gets what the seven floors (300 + 6 × 1) and the new one leave of the peak.
    expect(steps[3]).toMatchObject({ op: "classChange", cls: { classId: "1:2", rateKbps: 2000 - 306 - 10 } });
  });

  it("re-plugs a guest whose class was deleted by hand under the same id", () => {
    const gone: DeviceTc = { ...oneFloor, classes: oneFloor.classes.filter((c) => c.classId !== "1:3"), filters: [] };
    const { steps, id } = plan({ bridges: { vnfk0: gone }, previous: plugged, want: want(300) });
    expect(id).toBe(3);
    expect(steps.map((s) => s.op)).toEqual(["classAdd", "qdiscAdd", "filterAdd", "classChange"]);
    expect(steps[0]).toMatchObject({ cls: { classId: "1:3", rateKbps: 300 } });
  });
});

describe("planFloor: admission", () => {
  it("refuses a floor that would overcommit the network's peak, counting every floor already on the bridge", () => {
    expect(() => plan({ bridges: { vnfk0: threeFloors }, want: want(1401) })).toThrow(
      "Cannot plug guest interface vnfkt9 because new combined inbound floor=2001 would overcommit peak=2000 on its network",
    );
    expect(plan({ bridges: { vnfk0: threeFloors }, want: want(1399) }).id).toBe(6);
  });

  it("refuses floors adding up to exactly the peak, which would leave class 1:2 a rate of 0", () => {
    expect(() => plan({ bridges: { vnfk0: threeFloors }, want: want(1400) })).toThrow(
      "Cannot plug guest interface vnfkt9 because new combined inbound floor=2000 would leave nothing of peak=2000 for the network's unguaranteed traffic",
    );
  });

  it("counts a guest's own floor once when it changes (the other floors plus the new one)", () => {
    expect(plan({ bridges: { vnfk0: threeFloors }, previous: plugged, want: want(1699) }).id).toBe(3);
    expect(() => plan({ bridges: { vnfk0: threeFloors }, previous: plugged, want: want(1700) })).toThrow(/new combined inbound floor=2000 would leave nothing of peak=2000/);
    expect(() => plan({ bridges: { vnfk0: threeFloors }, previous: plugged, want: want(1701) })).toThrow(/new combined inbound floor=2001 would overcommit peak=2000/);
  });

  it("refuses a floor on a network without inbound QoS", () => {
    expect(() => plan({ bridges: { vnfk0: noFloors }, want: { ...want(100), network: { outbound: { average: 500 } } } })).toThrow(
      "Invalid use of 'floor' on guest interface vnfkt9: its network has no inbound QoS set (give the Network bandwidth.inbound)",
    );
  });
});

describe("planFloor: changes to a plugged guest", () => {
  it("plans nothing when the floor and the MAC are as plugged", () => {
    expect(plan({ previous: plugged, want: want(300) })).toEqual({ steps: [], id: 3 });
  });

  it("changes a floor in place with tc class change, recording the class and 1:2 it replaces", () => {
    const { steps, id } = plan({ previous: plugged, want: want(500) });
    expect(id).toBe(3);
    expect(steps).toEqual([
      {
        op: "classChange",
        dev: "vnfk0",
        cls: { parent: "1:1", classId: "1:3", rateKbps: 500, ceilKbps: 2000, quantum: 85 },
        from: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 87 },
      },
      { op: "classChange", dev: "vnfk0", cls: { parent: "1:1", classId: "1:2", rateKbps: 1500, ceilKbps: 2000, quantum: 85 }, from: recorded12.oneFloor },
    ]);
    expect(lines(steps)).toEqual([
      "tc class change dev vnfk0 classid 1:3 htb rate 500kbps ceil 2000kbps quantum 85",
      "tc class change dev vnfk0 classid 1:2 htb rate 1500kbps ceil 2000kbps quantum 85",
    ]);
  });

  it("on a guest MAC change re-makes only its own filter, recording the old MAC for the undo", () => {
    const { steps, id } = plan({ previous: plugged, want: want(300), guestMac: "52:54:00:fa:00:20" });
    expect(id).toBe(3);
    expect(steps).toEqual([
      { op: "filterDelFloor", dev: "vnfk0", id: 3, from: { kind: "floorMac", id: 3, mac: MAC1 } },
      { op: "filterAdd", dev: "vnfk0", filter: { kind: "floorMac", id: 3, mac: "52:54:00:fa:00:20" } },
    ]);
    expect(lines(steps)).toEqual([
      "tc filter del dev vnfk0 prio 2 handle 800::803 u32",
      "tc filter add dev vnfk0 protocol ip prio 2 handle 800::803 u32 match u16 0x0800 0xffff at -2 match u32 0x00fa0020 0xffffffff at -12 match u16 0x5254 0xffff at -14 flowid 1:3",
    ]);
    expect(rollbackInverses(steps)).toEqual([
      [{ op: "filterAdd", dev: "vnfk0", filter: { kind: "floorMac", id: 3, mac: MAC1 } }],
      [{ op: "filterDelFloor", dev: "vnfk0", id: 3 }],
    ]);
  });

  it("puts back a filter deleted by hand with the same handle (re-writing the floor class, which it then cannot see)", () => {
    const lost: DeviceTc = { ...oneFloor, filters: [] };
    const { steps } = plan({ bridges: { vnfk0: lost }, previous: plugged, want: want(300) });
    expect(steps).toEqual([
      { op: "classChange", dev: "vnfk0", cls: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 85 }, from: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 87 } },
      { op: "classChange", dev: "vnfk0", cls: { parent: "1:1", classId: "1:2", rateKbps: 1700, ceilKbps: 2000, quantum: 85 }, from: recorded12.oneFloor },
      { op: "filterDelFloor", dev: "vnfk0", id: 3, from: undefined },
      { op: "filterAdd", dev: "vnfk0", filter: { kind: "floorMac", id: 3, mac: MAC1 } },
    ]);
  });

  /** Unplugging 1:3 from vnfk0 (the last floor there): everything it removes is recorded for the undo. */
  const unplugFromVnfk0: Operation[] = [
    { op: "qdiscDel", dev: "vnfk0", target: { handle: "3:" }, restore: [{ op: "qdiscAdd", dev: "vnfk0", qdisc: { kind: "pfifo", parent: "1:3", handle: "3:" } }] },
    { op: "filterDelFloor", dev: "vnfk0", id: 3, from: { kind: "floorMac", id: 3, mac: MAC1 } },
    { op: "classDel", dev: "vnfk0", classId: "1:3", from: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 87 } },
    // The last floor gone, 1:2 returns to what the network's set made: its average (not the peak, where libvirt
    // leaves it) and its burst.
    { op: "classChange", dev: "vnfk0", cls: { parent: "1:1", classId: "1:2", rateKbps: 1000, ceilKbps: 2000, burstKb: 64, quantum: 85 }, from: recorded12.oneFloor },
  ];

  it("unplugs when the floor is removed: leaf, filter by exact handle, class, then 1:2 gets the floor back", () => {
    const { steps, id } = plan({ previous: plugged });
    expect(id).toBeUndefined();
    expect(steps).toEqual(unplugFromVnfk0);
    expect(lines(steps)).toEqual([
      "tc qdisc del dev vnfk0 handle 3:",
      "tc filter del dev vnfk0 prio 2 handle 800::803 u32",
      "tc class del dev vnfk0 classid 1:3",
      "tc class change dev vnfk0 classid 1:2 htb rate 1000kbps ceil 2000kbps burst 64kb quantum 85",
    ]);
    // Undone newest first: 1:2, the class, its filter, its leaf.
    expect(rollbackInverses(steps).reverse().flat().map((o) => o.op)).toEqual(["classChange", "classAdd", "filterAdd", "qdiscAdd"]);
  });

  it("unplugs a guest that is not the last one leaving 1:2 at what the others' floors leave of the peak", () => {
    const { steps } = plan({ bridges: { vnfk0: threeFloors }, previous: plugged });
    expect(steps.at(-1)).toEqual({
      op: "classChange",
      dev: "vnfk0",
      cls: { parent: "1:1", classId: "1:2", rateKbps: 1700, ceilKbps: 2000, quantum: 85 },
      from: { parent: "1:1", classId: "1:2", rateKbps: 1400, ceilKbps: 2000, quantum: 85 },
    });
  });

  it("moves a guest to another bridge: unplugs from the old one, then plugs on the new one under its next free id", () => {
    const { steps, id } = plan({ bridges: { vnfk0: oneFloor, vnfk1: noFloors }, previous: plugged, want: want(300, { average: 1024 }, "vnfk1", FALLBACK) });
    expect(id).toBe(3);
    expect(steps).toEqual([
      ...unplugFromVnfk0,
      { op: "classAdd", dev: "vnfk1", cls: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 87 } },
      { op: "qdiscAdd", dev: "vnfk1", qdisc: { kind: "pfifo", parent: "1:3", handle: "3:" } },
      { op: "filterAdd", dev: "vnfk1", filter: { kind: "floorMac", id: 3, mac: MAC1 } },
      { op: "classChange", dev: "vnfk1", cls: { parent: "1:1", classId: "1:2", rateKbps: 1700, ceilKbps: 2000, quantum: 85 }, from: recorded12.noFloors },
    ]);
  });
});

describe("floors planned in one wave (the ledger instead of a lock)", () => {
  const network: Bandwidth = { inbound: { average: 1000, peak: 2000 } };
  const caps = { leaf: "pfifo" as const, fwFilter: false, ingress: "police" as const };
  const bridgeTc: DeviceTc = { qdiscs: [], classes: [{ classId: "1:1", parent: "1:", rateBits: 8e6, ceilBits: 16e6, burstBytes: 1600 }, { classId: "1:2", parent: "1:1", rateBits: 8e6, ceilBits: 16e6, burstBytes: 1600 }], filters: [], ingressFilters: [] };
  it("gives concurrent plugs distinct class ids and has the later one count the earlier one's floor", () => {
    const ledger = new Map<string, Map<number, number | null>>();
    const planOne = (mac: string, floor: number) => {
      const r = planFloor({ want: { bridge: "vnfk0", rate: { average: 1000, floor }, network, caps }, guestMac: mac, tcOf: () => bridgeTc, reserved: new Set(), pending: ledger, what: "guest" });
      return { ...r, release: reserveFloors(ledger, r.steps) };
    };
    const a = planOne("52:54:00:00:00:01", 300);
    const b = planOne("52:54:00:00:00:02", 200);
    expect([a.id, b.id]).toEqual([3, 4]);
    const unguaranteed = (steps: Operation[]) => steps.find((o) => o.op === "classChange" && o.cls.classId === "1:2") as Extract<Operation, { op: "classChange" }>;
    expect(unguaranteed(a.steps).cls.rateKbps).toBe(1700);
    expect(unguaranteed(b.steps).cls.rateKbps).toBe(1500);
    a.release();
    b.release();
    expect([...(ledger.get("vnfk0")?.keys() ?? [])]).toEqual([]);
  });
  it("refuses a plug that would overcommit together with the floors in flight", () => {
    const ledger = new Map([["vnfk0", new Map<number, number | null>([[3, 1500]])]]);
    expect(() => planFloor({ want: { bridge: "vnfk0", rate: { average: 1000, floor: 600 }, network, caps }, guestMac: "52:54:00:00:00:03", tcOf: () => bridgeTc, reserved: new Set(), pending: ledger, what: "guest" })).toThrow(/floor=2100 would overcommit peak=2000/);
  });
});
