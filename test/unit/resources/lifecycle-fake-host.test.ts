// The one lifecycle (docs/architecture.md §3.1) driven through every resource's handlers against a scripted host
// (test/support/fake-host.ts) that answers with state recorded from a real kernel after the same steps
// (test/unit/fixtures/host/record.ts). Each create, update and delete must send exactly one apply script, and that
// script must be renderApplyScript of the operations the step should take, in order. The recorded kernel has no
// sch_sfq, cls_fw or act_police: leaves are pfifo and outbound limits go through ifbs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network, staticRoute } from "../../../provider";
import { quoteArgv } from "../../../provider/exec/quote";
import { closeAllHosts, setShellFactory } from "../../../provider/host/host-pool";
import { renderOperation } from "../../../provider/iproute2/render-operation";
import type { Operation } from "../../../provider/net/operation";
import { ifbNameFor } from "../../../provider/net/tc";
import { renderApplyScript } from "../../../provider/plan/apply-script";
import { SNAPSHOT_SCRIPT } from "../../../provider/host/snapshot";
import { FakeHost, hostFixture } from "../../support/fake-host";
import * as s from "../fixtures/host/scenario";

type Props = Record<string, unknown>;
type Handlers = typeof network | typeof staticRoute | typeof guestInterface;

const BR = s.BRIDGE;
const BR_IFB = ifbNameFor(BR);
const T0 = "vnfkt0";
const T0_IFB = ifbNameFor(T0);
const MAC0 = "52:54:00:fa:00:10";

let fake: FakeHost;
beforeAll(() => {
  fake = new FakeHost(hostFixture("empty"), hostFixture("tc-probe"));
  setShellFactory(() => fake);
});
afterAll(() => closeAllHosts());

async function checked(h: Handlers, olds: Props, news: Props): Promise<Props> {
  const r = await h.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** Runs one handler call that must apply `ops` (one script) and leave the host as the recorded `after`. */
async function step<T>(after: s.SnapshotName, ops: Operation[], call: () => Promise<T>): Promise<T> {
  const applies = fake.applies.length;
  fake.willApply(hostFixture(after));
  const result = await call();
  expect(fake.applies.slice(applies)).toEqual([renderApplyScript(ops)]);
  expect(fake.pendingApplies).toBe(0);
  return result;
}

// Class 1:2 of the bridge as each step finds it, in the terms virtnet writes it.
const cls12 = (rateKbps: number, burstKb?: number) => ({ parent: "1:1", classId: "1:2", rateKbps, ceilKbps: 2000, ...(burstKb ? { burstKb } : {}), quantum: 85 });
const floorCls = (id: number, rateKbps: number, quantum: number) => ({ parent: "1:1", classId: `1:${id}`, rateKbps, ceilKbps: 2000, quantum });
const pfifo = (dev: string, parent: string, handle: string): Operation => ({ op: "qdiscAdd", dev, qdisc: { kind: "pfifo", parent, handle } });
/** The outbound limit through an ifb, the police fallback (docs/architecture.md §4). */
const ifbLimit = (dev: string, ifb: string, rateKbps: number, quantum: number): Operation[] => [
  { op: "qdiscDel", dev: ifb, target: "root" },
  { op: "qdiscAdd", dev, qdisc: { kind: "ingress" } },
  { op: "filterAdd", dev, filter: { kind: "redirect", to: ifb } },
  { op: "qdiscAdd", dev: ifb, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
  { op: "classAdd", dev: ifb, cls: { parent: "1:", classId: "1:1", rateKbps, burstKb: rateKbps, quantum } },
  pfifo(ifb, "1:1", "2:"),
];
const ifbCreate = (ifb: string): Operation[] => [
  { op: "ifbAdd", name: ifb },
  { op: "linkSetAlias", name: ifb, alias: "virtnet" },
  { op: "linkSetUp", name: ifb },
];
const unplug = (id: number, mac: string, cls: ReturnType<typeof floorCls>, to: number, from: number, toBurst?: number): Operation[] => [
  { op: "qdiscDel", dev: BR, target: { handle: `${id}:` }, restore: [pfifo(BR, `1:${id}`, `${id}:`)] },
  { op: "filterDelFloor", dev: BR, id, from: { kind: "floorMac", id, mac } },
  { op: "classDel", dev: BR, classId: `1:${id}`, from: cls },
  { op: "classChange", dev: BR, cls: cls12(to, toBurst), from: cls12(from) },
];

describe("the lifecycle against a scripted host", () => {
  const net = {} as { id: string; outs: Props; inputs: Props };
  const route = {} as { id: string; outs: Props };
  const g = {} as Record<"g1" | "g2" | "g3", { id: string; outs: Props; inputs: Props }>;

  it("creates a network in libvirt's order in one apply: bridge, settings, address, up, then QoS with its ifb", async () => {
    net.inputs = await checked(network, {}, s.networkArgs);
    const created = await step(
      "network-created",
      [
        { op: "linkAddBridge", name: BR, mac: "52:54:00:fa:00:01" },
        { op: "linkSetAlias", name: BR, alias: "virtnet" },
        { op: "bridgeSetForwardDelay", name: BR, centiseconds: 0 },
        { op: "bridgeSetStp", name: BR, on: false },
        { op: "ipv6Sysctl", name: BR, key: "disable_ipv6", value: 1 },
        { op: "ipv6Sysctl", name: BR, key: "accept_ra", value: 0 },
        { op: "ipv6Sysctl", name: BR, key: "autoconf", value: 0 },
        { op: "addrAdd", name: BR, family: "ipv4", address: "192.168.160.1", prefix: 24 },
        { op: "linkSetUp", name: BR },
        ...ifbCreate(BR_IFB),
        { op: "qdiscDel", dev: BR, target: "root" },
        { op: "qdiscDel", dev: BR, target: "ingress" },
        { op: "qdiscAdd", dev: BR, qdisc: { kind: "htb", handle: "1:", defaultClass: "2" } },
        { op: "classAdd", dev: BR, cls: { parent: "1:", classId: "1:1", rateKbps: 1000, ceilKbps: 2000, quantum: 85 } },
        { op: "classAdd", dev: BR, cls: cls12(1000, 64) },
        pfifo(BR, "1:2", "2:"),
        ...ifbLimit(BR, BR_IFB, 500, 42),
      ],
      () => network.create(net.inputs),
    );
    Object.assign(net, created);
    // Two round trips: the snapshot with the tc probe beside it (the network has bandwidth), then the apply.
    expect(fake.received).toHaveLength(2);
    expect(fake.received[0]).toContain("vtprobe");
    expect(fake.received[0]).toContain(SNAPSHOT_SCRIPT);
    expect(net.id).toBe(`${s.connection.host}/${BR}`);
    expect(net.outs).toMatchObject({ bridge: { name: BR, stp: false }, mac: "52:54:00:fa:00:01", bandwidth: s.NET_BANDWIDTH, up: true });
  });

  it("reads the created network back without drift and without applying anything", async () => {
    const applies = fake.applies.length;
    const read = await network.read(net.id, net.outs);
    expect(read).toEqual({ id: net.id, props: net.outs });
    expect((await network.diff(net.id, read.props, net.inputs)).changes).toBe(false);
    expect(fake.applies.length).toBe(applies);
  });

  it("updates a network in place: MTU, IPv6 enabled before its first address, the QoS left alone", async () => {
    const news = await checked(network, net.outs, s.networkArgsUpdated);
    const { outs } = await step(
      "network-updated",
      [
        { op: "linkSetMtu", name: BR, mtu: 1400, from: 1500 },
        { op: "ipv6Sysctl", name: BR, key: "disable_ipv6", value: 0, from: 1 },
        { op: "addrAdd", name: BR, family: "ipv6", address: "2001:db8:160::1", prefix: 64 },
      ],
      () => network.update(net.id, net.outs, news),
    );
    Object.assign(net, { outs, inputs: news });
    expect(outs).toMatchObject({ mtu: 1400, ips: s.networkArgsUpdated.ips });
  });

  it("creates a static route through the network's bridge", async () => {
    const created = await step(
      "route-created",
      [{ op: "routeAdd", name: BR, family: "ipv4", address: "10.160.0.0", prefix: 16, gateway: "192.168.160.10", metric: 1 }],
      async () => staticRoute.create(await checked(staticRoute, {}, s.routeArgs)),
    );
    Object.assign(route, created);
    expect(route.id).toBe(`${s.connection.host}/${BR}/route/10.160.0.0/16`);
  });

  it("changes a route's gateway with one replace that records the old gateway", async () => {
    const news = await checked(staticRoute, route.outs, s.routeArgsUpdated);
    const { outs } = await step(
      "route-updated",
      [{ op: "routeReplace", name: BR, family: "ipv4", address: "10.160.0.0", prefix: 16, gateway: "192.168.160.20", metric: 1, fromGateway: "192.168.160.10" }],
      () => staticRoute.update(route.id, route.outs, news),
    );
    route.outs = outs;
    expect(outs).toMatchObject({ gateway: "192.168.160.20" });
  });

  it("creates a guest with a floor: the bridge's port first, then the tap in libvirt's order, then the tap's own shaping", async () => {
    const inputs = await checked(guestInterface, {}, s.guestArgs);
    const created = await step(
      "guest-created",
      [
        { op: "classAdd", dev: BR, cls: floorCls(3, 300, 87) },
        pfifo(BR, "1:3", "3:"),
        { op: "filterAdd", dev: BR, filter: { kind: "floorMac", id: 3, mac: MAC0 } },
        { op: "classChange", dev: BR, cls: cls12(1700), from: cls12(1000, 64) },
        { op: "tapAdd", name: T0 },
        { op: "linkSetAlias", name: T0, alias: "virtnet" },
        { op: "linkSetAddress", name: T0, mac: "fe:54:00:fa:00:10" },
        { op: "linkSetMtu", name: T0, mtu: 1400 },
        { op: "linkSetMaster", name: T0, master: BR },
        { op: "linkSetUp", name: T0 },
        { op: "bridgePortSet", name: T0, setting: "learning", on: false },
        { op: "bridgePortSet", name: T0, setting: "flood", on: false },
        { op: "fdbAdd", name: T0, mac: MAC0 },
        ...ifbCreate(T0_IFB),
        { op: "qdiscDel", dev: T0, target: "root" },
        { op: "qdiscDel", dev: T0, target: "ingress" },
        { op: "qdiscAdd", dev: T0, qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
        { op: "classAdd", dev: T0, cls: { parent: "1:", classId: "1:1", rateKbps: 1024, ceilKbps: 2048, quantum: 87 } },
        pfifo(T0, "1:1", "2:"),
        ...ifbLimit(T0, T0_IFB, 256, 21),
      ],
      () => guestInterface.create(inputs),
    );
    g.g1 = { ...created, inputs };
    expect(created.outs).toMatchObject({ name: T0, mac: MAC0, tapMac: "fe:54:00:fa:00:10", bandwidth: s.guestArgs.bandwidth, floorClassId: 3, floorBridge: BR });
    expect((await guestInterface.diff(created.id, (await guestInterface.read(created.id, created.outs)).props, inputs)).changes).toBe(false);
  });

  it("plugs a floor-only guest as the next class (1:4, quantum 1) and gives its tap no shaping", async () => {
    const inputs = await checked(guestInterface, {}, s.guest2Args);
    const created = await step(
      "guest2-created",
      [
        { op: "classAdd", dev: BR, cls: floorCls(4, 200, 1) },
        pfifo(BR, "1:4", "4:"),
        { op: "filterAdd", dev: BR, filter: { kind: "floorMac", id: 4, mac: "52:54:00:fa:00:11" } },
        { op: "classChange", dev: BR, cls: cls12(1500), from: cls12(1700) },
        { op: "tapAdd", name: "vnfkt1" },
        { op: "linkSetAlias", name: "vnfkt1", alias: "virtnet" },
        { op: "linkSetAddress", name: "vnfkt1", mac: "fe:54:00:fa:00:11" },
        { op: "linkSetMtu", name: "vnfkt1", mtu: 1400 },
        { op: "linkSetMaster", name: "vnfkt1", master: BR },
        { op: "linkSetUp", name: "vnfkt1" },
      ],
      () => guestInterface.create(inputs),
    );
    g.g2 = { ...created, inputs };
    expect(created.outs).toMatchObject({ floorClassId: 4, bandwidth: { inbound: { floor: 200 } } });
  });

  it("plugs a third guest as 1:5 and shapes its tap inbound only (no outbound: no ifb)", async () => {
    const inputs = await checked(guestInterface, {}, s.guest3Args);
    const created = await step(
      "guest3-created",
      [
        { op: "classAdd", dev: BR, cls: floorCls(5, 100, 43) },
        pfifo(BR, "1:5", "5:"),
        { op: "filterAdd", dev: BR, filter: { kind: "floorMac", id: 5, mac: "52:54:00:fa:00:12" } },
        { op: "classChange", dev: BR, cls: cls12(1400), from: cls12(1500) },
        { op: "tapAdd", name: "vnfkt2" },
        { op: "linkSetAlias", name: "vnfkt2", alias: "virtnet" },
        { op: "linkSetAddress", name: "vnfkt2", mac: "fe:54:00:fa:00:12" },
        { op: "linkSetMtu", name: "vnfkt2", mtu: 1400 },
        { op: "linkSetMaster", name: "vnfkt2", master: BR },
        { op: "linkSetUp", name: "vnfkt2" },
        { op: "qdiscDel", dev: "vnfkt2", target: "root" },
        { op: "qdiscDel", dev: "vnfkt2", target: "ingress" },
        { op: "qdiscAdd", dev: "vnfkt2", qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
        { op: "classAdd", dev: "vnfkt2", cls: { parent: "1:", classId: "1:1", rateKbps: 512, quantum: 43 } },
        pfifo("vnfkt2", "1:1", "2:"),
      ],
      () => guestInterface.create(inputs),
    );
    g.g3 = { ...created, inputs };
    expect(created.outs).toMatchObject({ floorClassId: 5 });
  });

  it("deletes the middle guest: unplugs 1:4 recording all it takes, then deletes the tap", async () => {
    await step("guest2-deleted", [...unplug(4, "52:54:00:fa:00:11", floorCls(4, 200, 1), 1600, 1400), { op: "tapDel", name: "vnfkt1" }], () =>
      guestInterface.delete(g.g2.id, g.g2.outs),
    );
  });

  it("changes a guest's MAC: its floor filter is re-made, then the fdb entry is swapped around the tap MAC change", async () => {
    const news = await checked(guestInterface, g.g1.outs, s.guestArgsUpdated);
    const { outs } = await step(
      "guest-updated",
      [
        { op: "filterDelFloor", dev: BR, id: 3, from: { kind: "floorMac", id: 3, mac: MAC0 } },
        { op: "filterAdd", dev: BR, filter: { kind: "floorMac", id: 3, mac: "52:54:00:fa:00:20" } },
        { op: "fdbDel", name: T0, mac: MAC0 },
        { op: "linkSetAddress", name: T0, mac: "fe:54:00:fa:00:20", from: "fe:54:00:fa:00:10" },
        { op: "fdbAdd", name: T0, mac: "52:54:00:fa:00:20" },
      ],
      () => guestInterface.update(g.g1.id, g.g1.outs, news),
    );
    g.g1 = { ...g.g1, outs, inputs: news };
    expect(outs).toMatchObject({ mac: "52:54:00:fa:00:20", tapMac: "fe:54:00:fa:00:20", floorClassId: 3, port: { learning: false, flood: false, guestFdbEntry: true } });
  });

  it("deletes the guest on 1:5, leaving 1:2 at what the remaining floor leaves of the peak", async () => {
    await step("guest3-deleted", [...unplug(5, "52:54:00:fa:00:12", floorCls(5, 100, 43), 1700, 1600), { op: "tapDel", name: "vnfkt2" }], () =>
      guestInterface.delete(g.g3.id, g.g3.outs),
    );
  });

  it("deletes the last guest: unplug (1:2 back to the network's average and burst), the tap, then the ifb its outbound limit needed", async () => {
    await step(
      "guest-deleted",
      [...unplug(3, "52:54:00:fa:00:20", floorCls(3, 300, 87), 1000, 1700, 64), { op: "tapDel", name: T0 }, { op: "linkDel", name: T0_IFB }],
      () => guestInterface.delete(g.g1.id, g.g1.outs),
    );
  });

  it("after its last floor is unplugged, the network reads as it was made: 1:2 back to the average with the network's burst", async () => {
    const applies = fake.applies.length;
    const read = await network.read(net.id, net.outs);
    expect(hostFixture("network-created")).toMatch(/class htb 1:2 parent 1:1 .* burst 64Kb/);
    expect(hostFixture("guest-deleted")).toMatch(/class htb 1:2 parent 1:1 .* burst 64Kb/);
    expect((await network.diff(net.id, read.props, net.inputs)).changes).toBe(false);
    expect(fake.applies.length).toBe(applies);
  });

  it("deletes the static route with the gateway it has", async () => {
    await step("route-deleted", [{ op: "routeDel", name: BR, family: "ipv4", address: "10.160.0.0", prefix: 16, gateway: "192.168.160.20", metric: 1 }], () =>
      staticRoute.delete(route.id, route.outs),
    );
  });

  it("deletes the network in libvirt's stop order, then its ifb", async () => {
    await step("network-deleted", [{ op: "linkSetDown", name: BR, from: true }, { op: "linkDel", name: BR }, { op: "linkDel", name: BR_IFB }], () =>
      network.delete(net.id, net.outs),
    );
    expect(fake.state).not.toMatch(new RegExp(`"ifname":"(${BR}|${BR_IFB})"`));
    expect(await network.read(net.id, net.outs)).toEqual({ id: "", props: {} });
  });

  it("sent exactly one apply per create, update and delete, and nothing it had no answer for", () => {
    expect(fake.applies).toHaveLength(13);
    expect(fake.received.filter((r) => r.includes("vtprobe"))).toHaveLength(1);
  });
});

describe("failed applies against a scripted host", () => {
  it("reports a failed create with its failing command and the undo, and records nothing", async () => {
    const host = new FakeHost(hostFixture("empty"), hostFixture("tc-probe"));
    setShellFactory(() => host);
    host.willFail({ step: 7, stderr: "Error: ipv4: Address already assigned." });
    const failing = quoteArgv(renderOperation({ op: "addrAdd", name: BR, family: "ipv4", address: "192.168.160.1", prefix: 24 }).argv);
    await expect(network.create(await checked(network, {}, s.networkArgs))).rejects.toThrow(
      `creating bridge ${BR} on fake host: \`${failing}\` failed (exit 2): Error: ipv4: Address already assigned.; the steps before it were undone`,
    );
    expect(host.applies).toHaveLength(1);
  });

  it("turns a create whose undo failed too into a partial failure carrying the id and the recorded inputs", async () => {
    const host = new FakeHost(hostFixture("empty"), hostFixture("tc-probe"));
    setShellFactory(() => host);
    host.willFail({ step: 7, stderr: "boom", undoFailures: [{ step: 0, exitCode: 2 }] });
    const err = (await network.create(await checked(network, {}, s.networkArgs)).catch((e: unknown) => e)) as Error & { id?: string; properties?: Props };
    const undone = quoteArgv(renderOperation({ op: "linkAddBridge", name: BR, mac: "52:54:00:fa:00:01" }).argv);
    expect(err.message.endsWith(`undoing these steps before it failed: \`${undone}\` (exit 2)`)).toBe(true);
    expect(err.id).toBe(`${s.connection.host}/${BR}`);
    expect(err.properties).toMatchObject({ bridge: { name: BR }, mac: "52:54:00:fa:00:01" });
  });
});
