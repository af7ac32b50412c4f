// Engine-faithful lifecycle of the routed example: inline routes on a Network and a StaticRoute attached to it.
import { describe, expect, it } from "vitest";
import { defineRoutedLab, type RoutedOptions } from "../../examples/routed/routed";
import type { Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const t = useEngine();

function routed(options: RoutedOptions = {}): Program {
  return ({ pkg, pulumi }) => {
    defineRoutedLab(pkg, { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey }, options);
  };
}

/** Steps by resource name, e.g. { routed: "create", vpn: "create" }. */

function staticRoutes(family: "-4" | "-6"): string[] {
  return (t.sb.ipJson([family, "route", "show", "proto", "241"]) as Array<{ dst: string; gateway: string; dev: string; metric?: number }>)
    .map((r) => `${r.dst} via ${r.gateway} dev ${r.dev} metric ${r.metric ?? 0}`)
    .sort();
}

describe("routed network lifecycle through Pulumi's dynamic-provider plugin", () => {
  it("previews both resources; the route already sees the network's bridge and addresses, which echo its inputs", async () => {
    const r = await t.engine.preview(routed());
    expect(steps(r)).toEqual({ routed: "create", vpn: "create" });
    const vpn = r.registrations.find((x) => x.name === "vpn")!;
    expect(vpn.inputs.bridge).toBe("virbr1");
    expect(vpn.inputs.networkIps).toEqual([expect.objectContaining({ address: "192.168.122.1" }), expect.objectContaining({ address: "2001:db8:ac10:fd01::1" })]);
    expect(staticRoutes("-4")).toEqual([]);
  });

  it("creates the network with its inline routes, then the standalone route", async () => {
    expect(steps(await t.engine.up(routed()))).toEqual({ routed: "create", vpn: "create" });
    expect(staticRoutes("-4")).toEqual(["10.8.0.0/16 via 192.168.122.2 dev virbr1 metric 1", "192.168.222.0/24 via 192.168.122.10 dev virbr1 metric 1"]);
    expect(staticRoutes("-6")).toEqual(["2001:db8:ac10:fc00::/64 via 2001:db8:ac10:fd01::1:24 dev virbr1 metric 1"]);
    const vpn = [...t.engine.state.values()].find((s) => s.type.endsWith(":StaticRoute"))!;
    expect(vpn.id).toBe(`${t.sb.host}/virbr1/route/10.8.0.0/16`);
    expect(vpn.secretOutputs).toContain("connection");
  });

  it("finds nothing to do on a second up; the network's routes and the standalone route do not fight", async () => {
    expect(steps(await t.engine.up(routed()))).toEqual({ routed: "same", vpn: "same" });
    expect(steps(await t.engine.refresh())).toEqual({ routed: "read", vpn: "read" });
    expect(steps(await t.engine.preview(routed()))).toEqual({ routed: "same", vpn: "same" });
  });

  it("changes gateways and the metric in place: no replaces", async () => {
    const change = { gateway: "192.168.122.11", metric: 4, standaloneGateway: "192.168.122.5" };
    const preview = await t.engine.preview(routed(change));
    expect(preview.steps.map((s) => [s.name, s.op, s.replaces])).toEqual([
      ["routed", "update", []],
      ["vpn", "update", []],
    ]);
    expect(steps(await t.engine.up(routed(change)))).toEqual({ routed: "update", vpn: "update" });
    expect(staticRoutes("-4")).toEqual(["10.8.0.0/16 via 192.168.122.5 dev virbr1 metric 4", "192.168.222.0/24 via 192.168.122.11 dev virbr1 metric 1"]);
  });

  it("sees a route deleted by hand on refresh and puts it back on the next up", async () => {
    const change = { gateway: "192.168.122.11", metric: 4, standaloneGateway: "192.168.122.5" };
    t.sb.execInNamespace(["ip", "route", "del", "10.8.0.0/16"]);
    t.sb.execInNamespace(["ip", "route", "del", "192.168.222.0/24"]);
    expect(steps(await t.engine.refresh())).toEqual({ routed: "read", vpn: "refresh-delete" });
    expect(steps(await t.engine.preview(routed(change)))).toEqual({ routed: "update", vpn: "create" });
    expect(steps(await t.engine.up(routed(change)))).toEqual({ routed: "update", vpn: "create" });
    expect(staticRoutes("-4")).toEqual(["10.8.0.0/16 via 192.168.122.5 dev virbr1 metric 4", "192.168.222.0/24 via 192.168.122.11 dev virbr1 metric 1"]);
  });

  it("rejects an unreachable gateway at preview once the network's addresses are known", async () => {
    const r = await t.engine.preview(routed({ standaloneGateway: "10.99.0.1" }));
    expect(r.failures).toEqual([expect.objectContaining({ property: "gateway", reason: expect.stringMatching(/unreachable static route gateway '10.99.0.1'/) })]);
  });

  it("removes the standalone route when it leaves the program, and destroy leaves nothing", async () => {
    expect(steps(await t.engine.up(routed({ withoutStandalone: true })))).toEqual({ routed: "update", vpn: "delete" });
    expect(staticRoutes("-4")).toEqual(["192.168.222.0/24 via 192.168.122.10 dev virbr1 metric 1"]);
    await t.engine.up(routed());
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.name)).toEqual(["vpn", "routed"]);
    expect(staticRoutes("-4")).toEqual([]);
    expect(t.sb.ipJson(["link", "show", "type", "bridge"])).toEqual([]);
  });
});
