// Ownership you can prove (docs/architecture.md §4): markers name the owning resource; nothing foreign is taken.
import { describe, expect, it } from "vitest";
import { chooseName } from "../../../provider/host/choose-name";
import { Host } from "../../../provider/host/host";
import { HostSnapshot } from "../../../provider/host/snapshot";
import type { ObservedLink } from "../../../provider/iproute2/parse-ip-addr";
import { claimable, ownerAlias, ownership } from "../../../provider/net/owner-alias";
import { checkStaticRoute } from "../../../provider/resources/static-route/check";
import { connection } from "./network/network-fixtures";

const OWNER = "lab/dev/net1";
const link = (name: string, alias?: string): ObservedLink => ({ index: 1, name, kind: "bridge", up: true, mtu: 1500, alias, addresses: [] });
const host = () => new Host({ label: "host1", run: async () => ({ code: 0, stdout: "", stderr: "" }), close: () => undefined });
const request = (wanted: string, extra: { owner?: string; adopt?: boolean } = {}) => ({ wanted, maxId: 256, noun: "bridge", owner: OWNER, ...extra });

describe("owner markers", () => {
  it("names the owning resource by a hash of project, stack and name, within the kernel's alias limit", () => {
    expect(ownerAlias(OWNER)).toMatch(/^virtnet:[0-9a-f]{12}$/);
    expect(ownerAlias(OWNER)).not.toBe(ownerAlias("lab/prod/net1"));
    expect(ownerAlias(undefined)).toBe("virtnet");
  });
  it("tells own, legacy, another resource's and foreign apart", () => {
    expect(ownership(ownerAlias(OWNER), OWNER)).toBe("own");
    expect(ownership("virtnet", OWNER)).toBe("legacy");
    expect(ownership(ownerAlias("lab/other/x"), OWNER)).toBe("other");
    expect(ownership(undefined, OWNER)).toBe("foreign");
    expect(ownership("libvirt-made", OWNER)).toBe("foreign");
  });
  it("lets a resource keep only what its state may claim: its own marker, legacy state's marker, or an adoption", () => {
    const strict = { legacy: false, adopt: false };
    expect(claimable(ownerAlias(OWNER), OWNER, strict)).toBe(true);
    expect(claimable("virtnet", OWNER, strict)).toBe(false);
    expect(claimable("virtnet", OWNER, { legacy: true, adopt: false })).toBe(true);
    expect(claimable(undefined, OWNER, strict)).toBe(false);
    expect(claimable(undefined, OWNER, { legacy: false, adopt: true })).toBe(true);
    expect(claimable(ownerAlias("lab/other/x"), OWNER, { legacy: true, adopt: true })).toBe(false);
  });
});

describe("choosing a name on create", () => {
  it("converges the bridge an interrupted create of this resource left, by its explicit name", () => {
    expect(chooseName(request("br7"), new HostSnapshot([link("br7", ownerAlias(OWNER))]), host())).toEqual({ name: "br7", adopted: true });
  });
  it("takes its own auto-named bridge again instead of making a second one", () => {
    const snapshot = new HostSnapshot([link("virbr0"), link("virbr1", ownerAlias(OWNER))]);
    expect(chooseName(request("virbr%d"), snapshot, host())).toEqual({ name: "virbr1", adopted: true });
  });
  it("refuses another resource's bridge and an unmarked one, naming adopt for the latter", () => {
    expect(() => chooseName(request("br7"), new HostSnapshot([link("br7", ownerAlias("lab/other/x"))]), host())).toThrow(/belongs to another virtnet resource/);
    expect(() => chooseName(request("br7"), new HostSnapshot([link("br7")]), host())).toThrow(/was not created by virtnet.*adopt: true/);
  });
  it("takes over an unmarked bridge only when asked to adopt it, and never another resource's", () => {
    expect(chooseName(request("br7", { adopt: true }), new HostSnapshot([link("br7")]), host())).toEqual({ name: "br7", adopted: true });
    expect(() => chooseName(request("br7", { adopt: true }), new HostSnapshot([link("br7", ownerAlias("lab/other/x"))]), host())).toThrow(/another virtnet resource/);
  });
});

describe("one owner per route", () => {
  const base = { connection, bridge: "virbr1", networkIps: [{ address: "192.168.122.1", prefix: 24 }], address: "10.9.0.0", prefix: 16, gateway: "192.168.122.3" };
  it("refuses at preview a StaticRoute that repeats its Network's inline route (same destination and metric)", () => {
    const r = checkStaticRoute({}, { ...base, networkRoutes: [{ address: "10.9.0.0", prefix: 16, gateway: "192.168.122.2" }] });
    expect(r.failures).toEqual([{ property: "address", reason: expect.stringMatching(/Network's routes\[0\] already routes 10.9.0.0\/16 with metric 1/) }]);
  });
  it("accepts the same destination at another metric", () => {
    expect(checkStaticRoute({}, { ...base, networkRoutes: [{ address: "10.9.0.0", prefix: 16, gateway: "192.168.122.2", metric: 5 }] }).failures).toEqual([]);
  });
});
