import { describe, expect, it } from "vitest";
import type { ObservedRoute } from "../../../../provider/iproute2/parse-ip-route";
import { renderOperation } from "../../../../provider/iproute2/render-operation";
import { inverseOf } from "../../../../provider/plan/inverse";
import type { DesiredRoute } from "../../../../provider/resources/route/model";
import { allRouteSteps, planRoutes, routeCollisions } from "../../../../provider/resources/route/plan";

const r1: DesiredRoute = { family: "ipv4", address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", metric: 1 };
const r6: DesiredRoute = { family: "ipv6", address: "2001:db8:ac10:fc00::", prefix: 64, gateway: "2001:db8:ac10:fd01::1:24", metric: 1 };
const dflt: DesiredRoute = { family: "ipv4", address: "0.0.0.0", prefix: 0, gateway: "192.168.122.1", metric: 1 };
const seen = (r: DesiredRoute, extra: Partial<ObservedRoute> = {}): ObservedRoute => ({ ...r, dev: "virbr1", protocol: "241", type: "unicast", ...extra });
const argv = (steps: ReturnType<typeof allRouteSteps>) => steps.map((s) => renderOperation(s).argv.join(" "));

describe("route rendering (docs/architecture.md §4: virtnet's proto 241, metric always given)", () => {
  it("renders libvirt's dhcp6host-routed-network routes and the default route", () => {
    expect(argv(planRoutes({ bridge: "virbr1", desired: [r1, r6, dflt], managed: [], observed: [] }).additions)).toEqual([
      "ip route add 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 1",
      "ip -6 route add 2001:db8:ac10:fc00::/64 via 2001:db8:ac10:fd01::1:24 dev virbr1 proto 241 metric 1",
      "ip route add default via 192.168.122.1 dev virbr1 proto 241 metric 1",
    ]);
  });
});

describe("route planner", () => {
  it("does nothing when the routes are in place", () => {
    expect(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1, r6], managed: [r1, r6], observed: [seen(r1), seen(r6)] }))).toEqual([]);
  });
  it("changes a gateway atomically with ip route replace", () => {
    const moved = { ...r1, gateway: "192.168.122.20" };
    expect(argv(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [moved], managed: [r1], observed: [seen(r1)] })))).toEqual([
      "ip route replace 192.168.222.0/24 via 192.168.122.20 dev virbr1 proto 241 metric 1",
    ]);
  });
  it("changes a metric by adding the new route before deleting the old one", () => {
    const plan = planRoutes({ bridge: "virbr1", desired: [{ ...r1, metric: 7 }], managed: [r1], observed: [seen(r1)] });
    expect(argv(allRouteSteps(plan))).toEqual([
      "ip route add 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 7",
      "ip route del 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 1",
    ]);
    expect(plan.superseded).toHaveLength(1);
  });
  it("removes a route no longer wanted early, before address changes, and only if it is still there", () => {
    expect(argv(planRoutes({ bridge: "virbr1", desired: [], managed: [r1, r6], observed: [seen(r1)] }).removals)).toEqual([
      "ip route del 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 1",
    ]);
  });
  it("re-adds a route deleted by hand (drift)", () => {
    expect(argv(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [r1], observed: [] })))).toEqual([
      "ip route add 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 1",
    ]);
  });
  it("leaves routes it does not manage alone", () => {
    const foreign = seen({ ...r1, address: "10.9.0.0", prefix: 16 });
    expect(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [r1], observed: [seen(r1), foreign] }))).toEqual([]);
  });
  it("undoes each step with its inverse", () => {
    const steps = allRouteSteps(planRoutes({ bridge: "virbr1", desired: [{ ...r1, metric: 7 }, r6], managed: [r1], observed: [seen(r1)] }));
    expect(steps.map((s) => inverseOf(s).map((u) => u.op))).toEqual([["routeDel"], ["routeDel"], ["routeAdd"]]);
  });
});

describe("route collisions (docs/libvirt-behaviour.md §2.3, reported instead of skipped)", () => {
  const label = () => "routes[0]";
  it("names the host's existing route to the same destination, on any device or metric", () => {
    const existing = seen({ ...r1, gateway: "10.0.0.1" }, { dev: "eth0", metric: 100, protocol: "static" });
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [existing] }, label)).toEqual([
      "routes[0] to 192.168.222.0/24 collides with the host's existing route '192.168.222.0/24 via 10.0.0.1 dev eth0 proto static metric 100'; remove that route or choose another destination",
    ]);
  });
  it("catches the host's existing default route", () => {
    const existing: ObservedRoute = { family: "ipv4", address: "0.0.0.0", prefix: 0, gateway: "198.18.0.1", dev: "uplink0", protocol: "boot", metric: 0, type: "unicast" };
    expect(routeCollisions({ bridge: "virbr1", desired: [dflt], managed: [], observed: [existing] }, label)[0]).toMatch(/to default \(ipv4\) collides with .*'default via 198.18.0.1 dev uplink0 proto boot metric 0'/);
  });
  it("catches a connected subnet the kernel routes", () => {
    const connected: ObservedRoute = { family: "ipv4", address: "192.168.222.0", prefix: 24, dev: "eth1", protocol: "kernel", metric: 0, type: "unicast" };
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [connected] }, label)[0]).toMatch(/192.168.222.0\/24 dev eth1 proto kernel metric 0/);
  });
  it("ignores the routes the resource itself manages (a metric change)", () => {
    expect(routeCollisions({ bridge: "virbr1", desired: [{ ...r1, metric: 7 }], managed: [r1], observed: [seen(r1)] }, label)).toEqual([]);
  });
  it("does not compare families", () => {
    const v6default: ObservedRoute = { family: "ipv6", address: "::", prefix: 0, gateway: "fe80::1", dev: "eth0", protocol: "ra", metric: 1024, type: "unicast" };
    expect(routeCollisions({ bridge: "virbr1", desired: [dflt], managed: [], observed: [v6default] }, label)).toEqual([]);
  });
});

describe("route ownership (docs/architecture.md §4: virtnet's routes carry proto 241)", () => {
  const label = () => "routes[0]";
  it("refuses a destination a blackhole at metric 0 takes, naming it", () => {
    const blackhole: ObservedRoute = { family: "ipv4", address: "192.168.222.0", prefix: 24, dev: "", protocol: "boot", metric: 0, type: "blackhole" };
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [blackhole] }, label)[0]).toMatch(/'blackhole 192.168.222.0\/24 proto boot metric 0'/);
  });
  it("never rewrites or deletes an administrator's route of the same destination and metric on the bridge", () => {
    const admin = seen({ ...r1, gateway: "192.168.122.99" }, { protocol: "static" });
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [r1], observed: [admin] }, label)[0]).toMatch(/collides with the host's existing route '192.168.222.0\/24 via 192.168.122.99 dev virbr1 proto static metric 1'/);
    expect(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [], managed: [r1], observed: [admin] }))).toEqual([]);
  });
  it("takes state from before the protocol existed as virtnet's, and re-marks its routes in place", () => {
    const legacy = seen(r1, { protocol: "static" });
    expect(argv(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [r1], observed: [legacy], legacy: true })))).toEqual([
      "ip route replace 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 1",
    ]);
  });
  it("converges the exact route an interrupted create left, and refuses one with another gateway", () => {
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [seen(r1)] }, label)).toEqual([]);
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [seen({ ...r1, gateway: "192.168.122.77" })] }, label)).toHaveLength(1);
  });
});

describe("route adoption (StaticRoute's adopt: true)", () => {
  const label = () => "the route";
  // What `ip route add 192.168.222.0/24 via 10.0.0.1 dev eth0 metric 1` leaves: proto boot, on another device.
  const byHand = seen({ ...r1, gateway: "10.0.0.1" }, { dev: "eth0", protocol: "boot" });

  it("takes over an unmarked route of the same destination and metric: one replace moves it to the bridge, sets the gateway and marks it", () => {
    const steps = allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [], observed: [byHand], adopt: true }));
    expect(steps).toEqual([
      { op: "routeReplace", name: "virbr1", family: "ipv4", address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", metric: 1, fromGateway: "10.0.0.1", fromDev: "eth0", fromProtocol: "boot" },
    ]);
    expect(argv(steps)).toEqual(["ip route replace 192.168.222.0/24 via 192.168.122.10 dev virbr1 proto 241 metric 1"]);
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [byHand], adopt: true }, label, true)).toEqual([]);
  });

  it("re-marks a route already on the bridge with the gateway, and records only its protocol", () => {
    const onBridge = seen(r1, { protocol: "static" });
    expect(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [], observed: [onBridge], adopt: true }))).toEqual([
      { op: "routeReplace", name: "virbr1", family: "ipv4", address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", metric: 1, fromGateway: "192.168.122.10", fromProtocol: "static" },
    ]);
  });

  it("adopts an IPv6 route the same way", () => {
    const v6 = seen({ ...r6, gateway: "2001:db8:ac10:fd01::99" }, { protocol: "boot" });
    expect(argv(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r6], managed: [], observed: [v6], adopt: true })))).toEqual([
      "ip -6 route replace 2001:db8:ac10:fc00::/64 via 2001:db8:ac10:fd01::1:24 dev virbr1 proto 241 metric 1",
    ]);
  });

  it("undoes an adoption by putting the route back as it was: its device, gateway and protocol", () => {
    const [adopting] = allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [], observed: [byHand], adopt: true }));
    const [undo] = inverseOf(adopting);
    expect(renderOperation(undo).argv.join(" ")).toBe("ip route replace 192.168.222.0/24 via 10.0.0.1 dev eth0 proto boot metric 1");
    // And the undo's own inverse is the adoption again.
    expect(inverseOf(undo)).toEqual([adopting]);
  });

  it("without adopt, refuses the same route and names adopt: true", () => {
    expect(allRouteSteps(planRoutes({ bridge: "virbr1", desired: [r1], managed: [], observed: [byHand] }))).toEqual([
      { op: "routeAdd", name: "virbr1", family: "ipv4", address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", metric: 1 },
    ]);
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [byHand] }, label, true)).toEqual([
      "the route to 192.168.222.0/24 collides with the host's existing route '192.168.222.0/24 via 10.0.0.1 dev eth0 proto boot metric 1'; remove that route or choose another destination, or set adopt: true to take it over (it is then converged to the declared route, marked with virtnet's proto 241 and deleted with the resource)",
    ]);
  });

  it("never takes another virtnet resource's route, one of another metric, or one without a single gateway, and says why", () => {
    const cases: [ObservedRoute, RegExp][] = [
      [seen({ ...r1, gateway: "192.168.122.77" }), /adopt: true cannot take it over: it carries virtnet's proto 241: another virtnet resource manages it\)$/],
      [{ ...byHand, metric: 0 }, /adopt: true cannot take it over: it has metric 0 and the route declares metric 1; adopt takes over only a route of the same destination and metric\)$/],
      [{ ...byHand, type: "blackhole", gateway: undefined, dev: "" }, /adopt: true cannot take it over: it is not a route through one gateway\)$/],
      [{ ...byHand, nexthops: 2, gateway: undefined, dev: "" }, /adopt: true cannot take it over: it is not a route through one gateway\)$/],
    ];
    for (const [existing, why] of cases) {
      const input = { bridge: "virbr1", desired: [r1], managed: [], observed: [existing], adopt: true };
      expect(routeCollisions(input, label, true)).toEqual([expect.stringMatching(why)]);
      // The planner leaves unmarked routes it may not take alone (a virtnet route on the bridge is refused by the
      // collision check above, before any plan).
      if (existing.protocol !== "241") expect(allRouteSteps(planRoutes(input))).toEqual([expect.objectContaining({ op: "routeAdd" })]);
    }
  });

  it("keeps Network's inline routes, which have no adopt, to the plain refusal", () => {
    expect(routeCollisions({ bridge: "virbr1", desired: [r1], managed: [], observed: [byHand] }, () => "routes[0]")).toEqual([
      "routes[0] to 192.168.222.0/24 collides with the host's existing route '192.168.222.0/24 via 10.0.0.1 dev eth0 proto boot metric 1'; remove that route or choose another destination",
    ]);
  });
});
