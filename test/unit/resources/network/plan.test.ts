import { describe, expect, it } from "vitest";
import { OBSERVED_BRIDGE } from "../../fixtures/observed-bridge";
import { renderApplyScript } from "../../../../provider/plan/apply-script";
import { effectiveForwardDelayCentiseconds, type NetworkDesired } from "../../../../provider/resources/network/model";
import { planNetworkCreate, planNetworkDelete, planNetworkUpdate } from "../../../../provider/resources/network/plan";
import type { HostForwarding } from "../../../../provider/resources/network/firewall-plan";
import { inverseOf, rollbackInverses } from "../../../../provider/plan/inverse";

const desired: NetworkDesired = {
  name: "virbr10",
  alias: "virtnet",
  mac: "52:54:00:12:34:56",
  mtu: 9000,
  stp: true,
  delaySeconds: 0,
  macTableManager: "libvirt",
  ips: [
    { family: "ipv4", address: "192.168.100.1", prefix: 24 },
    { family: "ipv6", address: "2001:db8:ac10:fd01::1", prefix: 64 },
  ],
  routes: [],
  forward: { mode: "isolated" },
};

const observed = OBSERVED_BRIDGE;

const kept = { mtuManaged: true, routes: [], subnets: [] };
const unmanagedMtu = { mtuManaged: false, routes: [], subnets: [] };
/** A host with nft and none of virtnet's rules yet (creates write the isolation rules). */
const NFT: HostForwarding = { firewall: { nft: true, tables: {} }, forwarding: { ipv4: 0, ipv6: 0 } };
/** A host without nft: these update cases are about the bridge, not its rules (firewall-plan.test.ts is). */
const NO_NFT: HostForwarding = { firewall: { nft: false, tables: {} }, forwarding: { ipv4: 0, ipv6: 0 } };
const ops = (steps: ReturnType<typeof planNetworkCreate>) => steps;

describe("Network planner", () => {
  it("creates in libvirt's order (docs/libvirt-behaviour.md §6.2): add with MAC, then MTU, delay before STP, sysctls, addresses, vlan_filtering, up", async () => {
    await expect(renderApplyScript(planNetworkCreate(desired, NFT))).toMatchFileSnapshot("../../golden/network-create-libvirt-mode.sh");
  });
  it("creates an isolated IPv4-only kernel-mode network with IPv6 disabled on the bridge", async () => {
    const plain: NetworkDesired = { ...desired, mtu: undefined, macTableManager: "kernel", stp: false, delaySeconds: 3, ips: [desired.ips[0]] };
    await expect(renderApplyScript(planNetworkCreate(plain, NFT))).toMatchFileSnapshot("../../golden/network-create-kernel-mode.sh");
  });
  it("adds inline routes after the bridge is up, in the same script", async () => {
    const routed: NetworkDesired = {
      ...desired,
      macTableManager: "kernel",
      routes: [
        { family: "ipv4", address: "192.168.222.0", prefix: 24, gateway: "192.168.100.10", metric: 1 },
        { family: "ipv6", address: "2001:db8:ac10:fc00::", prefix: 64, gateway: "2001:db8:ac10:fd01::1:24", metric: 2 },
      ],
    };
    await expect(renderApplyScript(planNetworkCreate(routed, NFT))).toMatchFileSnapshot("../../golden/network-create-routed.sh");
  });
  it("orders a routed update: old destinations out, addresses, new routes, superseded metrics last", () => {
    const oldRoute = { family: "ipv4" as const, address: "10.1.0.0", prefix: 16, gateway: "192.168.100.10", metric: 1 };
    const keptRoute = { family: "ipv4" as const, address: "10.2.0.0", prefix: 16, gateway: "192.168.100.10", metric: 1 };
    const seenRoute = (r: typeof oldRoute) => ({ ...r, dev: "virbr10", protocol: "241", type: "unicast" });
    const next: NetworkDesired = {
      ...desired,
      ips: [...desired.ips, { family: "ipv4", address: "172.20.0.1", prefix: 16 }],
      routes: [{ ...keptRoute, metric: 5 }, { family: "ipv4", address: "10.3.0.0", prefix: 16, gateway: "172.20.0.9", metric: 1 }],
    };
    const steps = planNetworkUpdate(next, observed, [seenRoute(oldRoute), seenRoute(keptRoute)], { mtuManaged: true, routes: [oldRoute, keptRoute], subnets: [] }, NO_NFT);
    expect(ops(steps).map((o) => `${o.op}${"address" in o ? ` ${o.address}` : ""}${"metric" in o ? ` m${o.metric}` : ""}`)).toEqual([
      "routeDel 10.1.0.0 m1",
      "addrAdd 172.20.0.1",
      "routeAdd 10.2.0.0 m5",
      "routeAdd 10.3.0.0 m1",
      "routeDel 10.2.0.0 m1",
    ]);
  });
  it("undoes a failed create by removing its rules (while the bridge still has its name), then deleting the bridge", () => {
    const undo = rollbackInverses(planNetworkCreate(desired, NFT)).flat();
    // The undo runs newest first: the rules' inverse, then the bridge's.
    expect(undo.map((o) => o.op)).toEqual(["linkDel", "firewallReplace"]);
    expect(undo[1]).toMatchObject({ bridge: "virbr10", rules: [], subnets: ["192.168.100.0/24", "2001:db8:ac10:fd01::/64"] });
  });
  it("deletes in libvirt's stop order: down, then delete", () => {
    expect(ops(planNetworkDelete("virbr10", NFT, []))).toEqual([
      { op: "linkSetDown", name: "virbr10", from: true },
      { op: "linkDel", name: "virbr10" },
    ]);
  });
  it("plans nothing for a bridge that matches, including STP's clamped 2 s delay and kernel link-local addresses", () => {
    expect(planNetworkUpdate(desired, observed, [], kept, NO_NFT)).toEqual([]);
  });
  it("changes only the MTU when only the MTU differs", () => {
    expect(ops(planNetworkUpdate({ ...desired, mtu: 1400 }, observed, [], kept, NO_NFT))).toEqual([{ op: "linkSetMtu", name: "virbr10", mtu: 1400, from: 9000 }]);
  });
  it("returns the MTU to the kernel default when a managed mtu is removed", () => {
    expect(ops(planNetworkUpdate({ ...desired, mtu: undefined }, observed, [], kept, NO_NFT))).toEqual([{ op: "linkSetMtu", name: "virbr10", mtu: 1500, from: 9000 }]);
    expect(planNetworkUpdate({ ...desired, mtu: undefined }, observed, [], unmanagedMtu, NO_NFT)).toEqual([]);
  });
  it("turns STP off before setting a delay below 2 s", () => {
    expect(ops(planNetworkUpdate({ ...desired, stp: false }, observed, [], kept, NO_NFT))).toEqual([
      { op: "bridgeSetStp", name: "virbr10", on: false, from: true },
      { op: "bridgeSetForwardDelay", name: "virbr10", centiseconds: 0, from: 200 },
    ]);
  });
  it("sets the delay before turning STP on", () => {
    const off = { ...observed, bridge: { forwardDelayCentiseconds: 0, stpOn: false, vlanFiltering: true } };
    expect(ops(planNetworkUpdate({ ...desired, delaySeconds: 4 }, off, [], kept, NO_NFT))).toEqual([
      { op: "bridgeSetForwardDelay", name: "virbr10", centiseconds: 400, from: 0 },
      { op: "bridgeSetStp", name: "virbr10", on: true, from: false },
    ]);
  });
  it("clamps the delay into the kernel's 2–30 s while STP is on", () => {
    expect(effectiveForwardDelayCentiseconds(true, 0)).toBe(200);
    expect(effectiveForwardDelayCentiseconds(true, 45)).toBe(3000);
    expect(effectiveForwardDelayCentiseconds(false, 0)).toBe(0);
    expect(ops(planNetworkUpdate({ ...desired, delaySeconds: 40 }, observed, [], kept, NO_NFT))).toEqual([
      { op: "bridgeSetForwardDelay", name: "virbr10", centiseconds: 3000, from: 200 },
    ]);
  });
  it("removes addresses before adding, and enables IPv6 before adding the first IPv6 address", () => {
    const v4only = { ...observed, addresses: [{ family: "ipv4" as const, address: "192.168.100.1", prefix: 16, scope: "global" }] };
    expect(ops(planNetworkUpdate(desired, v4only, [], kept, NO_NFT))).toEqual([
      { op: "addrDel", name: "virbr10", family: "ipv4", address: "192.168.100.1", prefix: 16 },
      { op: "ipv6Sysctl", name: "virbr10", key: "disable_ipv6", value: 0, from: 1 },
      { op: "addrAdd", name: "virbr10", family: "ipv4", address: "192.168.100.1", prefix: 24 },
      { op: "addrAdd", name: "virbr10", family: "ipv6", address: "2001:db8:ac10:fd01::1", prefix: 64 },
    ]);
  });
  it("keeps a subnet's other IPv4 addresses when its primary goes (the kernel would delete them with it)", () => {
    const two = { ...observed, addresses: [
      { family: "ipv4" as const, address: "10.9.0.1", prefix: 24, scope: "global" },
      { family: "ipv4" as const, address: "10.9.0.2", prefix: 24, scope: "global" },
    ] };
    const wanted = { ...desired, ips: [{ family: "ipv4" as const, address: "10.9.0.2", prefix: 24 }] };
    expect(ops(planNetworkUpdate(wanted, two, [], kept, NO_NFT)).filter((o) => o.op === "addrAdd" || o.op === "addrDel")).toEqual([
      { op: "addrDel", name: "virbr10", family: "ipv4", address: "10.9.0.2", prefix: 24 },
      { op: "addrDel", name: "virbr10", family: "ipv4", address: "10.9.0.1", prefix: 24 },
      { op: "addrAdd", name: "virbr10", family: "ipv4", address: "10.9.0.2", prefix: 24 },
    ]);
  });
  it("disables IPv6 on the bridge after its last IPv6 address goes", () => {
    expect(ops(planNetworkUpdate({ ...desired, ips: [desired.ips[0]] }, observed, [], kept, NO_NFT))).toEqual([
      { op: "addrDel", name: "virbr10", family: "ipv6", address: "2001:db8:ac10:fd01::1", prefix: 64 },
      { op: "ipv6Sysctl", name: "virbr10", key: "disable_ipv6", value: 1, from: 0 },
    ]);
  });
  it("switches vlan_filtering with macTableManager where the kernel supports it, and leaves it where it does not", () => {
    expect(ops(planNetworkUpdate({ ...desired, macTableManager: "kernel" }, observed, [], kept, NO_NFT))).toEqual([
      { op: "bridgeSetVlanFiltering", name: "virbr10", on: false, from: true },
    ]);
    const unsupported = { ...observed, bridge: { ...observed.bridge!, vlanFiltering: undefined } };
    expect(planNetworkUpdate(desired, unsupported, [], kept, NO_NFT)).toEqual([]);
  });
  it("repairs drift: MAC, link down, and a missing ownership marker", () => {
    const drifted = { ...observed, mac: "52:54:00:99:99:99", up: false, alias: undefined };
    expect(ops(planNetworkUpdate(desired, drifted, [], kept, NO_NFT))).toEqual([
      { op: "linkSetAlias", name: "virbr10", alias: "virtnet", from: "" },
      { op: "linkSetAddress", name: "virbr10", mac: "52:54:00:12:34:56", from: "52:54:00:99:99:99" },
      { op: "linkSetUp", name: "virbr10", from: false },
    ]);
  });
  it("gives every in-place step an inverse for rollback", () => {
    const drifted = { ...observed, mac: "52:54:00:99:99:99", mtu: 1500, up: false };
    for (const s of planNetworkUpdate({ ...desired, stp: false }, drifted, [], kept, NO_NFT)) expect(inverseOf(s).length, s.op).toBeGreaterThan(0);
  });
});
