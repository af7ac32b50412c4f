import { describe, expect, it } from "vitest";
import { checkNetwork } from "../../../../provider/resources/network/check";
import { diffNetwork } from "../../../../provider/resources/network/diff";
import type { NetworkOutputs } from "../../../../provider/resources/network/model";
import type { NetworkInputs } from "../../../../provider/resources/network/schema";
import { UNKNOWN } from "../../../../provider/unknown";
import { args, connection } from "./network-fixtures";

const base = checkNetwork({}, args({ mac: "52:54:00:00:00:01" })).inputs as unknown as NetworkInputs;
const olds: NetworkOutputs = {
  schemaVersion: 1,
  connection: base.connection as NetworkOutputs["connection"],
  bridge: { name: "virbr10", stp: true, delay: 0 },
  mac: "52:54:00:00:00:01",
  ips: [{ address: "192.168.100.1", prefix: 24 }],
  routes: [],
  substitutions: [],
};

function news(overrides: Record<string, unknown>): NetworkInputs {
  const r = checkNetwork(olds as unknown as Record<string, unknown>, args({ mac: "52:54:00:00:00:01", ...overrides }));
  expect(r.failures).toEqual([]);
  return r.inputs as unknown as NetworkInputs;
}

describe("Network diff", () => {
  it("reports no changes when nothing changed", () => {
    expect(diffNetwork(olds, base)).toMatchObject({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
  it("replaces, deleting first, when the host changes", () => {
    expect(diffNetwork(olds, news({ connection: { ...connection, host: "203.0.113.8" } }))).toMatchObject({
      changes: true,
      replaces: ["connection"],
      deleteBeforeReplace: true,
    });
  });
  it("replaces, deleting first, when the bridge name changes", () => {
    expect(diffNetwork(olds, news({ bridge: { name: "virbr11" } }))).toMatchObject({ replaces: ["bridge"], deleteBeforeReplace: true });
  });
  it("keeps an auto-chosen name when the name is absent or a matching template", () => {
    const auto = { ...olds, bridge: { ...olds.bridge, name: "virbr3" } };
    expect(diffNetwork(auto, news({ bridge: {} })).changes).toBe(false);
    expect(diffNetwork(auto, news({ bridge: { name: "virbr%d" } })).changes).toBe(false);
    expect(diffNetwork(auto, news({ bridge: { name: "lab%d" } })).replaces).toEqual(["bridge"]);
  });
  for (const [what, overrides] of [
    ["mtu", { mtu: 9000 }],
    ["stp", { bridge: { name: "virbr10", stp: false } }],
    ["delay", { bridge: { name: "virbr10", delay: 5 } }],
    ["macTableManager", { bridge: { name: "virbr10", macTableManager: "libvirt" } }],
    ["ips", { ips: [{ address: "192.168.100.1", prefix: 24 }, { address: "2001:db8::1", prefix: 64, family: "ipv6" }] }],
    ["mac", { mac: "52:54:00:00:00:02" }],
    ["credentials", { connection: { ...connection, privateKey: "another key" } }],
  ] as const) {
    it(`updates in place, without replacing, when ${what} changes`, () => {
      const d = diffNetwork(olds, news(overrides as Record<string, unknown>));
      expect(d).toMatchObject({ changes: true, replaces: [], deleteBeforeReplace: false });
    });
  }
  it("sees the same addresses written with a netmask as a change of form only (no replace)", () => {
    const d = diffNetwork(olds, news({ ips: [{ address: "192.168.100.1", netmask: "255.255.255.0" }] }));
    expect(d.replaces).toEqual([]);
  });
  it("plans a replace when the host is unknown in preview", () => {
    expect(diffNetwork(olds, news({ connection: { ...connection, host: UNKNOWN } })).replaces).toEqual(["connection"]);
  });
  it("plans an update when addresses are unknown in preview", () => {
    expect(diffNetwork(olds, news({ ips: UNKNOWN }))).toMatchObject({ changes: true, replaces: [] });
  });
  it("plans an update, without replacing, for a bridge set down by hand", () => {
    expect(diffNetwork({ ...olds, up: false }, base)).toMatchObject({ changes: true, replaces: [] });
  });
  it("returns changes as a boolean, never undefined", () => {
    expect(typeof diffNetwork(olds, base).changes).toBe("boolean");
  });
});
