// Adoption through Pulumi's dynamic-provider plugin: `pulumi import` cannot work with a dynamic provider (the engine
// calls Read with only the URN and id, so the plugin has no provider to load: pulumi/pulumi#16175), so a bridge, a
// tap and a route made by hand are taken over by a create with `adopt: true`. Without it, the up fails and says so.
import { describe, expect, it } from "vitest";
import type { EngineResult, Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const t = useEngine();

const BRIDGE = "adbr0";
const TAP = "adtap0";
const DESTINATION = "10.150.0.0/16";
const GUEST_MAC = "52:54:00:15:00:01";

interface Adopt {
  network?: boolean;
  tap?: boolean;
  route?: boolean;
}

/** A network, a guest interface and a static route declared over the objects made by hand, with `adopt` as given. */
function lab(adopt: Adopt): Program {
  return ({ pkg, pulumi }) => {
    const connection = { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey };
    const net = new pkg.Network("adopted-net", {
      connection,
      bridge: { name: BRIDGE, stp: false },
      mtu: 1400,
      ips: [{ address: "192.168.150.1", prefix: 24 }],
      adopt: adopt.network,
    });
    new pkg.GuestInterface("adopted-tap", { network: net, name: TAP, mac: GUEST_MAC, adopt: adopt.tap });
    new pkg.StaticRoute("adopted-route", { network: net, address: "10.150.0.0", prefix: 16, gateway: "192.168.150.2", adopt: adopt.route });
  };
}

type Link = { ifname: string; ifindex: number; mtu: number; address: string; flags: string[]; ifalias?: string; master?: string; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } };
type Route = { dst: string; gateway?: string; dev: string; protocol?: string; metric?: number };

function link(name: string): Link | undefined {
  return (t.sb.ipJson(["-d", "link", "show"]) as Link[]).find((l) => l.ifname === name);
}
function routes(): string[] {
  return (t.sb.ipJson(["-4", "route", "show", DESTINATION]) as Route[]).map((r) => `${r.dst} via ${r.gateway} dev ${r.dev} proto ${r.protocol ?? "boot"} metric ${r.metric ?? 0}`);
}
function addresses(name: string): string[] {
  const [l] = t.sb.ipJson(["addr", "show", "dev", name]) as Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>;
  return l.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
}
/** What a refused up must leave as it was: each object made by hand, by identity and settings (STP timers tick). */
function handMade(): string {
  const facts = (l: Link | undefined) => l && [l.ifindex, l.mtu, l.address, l.flags, l.ifalias, l.master, l.linkinfo?.info_data?.stp_state];
  return JSON.stringify([facts(link(BRIDGE)), facts(link(TAP)), routes()]);
}
/** The error of the resource named `name`, which must exist. */
function errorOf(r: EngineResult, name: string): string {
  const e = r.errors.find((x) => x.urn.endsWith(`::${name}`));
  expect(e, `an error for ${name} in ${JSON.stringify(r.errors)}`).toBeDefined();
  return e!.message;
}
function byName(name: string) {
  const entry = [...t.engine.state.entries()].find(([urn]) => urn.endsWith(`::${name}`));
  expect(entry, `${name} in the engine's state`).toBeDefined();
  return entry![1];
}

describe("adopting objects made by hand through Pulumi's dynamic-provider plugin", () => {
  it("starts from a bridge, a tap and a route made by hand, none of them virtnet's", () => {
    t.sb.execInNamespace(["ip", "link", "add", BRIDGE, "type", "bridge", "stp_state", "1"]);
    t.sb.execInNamespace(["ip", "tuntap", "add", "dev", TAP, "mode", "tap"]);
    t.sb.execInNamespace(["ip", "route", "add", DESTINATION, "via", t.sb.rootAddress, "dev", "uplink0", "metric", "1"]);
    expect(link(BRIDGE)?.ifalias).toBeUndefined();
    expect(link(TAP)?.ifalias).toBeUndefined();
    expect(routes()).toEqual([`${DESTINATION} via ${t.sb.rootAddress} dev uplink0 proto boot metric 1`]);
  });

  it("without adopt, the up fails on the bridge with a message naming adopt: true, and changes nothing", async () => {
    const before = handMade();
    const r = await t.engine.up(lab({}));
    expect(errorOf(r, "adopted-net")).toMatch(new RegExp(`${BRIDGE} already exists on .* was not created by virtnet; virtnet will not take it over\\. .*set adopt: true to take it over`));
    expect(r.steps.filter((s) => s.op !== "create")).toEqual([]);
    expect(t.engine.state.size).toBe(0);
    expect(handMade()).toBe(before);
  });

  it("with only the bridge adopted, the up fails on the tap and on the route, each message naming adopt: true, and they stay as made", async () => {
    const r = await t.engine.up(lab({ network: true }));
    expect(errorOf(r, "adopted-tap")).toMatch(new RegExp(`${TAP} already exists on .* was not created by virtnet; .*set adopt: true to take it over`));
    expect(errorOf(r, "adopted-route")).toMatch(/collides with the host's existing route '10\.150\.0\.0\/16 via .* dev uplink0 proto boot metric 1'; .*set adopt: true to take it over/);
    expect([...t.engine.state.values()].map((s) => s.type.split(":").pop())).toEqual(["Network"]);
    expect([link(TAP)?.ifalias, link(TAP)?.master]).toEqual([undefined, undefined]);
    expect(routes()).toEqual([`${DESTINATION} via ${t.sb.rootAddress} dev uplink0 proto boot metric 1`]);
  });

  it("with adopt: true, takes each over: the objects are virtnet's, converged to the program, and recorded", async () => {
    const bridgeIndex = link(BRIDGE)!.ifindex;
    const tapIndex = link(TAP)!.ifindex;
    expect(steps(await t.engine.up(lab({ network: true, tap: true, route: true })))).toEqual({ "adopted-net": "same", "adopted-tap": "create", "adopted-route": "create" });

    const bridge = link(BRIDGE)!;
    expect(bridge.ifindex).toBe(bridgeIndex); // taken over, not made again
    expect(bridge.ifalias).toMatch(/^virtnet:[0-9a-f]{12}$/);
    expect(bridge).toMatchObject({ mtu: 1400, address: byName("adopted-net").outputs.mac, linkinfo: { info_data: { stp_state: 0 } } });
    expect(bridge.flags).toContain("UP");
    expect(addresses(BRIDGE)).toEqual(["192.168.150.1/24"]);

    const tap = link(TAP)!;
    expect(tap.ifindex).toBe(tapIndex);
    expect(tap.ifalias).toMatch(/^virtnet:[0-9a-f]{12}$/);
    expect(tap.ifalias).not.toBe(bridge.ifalias);
    expect(tap).toMatchObject({ master: BRIDGE, address: "fe:54:00:15:00:01" });
    expect(tap.flags).toContain("UP");

    expect(routes()).toEqual([`${DESTINATION} via 192.168.150.2 dev ${BRIDGE} proto 241 metric 1`]);

    expect(byName("adopted-net").id).toBe(`${t.sb.host}/${BRIDGE}`);
    expect(byName("adopted-tap").id).toBe(`${t.sb.host}/${TAP}`);
    expect(byName("adopted-route").id).toBe(`${t.sb.host}/${BRIDGE}/route/10.150.0.0/16`);
  });

  it("finds nothing to do on a second up, after a refresh and in a preview: no replaces, no changes", async () => {
    const all = { network: true, tap: true, route: true };
    const again = await t.engine.up(lab(all));
    expect(steps(again)).toEqual({ "adopted-net": "same", "adopted-tap": "same", "adopted-route": "same" });
    expect(again.steps.flatMap((s) => [...s.replaces, ...s.diffs])).toEqual([]);
    expect(steps(await t.engine.refresh())).toEqual({ "adopted-net": "read", "adopted-tap": "read", "adopted-route": "read" });
    expect(steps(await t.engine.preview(lab(all)))).toEqual({ "adopted-net": "same", "adopted-tap": "same", "adopted-route": "same" });
  });

  it("destroy removes what it adopted: the route, the tap and the bridge", async () => {
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.name).sort()).toEqual(["adopted-net", "adopted-route", "adopted-tap"]);
    expect(routes()).toEqual([]);
    expect(link(TAP)).toBeUndefined();
    expect(link(BRIDGE)).toBeUndefined();
  });
});
