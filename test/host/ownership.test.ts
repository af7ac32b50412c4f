// Nothing taken, nothing lost (docs/architecture.md §4, ownership) on a real kernel: foreign objects under managed
// names are never changed or deleted, what an interrupted create left is converged, an ifb left by a bridge deleted
// by hand is reused, and two processes racing for auto-chosen tap names both succeed.
import { describe, expect, it } from "vitest";
import { guestInterface, network, staticRoute } from "../../provider";
import { ownerAlias } from "../../provider/net/owner-alias";
import { ifbNameFor } from "../../provider/net/tc";
import { sandboxConnection } from "../support/network-args";
import { useSandbox } from "../support/use-sandbox";

type Props = Record<string, unknown>;
const t = useSandbox();

async function checked(handlers: typeof network, args: Props): Promise<Props> {
  const r = await handlers.check({}, args);
  expect(r.failures).toEqual([]);
  return r.inputs;
}
const ip = (...args: string[]) => t.sb.execInNamespace(["ip", ...args]);
const link = (name: string) => (t.sb.ipJson(["-d", "link", "show", "dev", name]) as Array<{ ifname: string; ifalias?: string; address: string }>)[0];
const exists = (name: string) => (t.sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).some((l) => l.ifname === name);

describe("foreign objects under managed names", () => {
  it("a bridge deleted by hand and made again by someone else reads as gone, is never changed, and survives destroy", async () => {
    const inputs = await checked(network, { connection: sandboxConnection(t.sb), owner: "own/dev/n1", bridge: { name: "owbr1", stp: false }, ips: [{ address: "192.168.170.1", prefix: 24 }] });
    const { id, outs } = await network.create(inputs);
    expect(link("owbr1").ifalias).toBe(ownerAlias("own/dev/n1"));
    ip("link", "del", "owbr1");
    ip("link", "add", "owbr1", "type", "bridge");
    ip("addr", "add", "10.77.0.1/24", "dev", "owbr1");
    expect((await network.read(id, outs)).id).toBe("");
    await expect(network.update(id, outs, inputs)).rejects.toThrow(/owbr1 on .* is no longer virtnet's .*will not change it/);
    await network.delete(id, outs);
    expect(link("owbr1").ifalias).toBeUndefined();
    expect(ip("-4", "addr", "show", "dev", "owbr1")).toContain("10.77.0.1/24");
    ip("link", "del", "owbr1");
  });

  it("an administrator's route of the same destination and metric is a collision: never rewritten, never deleted", async () => {
    const net = await network.create(await checked(network, { connection: sandboxConnection(t.sb), owner: "own/dev/n2", bridge: { name: "owbr2", stp: false }, ips: [{ address: "192.168.171.1", prefix: 24 }] }));
    const routeInputs = await checked(staticRoute as never, { connection: sandboxConnection(t.sb), bridge: "owbr2", address: "10.171.0.0", prefix: 16, gateway: "192.168.171.2" });
    const route = await staticRoute.create(routeInputs);
    ip("route", "replace", "10.171.0.0/16", "via", "192.168.171.9", "dev", "owbr2", "proto", "static", "metric", "1");
    expect((await staticRoute.read(route.id, route.outs)).id).toBe("");
    await expect(staticRoute.update(route.id, route.outs, routeInputs)).rejects.toThrow(/collides with the host's existing route '10.171.0.0\/16 via 192.168.171.9 dev owbr2 proto static metric 1'/);
    await staticRoute.delete(route.id, route.outs);
    expect(ip("-4", "route", "show", "10.171.0.0/16")).toContain("via 192.168.171.9");
    await network.delete(net.id, net.outs);
  });
});

describe("what an interrupted create left", () => {
  it("a bridge with this resource's own marker is converged by the next create, not refused", async () => {
    ip("link", "add", "owbr3", "type", "bridge");
    ip("link", "set", "dev", "owbr3", "alias", ownerAlias("own/dev/n3"));
    const inputs = await checked(network, { connection: sandboxConnection(t.sb), owner: "own/dev/n3", bridge: { name: "owbr3", stp: false }, ips: [{ address: "192.168.172.1", prefix: 24 }] });
    const { id, outs } = await network.create(inputs);
    expect(ip("-4", "addr", "show", "dev", "owbr3")).toContain("192.168.172.1/24");
    expect((await network.diff(id, (await network.read(id, outs)).props, inputs)).changes).toBe(false);
    await network.delete(id, outs);
    expect(exists("owbr3")).toBe(false);
  });

  it("an auto-named tap with this resource's marker is taken again instead of a second one", async () => {
    ip("link", "add", "owbr4", "type", "bridge");
    ip("tuntap", "add", "dev", "owtap7", "mode", "tap");
    ip("link", "set", "dev", "owtap7", "alias", ownerAlias("own/dev/g4"));
    const inputs = await checked(guestInterface as never, { connection: sandboxConnection(t.sb), owner: "own/dev/g4", bridge: "owbr4", name: "owtap%d", mac: "52:54:00:17:00:04" });
    const { id, outs } = await guestInterface.create(inputs);
    expect(outs.name).toBe("owtap7");
    expect((t.sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).filter((l) => l.ifname.startsWith("owtap")).map((l) => l.ifname)).toEqual(["owtap7"]);
    await guestInterface.delete(id, outs);
    ip("link", "del", "owbr4");
  });
});

describe("kernels using the ifb fallback", () => {
  it("a bridge deleted by hand is made again, reusing the ifb it left", async () => {
    const inputs = await checked(network, { connection: sandboxConnection(t.sb), owner: "own/dev/n5", bridge: { name: "owbr5", stp: false }, ips: [{ address: "192.168.175.1", prefix: 24 }], bandwidth: { outbound: { average: 1000 } } });
    const { id, outs } = await network.create(inputs);
    const ifb = ifbNameFor("owbr5");
    const fallback = exists(ifb);
    ip("link", "del", "owbr5");
    const updated = await network.update(id, outs, inputs);
    expect(exists("owbr5")).toBe(true);
    expect(exists(ifb)).toBe(fallback);
    await network.delete(id, updated.outs);
    expect(exists("owbr5")).toBe(false);
    expect(exists(ifb)).toBe(false);
  });
});

describe("two processes racing for auto-chosen names", () => {
  it("gives 40 concurrent creates from two separate connection pools 40 distinct taps, with no error", async () => {
    ip("link", "add", "owbr6", "type", "bridge");
    // Two credentials' forms make two pools: two SSH connections, each with its own name reservations, as two stacks.
    const a = sandboxConnection(t.sb);
    const b = sandboxConnection(t.sb, { hostKey: undefined, knownHosts: t.sb.knownHosts });
    const creates = [a, b].flatMap((connection, side) =>
      Array.from({ length: 20 }, async (_, i) =>
        guestInterface.create(await checked(guestInterface as never, { connection, owner: `race/${side}/g${i}`, bridge: "owbr6", name: "race%d", mac: `52:54:00:18:${side}0:${(16 + i).toString(16)}` })),
      ),
    );
    const results = await Promise.allSettled(creates);
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const names = results.map((r) => (r as PromiseFulfilledResult<{ outs: Props }>).value.outs.name);
    expect(new Set(names).size).toBe(40);
    for (const r of results) {
      const { id, outs } = (r as PromiseFulfilledResult<{ id: string; outs: Props }>).value;
      await guestInterface.delete(id, outs);
    }
    ip("link", "del", "owbr6");
  });
});
