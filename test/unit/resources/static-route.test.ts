import { describe, expect, it } from "vitest";
import { Host } from "../../../provider/host/host";
import { HostSnapshot } from "../../../provider/host/snapshot";
import type { ObservedRoute } from "../../../provider/iproute2/parse-ip-route";
import type { Known } from "../../../provider/known";
import { checkStaticRoute } from "../../../provider/resources/static-route/check";
import { diffStaticRoute } from "../../../provider/resources/static-route/diff";
import { staticRouteType } from "../../../provider/resources/static-route/resource";
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

describe("StaticRoute adopt: true", () => {
  const host = new Host({ label: "host1", run: async () => ({ code: 0, stdout: "", stderr: "" }), close: () => undefined });
  const bridge = { index: 3, name: "virbr1", kind: "bridge", up: true, mtu: 1500, addresses: [{ family: "ipv4" as const, address: "192.168.122.1", prefix: 24, scope: "global" }] };
  // `ip route add 10.9.0.0/16 via 198.18.0.1 dev uplink0 metric 1`, made by hand.
  const byHand: ObservedRoute = { family: "ipv4", address: "10.9.0.0", prefix: 16, gateway: "198.18.0.1", dev: "uplink0", protocol: "boot", metric: 1, type: "unicast" };
  const snapshot = new HostSnapshot([bridge], [byHand]);
  const resolved = (extra: Record<string, unknown>) => check(extra).inputs as unknown as Known<StaticRouteInputs>;
  const plan = (extra: Record<string, unknown>) => staticRouteType.plan({ host, snapshot, name: "", desired: resolved(extra), extra: undefined });

  it("is a boolean input, recorded but never a change of its own", () => {
    expect(check({ adopt: true }).inputs.adopt).toBe(true);
    expect(check({ adopt: "yes" }).failures).toEqual([{ property: "adopt", reason: "must be true or false" }]);
    const olds = { ...(check({}).inputs as unknown as StaticRouteInputs), schemaVersion: 2 } as StaticRouteOutputs;
    expect(diffStaticRoute(olds, check({ adopt: true }).inputs as unknown as StaticRouteInputs).changes).toBe(false);
  });

  it("plans one replace that moves the route made by hand to the bridge, gives it the gateway and marks it", () => {
    expect(plan({ adopt: true })).toEqual([
      { op: "routeReplace", name: "virbr1", family: "ipv4", address: "10.9.0.0", prefix: 16, gateway: "192.168.122.3", metric: 1, fromGateway: "198.18.0.1", fromDev: "uplink0", fromProtocol: "boot" },
    ]);
  });

  it("without adopt, refuses before planning and says to set adopt: true", () => {
    expect(() => plan({})).toThrow(
      "route to 10.9.0.0/16 via 192.168.122.3 on virbr1 (host1): the route to 10.9.0.0/16 collides with the host's existing route '10.9.0.0/16 via 198.18.0.1 dev uplink0 proto boot metric 1'; remove that route or choose another destination, or set adopt: true to take it over (it is then converged to the declared route, marked with virtnet's proto 241 and deleted with the resource)",
    );
  });

  it("with adopt, still refuses a route of another metric, saying why adopt cannot take it", () => {
    expect(() => plan({ adopt: true, metric: 5 })).toThrow(/adopt: true cannot take it over: it has metric 1 and the route declares metric 5/);
  });
});

describe("HostSnapshot.routesTo", () => {
  const route = (address: string, prefix: number, dev: string, family: "ipv4" | "ipv6" = "ipv4"): ObservedRoute => ({ family, address, prefix, dev, metric: 0, type: "unicast", gateway: family === "ipv4" ? "10.0.0.2" : "fd00::2", protocol: "241" });
  const routes = [route("10.50.1.0", 24, "br0"), route("10.50.1.0", 24, "br1"), route("10.50.1.0", 25, "br0"), route("10.50.2.0", 24, "br0"), route("fd00:1::", 64, "br0", "ipv6")];
  const snapshot = new HostSnapshot([], routes);

  it("finds the routes to a destination on every device, however its address is written", () => {
    expect(snapshot.routesTo({ family: "ipv4", address: "10.50.1.77", prefix: 24 })).toEqual([routes[0], routes[1]]);
    expect(snapshot.routesTo({ family: "ipv4", address: "10.50.1.0", prefix: 25 })).toEqual([routes[2]]);
    expect(snapshot.routesTo({ family: "ipv6", address: "fd00:1:0:0::1", prefix: 64 })).toEqual([routes[4]]);
    expect(snapshot.routesTo({ family: "ipv4", address: "10.50.3.0", prefix: 24 })).toEqual([]);
  });
});
