// Bandwidth planning over recorded tc state (docs/libvirt-behaviour.md §5.3–§5.5): a network's rate change while
// guests hold floors, libvirt's set and clear on a device that is already shaped. Exact operations, with the
// `restore` and `from` that let a failed change put the previous tc state back, on DeviceTc recorded from a real
// kernel (test/unit/fixtures/host/record.ts; that kernel has no sch_sfq, cls_fw or act_police, so its outbound
// limits go through ifbs) and on the same state as a kernel with them would hold it.
import { describe, expect, it } from "vitest";
import { quoteArgv } from "../../../provider/exec/quote";
import { renderOperation } from "../../../provider/iproute2/render-operation";
import type { Operation } from "../../../provider/net/operation";
import { ifbNameFor, LIBVIRT_TC, tcCapabilitiesFor, type DeviceTc } from "../../../provider/net/tc";
import { rollbackInverses } from "../../../provider/plan/inverse";
import { floorClasses, planBandwidthClear, planBandwidthSet, planNetworkRateChange, type ObservedDeviceTc } from "../../../provider/resources/bandwidth/plan";
import recorded from "../fixtures/host/device-tc.json";

const TC = recorded as unknown as Record<string, DeviceTc>;
const BR = "vnfk0";
const TAP = "vnfkt0";
const BR_IFB = ifbNameFor(BR);
const TAP_IFB = ifbNameFor(TAP);
const fallback = (dev: string) => tcCapabilitiesFor({ sfq: false, fw: false, police: false, ifb: true }, dev);
const lines = (ops: Operation[]) => ops.map((o) => quoteArgv(renderOperation(o).argv));

/** The network's bridge with one guest's floor (1:3, 300 KB/s), its outbound limit shaped on its ifb. */
const bridgeWithFloor: ObservedDeviceTc = { own: TC[`guest-created/${BR}`]!, ifb: TC[`network-created/${BR_IFB}`]!, ifbName: BR_IFB, ifbExists: true, caps: fallback(BR) };
/** The same bridge before any guest plugged a floor (1:2 still has the network's 64 KB burst). */
const bridgeNoFloor: ObservedDeviceTc = { ...bridgeWithFloor, own: TC[`network-created/${BR}`]! };
/** A guest's tap shaped inbound (1024/2048) and limited outbound (256) through its ifb. */
const tapShaped: ObservedDeviceTc = { own: TC[`guest-created/${TAP}`]!, ifb: TC[`guest-created/${TAP_IFB}`]!, ifbName: TAP_IFB, ifbExists: true, caps: fallback(TAP) };

/** The bridge as a kernel with act_police holds the same limits: a police filter on its ingress, no ifb. */
const withPolice = (v: ObservedDeviceTc, rateBits: number, burstBytes: number): ObservedDeviceTc => ({
  own: { ...v.own, ingressFilters: [{ handle: "800::800", pref: 49152, matches: [{ value: "00000000", mask: "00000000", offset: 0 }], police: { rateBits, burstBytes } }] },
  ifbExists: false,
  caps: LIBVIRT_TC,
});

describe("planNetworkRateChange: a network's rates while guests hold floors", () => {
  it("finds the floors on the recorded bridge", () => {
    expect(floorClasses(bridgeWithFloor.own)).toEqual([{ id: 3, floor: 300 }]);
  });

  it("changes 1:1, 1:2 and each floor's ceiling in place and re-makes the outbound limit, recording all it replaces", () => {
    const steps = planNetworkRateChange(BR, { inbound: { average: 1500, peak: 3000 }, outbound: { average: 700 } }, [{ id: 3, floor: 300 }], bridgeWithFloor);
    expect(steps).toEqual([
      // tc does not print an inner class's quantum: the recorded 1:1 takes the new one, which an inner class ignores.
      { op: "classChange", dev: BR, cls: { parent: "1:", classId: "1:1", rateKbps: 1500, ceilKbps: 3000, quantum: 128 }, from: { parent: "1:", classId: "1:1", rateKbps: 1000, ceilKbps: 2000, quantum: 128 } },
      { op: "classChange", dev: BR, cls: { parent: "1:1", classId: "1:2", rateKbps: 2700, ceilKbps: 3000, quantum: 128 }, from: { parent: "1:1", classId: "1:2", rateKbps: 1700, ceilKbps: 2000, quantum: 85 } },
      { op: "classChange", dev: BR, cls: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 3000, quantum: 128 }, from: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 87 } },
      { op: "qdiscDel", dev: BR, target: "ingress", restore: [{ op: "qdiscAdd", dev: BR, qdisc: { kind: "ingress" } }, { op: "filterAdd", dev: BR, filter: { kind: "redirect", to: BR_IFB } }] },
      {
        op: "qdiscDel",
        dev: BR_IFB,
        target: "root",
        restore: [
          { op: "qdiscAdd", dev: BR_IFB, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
          { op: "classAdd", dev: BR_IFB, cls: { parent: "1:", classId: "1:1", rateKbps: 500, burstKb: 500, quantum: 42 } },
          { op: "qdiscAdd", dev: BR_IFB, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
        ],
      },
      { op: "qdiscAdd", dev: BR, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev: BR, filter: { kind: "redirect", to: BR_IFB } },
      { op: "qdiscAdd", dev: BR_IFB, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: BR_IFB, cls: { parent: "1:", classId: "1:1", rateKbps: 700, burstKb: 700, quantum: 59 } },
      { op: "qdiscAdd", dev: BR_IFB, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
    ]);
    expect(lines(steps.slice(0, 3))).toEqual([
      "tc class change dev vnfk0 classid 1:1 htb rate 1500kbps ceil 3000kbps quantum 128",
      "tc class change dev vnfk0 classid 1:2 htb rate 2700kbps ceil 3000kbps quantum 128",
      "tc class change dev vnfk0 classid 1:3 htb rate 300kbps ceil 3000kbps quantum 128",
    ]);
  });

  it("undoes a failed rate change newest first, ending with the classes as recorded", () => {
    const steps = planNetworkRateChange(BR, { inbound: { average: 1500, peak: 3000 }, outbound: { average: 700 } }, [{ id: 3, floor: 300 }], bridgeWithFloor);
    const undo = rollbackInverses(steps).reverse().flat();
    expect(lines(undo)).toEqual([
      `tc qdisc del dev ${BR_IFB} parent 1:1 handle 2:`,
      `tc class del dev ${BR_IFB} classid 1:1`,
      `tc qdisc del dev ${BR_IFB} root`,
      `tc qdisc del dev ${BR} ingress`,
      `tc qdisc add dev ${BR_IFB} root handle 1: htb default 1`,
      `tc class add dev ${BR_IFB} parent 1: classid 1:1 htb rate 500kbps burst 500kb quantum 42`,
      `tc qdisc add dev ${BR_IFB} parent 1:1 handle 2: pfifo`,
      `tc qdisc add dev ${BR} ingress`,
      `tc filter add dev ${BR} parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev ${BR_IFB}`,
      "tc class change dev vnfk0 classid 1:3 htb rate 300kbps ceil 2000kbps quantum 87",
      "tc class change dev vnfk0 classid 1:2 htb rate 1700kbps ceil 2000kbps quantum 85",
      "tc class change dev vnfk0 classid 1:1 htb rate 1000kbps ceil 2000kbps quantum 128",
    ]);
  });

  it("re-makes a police limit where the kernel has act_police, restoring the recorded rate and burst on failure", () => {
    const steps = planNetworkRateChange(BR, { inbound: { average: 1500, peak: 3000 }, outbound: { average: 700, burst: 100 } }, [{ id: 3, floor: 300 }], withPolice(bridgeWithFloor, 4_000_000, 512_000));
    expect(steps.slice(3)).toEqual([
      { op: "qdiscDel", dev: BR, target: "ingress", restore: [{ op: "qdiscAdd", dev: BR, qdisc: { kind: "ingress" } }, { op: "filterAdd", dev: BR, filter: { kind: "police", rateKbps: 500, burstKb: 500 } }] },
      { op: "qdiscAdd", dev: BR, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev: BR, filter: { kind: "police", rateKbps: 700, burstKb: 100 } },
    ]);
    expect(lines(steps.slice(-1))).toEqual(["tc filter add dev vnfk0 parent ffff: protocol all u32 match u32 0 0 police rate 700kbps burst 100kb mtu 64kb drop flowid :1"]);
  });

  it("drops the outbound limit when it is removed, leaving the ifb for the network's deletion", () => {
    const steps = planNetworkRateChange(BR, { inbound: { average: 1500, peak: 3000 } }, [{ id: 3, floor: 300 }], bridgeWithFloor);
    expect(steps.map((s) => `${s.op} ${"dev" in s ? s.dev : ""}`)).toEqual([`classChange ${BR}`, `classChange ${BR}`, `classChange ${BR}`, `qdiscDel ${BR}`]);
  });

  it("gives 1:2 the network's own rates, burst included, when no guest holds a floor", () => {
    const steps = planNetworkRateChange(BR, { inbound: { average: 1200, peak: 2400, burst: 32 } }, [], bridgeNoFloor);
    expect(steps[1]).toEqual({
      op: "classChange",
      dev: BR,
      cls: { parent: "1:1", classId: "1:2", rateKbps: 1200, ceilKbps: 2400, burstKb: 32, quantum: 102 },
      from: { parent: "1:1", classId: "1:2", rateKbps: 1000, ceilKbps: 2000, burstKb: 64, quantum: 85 },
    });
  });
});

describe("planBandwidthSet: libvirt's set", () => {
  const guestBw = { inbound: { average: 1024, peak: 2048, burst: 256 }, outbound: { average: 512 } };

  it("plans nothing for no bandwidth or an empty one", () => {
    expect(planBandwidthSet(TAP, undefined, false, LIBVIRT_TC, "virtnet")).toEqual([]);
    expect(planBandwidthSet(TAP, {}, false, LIBVIRT_TC, "virtnet")).toEqual([]);
  });

  it("shapes a fresh tap with libvirt's exact commands where the kernel has sfq, fw and police", () => {
    const steps = planBandwidthSet(TAP, guestBw, false, LIBVIRT_TC, "virtnet");
    expect(steps).toEqual([
      { op: "qdiscDel", dev: TAP, target: "root" },
      { op: "qdiscDel", dev: TAP, target: "ingress" },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP, cls: { parent: "1:", classId: "1:1", rateKbps: 1024, ceilKbps: 2048, burstKb: 256, quantum: 87 } },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "sfq", parent: "1:1", handle: "2:" } },
      { op: "filterAdd", dev: TAP, filter: { kind: "fw" } },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev: TAP, filter: { kind: "police", rateKbps: 512, burstKb: 512 } },
    ]);
    expect(lines(steps)).toEqual([
      "tc qdisc del dev vnfkt0 root",
      "tc qdisc del dev vnfkt0 ingress",
      "tc qdisc add dev vnfkt0 root handle 1: htb default 1",
      "tc class add dev vnfkt0 parent 1: classid 1:1 htb rate 1024kbps ceil 2048kbps burst 256kb quantum 87",
      "tc qdisc add dev vnfkt0 parent 1:1 handle 2: sfq perturb 10",
      "tc filter add dev vnfkt0 parent 1:0 protocol all prio 1 handle 1 fw flowid 1",
      "tc qdisc add dev vnfkt0 ingress",
      "tc filter add dev vnfkt0 parent ffff: protocol all u32 match u32 0 0 police rate 512kbps burst 512kb mtu 64kb drop flowid :1",
    ]);
  });

  it("creates the ifb first, marked with the device's owner, and shapes the outbound limit there without act_police", () => {
    const steps = planBandwidthSet(TAP, guestBw, false, fallback(TAP), "virtnet:0123456789ab");
    expect(steps).toEqual([
      { op: "ifbAdd", name: TAP_IFB },
      { op: "linkSetAlias", name: TAP_IFB, alias: "virtnet:0123456789ab" },
      { op: "linkSetUp", name: TAP_IFB },
      { op: "qdiscDel", dev: TAP, target: "root" },
      { op: "qdiscDel", dev: TAP, target: "ingress" },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP, cls: { parent: "1:", classId: "1:1", rateKbps: 1024, ceilKbps: 2048, burstKb: 256, quantum: 87 } },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
      { op: "qdiscDel", dev: TAP_IFB, target: "root" },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev: TAP, filter: { kind: "redirect", to: TAP_IFB } },
      { op: "qdiscAdd", dev: TAP_IFB, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP_IFB, cls: { parent: "1:", classId: "1:1", rateKbps: 512, burstKb: 512, quantum: 43 } },
      { op: "qdiscAdd", dev: TAP_IFB, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
    ]);
    // A failed set deletes the ifb it created, and with it the shaping made there.
    expect(rollbackInverses(steps)[0]).toEqual([{ op: "linkDel", name: TAP_IFB }]);
  });

  /** What the recorded tap holds, as the operations that put it back. */
  const tapRestore = {
    root: [
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP, cls: { parent: "1:", classId: "1:1", rateKbps: 1024, ceilKbps: 2048, quantum: 87 } },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
    ],
    ingress: [
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev: TAP, filter: { kind: "redirect", to: TAP_IFB } },
    ],
    ifb: [
      { op: "qdiscAdd", dev: TAP_IFB, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP_IFB, cls: { parent: "1:", classId: "1:1", rateKbps: 256, burstKb: 256, quantum: 21 } },
      { op: "qdiscAdd", dev: TAP_IFB, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
    ],
  } satisfies Record<string, Operation[]>;

  it("re-sets a shaped tap recording what the clear takes (its classes, ingress and ifb shaping), reusing the existing ifb", () => {
    const steps = planBandwidthSet(TAP, { inbound: { average: 2048, peak: 4096, burst: 512 }, outbound: { average: 256 } }, false, fallback(TAP), "virtnet", tapShaped);
    expect(steps).toEqual([
      { op: "qdiscDel", dev: TAP, target: "root", restore: tapRestore.root },
      { op: "qdiscDel", dev: TAP, target: "ingress", restore: tapRestore.ingress },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP, cls: { parent: "1:", classId: "1:1", rateKbps: 2048, ceilKbps: 4096, burstKb: 512, quantum: 174 } },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
      { op: "qdiscDel", dev: TAP_IFB, target: "root", restore: tapRestore.ifb },
      { op: "qdiscAdd", dev: TAP, qdisc: { kind: "ingress" } },
      { op: "filterAdd", dev: TAP, filter: { kind: "redirect", to: TAP_IFB } },
      { op: "qdiscAdd", dev: TAP_IFB, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
      { op: "classAdd", dev: TAP_IFB, cls: { parent: "1:", classId: "1:1", rateKbps: 256, burstKb: 256, quantum: 21 } },
      { op: "qdiscAdd", dev: TAP_IFB, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
    ]);
  });

  it("records a bridge's hierarchical shaping with the network's burst on 1:2 for the undo", () => {
    const steps = planBandwidthSet(BR, { inbound: { average: 1200 } }, true, fallback(BR), "virtnet", bridgeNoFloor);
    expect(steps[0]).toEqual({
      op: "qdiscDel",
      dev: BR,
      target: "root",
      restore: [
        { op: "qdiscAdd", dev: BR, qdisc: { kind: "htb", handle: "1:", defaultClass: "2" } },
        { op: "classAdd", dev: BR, cls: { parent: "1:", classId: "1:1", rateKbps: 1000, ceilKbps: 2000, quantum: 85 } },
        { op: "classAdd", dev: BR, cls: { parent: "1:1", classId: "1:2", rateKbps: 1000, ceilKbps: 2000, burstKb: 64, quantum: 85 } },
        { op: "qdiscAdd", dev: BR, qdisc: { kind: "pfifo", parent: "1:2", handle: "2:" } },
      ],
    });
  });
});

describe("planBandwidthClear: libvirt's clear", () => {
  it("deletes both qdiscs, recording what they held, then the fallback's ifb", () => {
    const steps = planBandwidthClear(TAP, tapShaped, false);
    expect(steps).toEqual([
      { op: "qdiscDel", dev: TAP, target: "root", restore: [
        { op: "qdiscAdd", dev: TAP, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
        { op: "classAdd", dev: TAP, cls: { parent: "1:", classId: "1:1", rateKbps: 1024, ceilKbps: 2048, quantum: 87 } },
        { op: "qdiscAdd", dev: TAP, qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } },
      ] },
      { op: "qdiscDel", dev: TAP, target: "ingress", restore: [{ op: "qdiscAdd", dev: TAP, qdisc: { kind: "ingress" } }, { op: "filterAdd", dev: TAP, filter: { kind: "redirect", to: TAP_IFB } }] },
      { op: "linkDel", name: TAP_IFB },
    ]);
    expect(lines(steps)).toEqual(["tc qdisc del dev vnfkt0 root", "tc qdisc del dev vnfkt0 ingress", `ip link del dev ${TAP_IFB}`]);
    expect(steps.slice(0, 2).every((s) => renderOperation(s).bestEffort)).toBe(true);
  });

  it("leaves the ifb alone when there is none", () => {
    expect(planBandwidthClear(TAP, { ...tapShaped, ifbExists: false }, false).map((s) => s.op)).toEqual(["qdiscDel", "qdiscDel"]);
  });

  it("restores police limits as recorded where the kernel has act_police", () => {
    const steps = planBandwidthClear(TAP, withPolice(tapShaped, 2_048_000, 262_144), false);
    expect(steps[1]).toEqual({
      op: "qdiscDel",
      dev: TAP,
      target: "ingress",
      restore: [{ op: "qdiscAdd", dev: TAP, qdisc: { kind: "ingress" } }, { op: "filterAdd", dev: TAP, filter: { kind: "police", rateKbps: 256, burstKb: 256 } }],
    });
    expect(steps).toHaveLength(2);
  });
});
