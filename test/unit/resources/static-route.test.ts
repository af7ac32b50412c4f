import { describe, expect, it } from "vitest";
import { checkStaticRoute } from "../../../provider/resources/static-route/check";
import { diffStaticRoute } from "../../../provider/resources/static-route/diff";
import type { StaticRouteInputs, StaticRouteOutputs } from "../../../provider/resources/static-route/schema";
import { UNKNOWN } from "../../../provider/unknown";
import { connection } from "./network/network-fixtures";

const base = { connection, bridge: "virbr1", networkIps: [{ address: "192.168.122.1", prefix: 24 }], address: "10.9.0.0", prefix: 16, gateway: "192.168.122.3" };
const check = (extra: Record<string, unknown>) => checkStaticRoute({}, { ...base, ...extra });

describe("StaticRoute check", () => {
  it("accepts a route and defaults its metric to 1", () => {
    const r = check({});
    expect(r.failures).toEqual([]);
    expect(r.inputs.metric).toBe(1);
  });
  it.each([
    [{ bridge: "br;x" }, "bridge", /may contain only/],
    [{ bridge: undefined }, "bridge", /is required/],
    [{ gateway: undefined }, "gateway", /is required/],
    [{ address: "10.9.0.1" }, "address", /not a network address/],
    [{ metric: 0 }, "metric", /at least 1/],
    [{ gateway: "192.168.9.9" }, "gateway", /unreachable static route gateway '192.168.9.9'/],
    [{ address: "192.168.122.0", prefix: 24 }, "address", /network's own subnet/],
    [{ address: "2001:db8::", prefix: 32 }, "family", /No family specified/],
  ])("rejects %j at %s", (extra, property, reason) => {
    expect(check(extra).failures).toContainEqual({ property, reason: expect.stringMatching(reason) });
  });
  it("defers reachability when attached to a bridge by name (checked at create) or while addresses are unknown", () => {
    expect(check({ networkIps: undefined, gateway: "172.16.0.1" }).failures).toEqual([]);
    expect(check({ networkIps: UNKNOWN, gateway: "172.16.0.1" }).failures).toEqual([]);
    expect(check({ networkIps: [{ address: UNKNOWN, prefix: 24 }], gateway: "172.16.0.1" }).failures).toEqual([]);
  });
});

describe("StaticRoute diff", () => {
  const olds = { ...(check({}).inputs as unknown as StaticRouteInputs), schemaVersion: 1 } as StaticRouteOutputs;
  const news = (extra: Record<string, unknown>) => check(extra).inputs as unknown as StaticRouteInputs;

  it("has no changes for the same route", () => expect(diffStaticRoute(olds, news({})).changes).toBe(false));
  it("updates gateway and metric in place", () => {
    expect(diffStaticRoute(olds, news({ gateway: "192.168.122.4" }))).toMatchObject({ changes: true, replaces: [] });
    expect(diffStaticRoute(olds, news({ metric: 5 }))).toMatchObject({ changes: true, replaces: [] });
  });
  it("replaces, deleting first, on a new destination, bridge or host", () => {
    expect(diffStaticRoute(olds, news({ prefix: 17 }))).toMatchObject({ replaces: ["prefix"], deleteBeforeReplace: true });
    expect(diffStaticRoute(olds, news({ address: "10.10.0.0" })).replaces).toEqual(["address"]);
    expect(diffStaticRoute(olds, news({ bridge: "virbr2" })).replaces).toEqual(["bridge"]);
    expect(diffStaticRoute(olds, news({ connection: { ...connection, host: "203.0.113.9" } })).replaces).toEqual(["connection"]);
  });
  it("keeps the route when only its form changes (netmask for prefix)", () => {
    expect(diffStaticRoute(olds, news({ prefix: undefined, netmask: "255.255.0.0" }))).toMatchObject({ changes: true, replaces: [] });
  });
  it("plans a replace while the destination or host is unknown, and an update while only the gateway is", () => {
    expect(diffStaticRoute(olds, news({ address: UNKNOWN })).replaces).toEqual(["address"]);
    expect(diffStaticRoute(olds, news({ connection: { ...connection, host: UNKNOWN } })).replaces).toEqual(["connection"]);
    expect(diffStaticRoute(olds, news({ gateway: UNKNOWN }))).toMatchObject({ changes: true, replaces: [] });
  });
  it("records a change of the network's addresses without touching the route", () => {
    expect(diffStaticRoute(olds, news({ networkIps: [{ address: "192.168.122.1", prefix: 16 }] }))).toMatchObject({ changes: true, replaces: [] });
  });
});
