import { describe, expect, it } from "vitest";
import type { ObservedLink } from "../../../provider/iproute2/parse-ip-addr";
import { tapMacFor } from "../../../provider/net/mac";
import { renderApplyScript } from "../../../provider/plan/apply-script";
import { checkGuestInterface } from "../../../provider/resources/guest-interface/check";
import { diffGuestInterface } from "../../../provider/resources/guest-interface/diff";
import { guestDesired, guestOutputsFromObservation } from "../../../provider/resources/guest-interface/model";
import { planGuestCreate, planGuestUpdate } from "../../../provider/resources/guest-interface/plan";
import type { GuestInterfaceInputs } from "../../../provider/resources/guest-interface/schema";
import { UNKNOWN } from "../../../provider/unknown";
import { resolveKnown } from "../../../provider/known";
import { connection } from "./network/network-fixtures";

const args = (extra: Record<string, unknown> = {}) => ({ connection, bridge: "virbr10", macTableManager: "libvirt", mac: "52:54:00:12:34:56", ...extra });
const checked = (extra: Record<string, unknown> = {}) => {
  const r = checkGuestInterface({}, args(extra));
  expect(r.failures).toEqual([]);
  return r.inputs as unknown as GuestInterfaceInputs;
};
const resolved = (extra: Record<string, unknown> = {}) => resolveKnown(checked(extra), "a checked guest interface");

describe("tap MAC (docs/libvirt-behaviour.md §4.3)", () => {
  it.each([
    ["52:54:00:12:34:56", "fe:54:00:12:34:56"],
    ["fe:54:00:12:34:56", "fa:54:00:12:34:56"],
    ["fa:54:00:12:34:56", "fe:54:00:12:34:56"],
    ["02:00:00:00:00:01", "fe:00:00:00:00:01"],
  ])("guest %s gets tap %s", (guest, expected) => expect(tapMacFor(guest)).toBe(expected));
});

describe("GuestInterface check", () => {
  it("normalizes the guest MAC's case, and defaults mode kernel and isolation off", () => {
    const r = checkGuestInterface({}, { connection, bridge: "br0", mac: "52:54:00:AB:CD:EF" });
    expect(r.inputs).toMatchObject({ mac: "52:54:00:ab:cd:ef", macTableManager: "kernel", isolated: false });
  });
  it("generates a 52:54:00 guest MAC once and keeps it", () => {
    const first = checkGuestInterface({}, { connection, bridge: "br0" }).inputs;
    expect(first.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(checkGuestInterface(first, { connection, bridge: "br0" }).inputs.mac).toBe(first.mac);
  });
  it.each([
    [{ mac: "52:54:00:12:34" }, "mac", /Invalid guest mac address/],
    [{ mac: "52:54:00:12:34:zz" }, "mac", /Invalid guest mac address/],
    [{ mac: "01:00:5e:00:00:01" }, "mac", /expected unicast mac address, found multicast/],
    [{ name: "vnet-0123456789ab" }, "name", /at most 15/],
    [{ name: "tap;x" }, "name", /may contain only/],
    [{ name: "a%db%d" }, "name", /exactly one '%d'/],
    [{ bridge: "br 0" }, "bridge", /may contain only/],
    [{ mtu: 10 }, "mtu", /at least 68/],
    [{ macTableManager: "auto" }, "macTableManager", /'kernel' or 'libvirt'/],
  ])("rejects %j at %s", (extra, property, reason) => {
    expect(checkGuestInterface({}, args(extra)).failures).toContainEqual({ property, reason: expect.stringMatching(reason) });
  });
});

describe("GuestInterface planner", () => {
  it("creates in libvirt's connect order (docs/libvirt-behaviour.md §4.4): tap, MAC, MTU, attach, up, then learning, flood, fdb", async () => {
    await expect(renderApplyScript(planGuestCreate(guestDesired(resolved({ isolated: true }), "vnet0"), 9000))).toMatchFileSnapshot(
      "../golden/guest-create-libvirt-mode.sh",
    );
  });
  it("creates a kernel-mode tap without touching learning, flooding or the fdb", () => {
    const ops = planGuestCreate(guestDesired(resolved({ macTableManager: "kernel" }), "vnet0"), 1500).map((s) => s.op);
    expect(ops).toEqual(["tapAdd", "linkSetAlias", "linkSetAddress", "linkSetMtu", "linkSetMaster", "linkSetUp"]);
  });

  const link: ObservedLink = {
    index: 9,
    name: "vnet0",
    kind: "tun",
    up: true,
    mtu: 9000,
    mac: "fe:54:00:12:34:56",
    alias: "virtnet",
    master: "virbr10",
    port: { learning: false, flood: false, isolated: false },
    addresses: [],
  };
  const previous = { guestMac: "52:54:00:12:34:56" };

  it("plans nothing when the port is as wanted", () => {
    expect(planGuestUpdate(guestDesired(resolved(), "vnet0"), link, ["52:54:00:12:34:56"], previous)).toEqual([]);
  });
  it("swaps the fdb entry around the tap MAC change on a guest MAC change", () => {
    const steps = planGuestUpdate(guestDesired(resolved({ mac: "52:54:00:00:00:09" }), "vnet0"), link, ["52:54:00:12:34:56"], previous);
    expect(steps).toEqual([
      { op: "fdbDel", name: "vnet0", mac: "52:54:00:12:34:56" },
      { op: "linkSetAddress", name: "vnet0", mac: "fe:54:00:00:00:09", from: "fe:54:00:12:34:56" },
      { op: "fdbAdd", name: "vnet0", mac: "52:54:00:00:00:09" },
    ]);
  });
  it("leaves fdb entries it did not add alone", () => {
    expect(planGuestUpdate(guestDesired(resolved(), "vnet0"), link, ["52:54:00:12:34:56", "02:00:00:00:00:77"], previous)).toEqual([]);
  });
  it("on a move, re-applies the port settings the new bridge starts without", () => {
    const ops = planGuestUpdate(guestDesired(resolved({ bridge: "virbr11" }), "vnet0"), link, ["52:54:00:12:34:56"], previous);
    expect(ops).toEqual([
      { op: "linkSetMaster", name: "vnet0", master: "virbr11", from: "virbr10" },
      { op: "bridgePortSet", name: "vnet0", setting: "learning", on: false, from: true },
      { op: "bridgePortSet", name: "vnet0", setting: "flood", on: false, from: true },
      { op: "fdbAdd", name: "vnet0", mac: "52:54:00:12:34:56" },
    ]);
  });
});

describe("GuestInterface diff", () => {
  const inputs = resolved();
  const outs = guestOutputsFromObservation(inputs, "vnet0", {
    index: 9, name: "vnet0", kind: "tun", up: true, mtu: 9000, mac: "fe:54:00:12:34:56", alias: "virtnet", master: "virbr10",
    port: { learning: false, flood: false, isolated: false }, addresses: [],
  }, ["52:54:00:12:34:56"]);

  it("has no changes for an unchanged interface", () => expect(diffGuestInterface(outs, inputs).changes).toBe(false));
  it("replaces, deleting first, on a new tap name or host", () => {
    expect(diffGuestInterface(outs, checked({ name: "tap1" }))).toMatchObject({ replaces: ["name"], deleteBeforeReplace: true });
    expect(diffGuestInterface(outs, checked({ connection: { ...connection, host: "203.0.113.99" } })).replaces).toEqual(["connection"]);
  });
  it("keeps an auto-chosen name under the default or a matching template", () => {
    expect(diffGuestInterface(outs, checked({ name: "vnet%d" })).changes).toBe(false);
  });
  it("updates in place for MAC, MTU, isolation, mode and a known new bridge", () => {
    for (const extra of [{ mac: "52:54:00:00:00:01" }, { mtu: 1400 }, { isolated: true }, { macTableManager: "kernel" }, { bridge: "virbr11" }]) {
      expect(diffGuestInterface(outs, checked(extra)), JSON.stringify(extra)).toMatchObject({ changes: true, replaces: [] });
    }
  });
  it("replaces when the bridge is unknown: the network is being replaced and the tap must go first", () => {
    expect(diffGuestInterface(outs, checked({ bridge: UNKNOWN })).replaces).toEqual(["bridge"]);
  });
  it("does not plan an update for a network bandwidth that is only unknown in preview", () => {
    expect(diffGuestInterface(outs, checked({ networkBandwidth: UNKNOWN })).changes).toBe(false);
    expect(diffGuestInterface(outs, checked({ networkBandwidth: { inbound: { average: 10 } } }))).toMatchObject({ changes: true, replaces: [] });
  });
  it("sees port drift (learning turned on by hand) as a change", () => {
    expect(diffGuestInterface({ ...outs, port: { ...outs.port, learning: true } }, inputs)).toMatchObject({ changes: true, replaces: [] });
  });
});
