// StaticRoute against a real kernel: on a virtnet network and on a foreign bridge, in place changes, drift, adoption.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network, staticRoute } from "../../provider";
import { closeAllHosts, hostFor } from "../../provider/host/host-pool";
import { knownConnection } from "../../provider/connection/known-connection";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

type Props = Record<string, unknown>;
let sb: Sandbox;
let net: { id: string; outs: Props };

beforeAll(async () => {
  sb = await createSandbox();
  const checked = await network.check({}, {
    connection: sandboxConnection(sb),
    bridge: { name: "virbr1" },
    ips: [
      { address: "192.168.122.1", prefix: 24 },
      { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" },
    ],
  });
  net = await network.create(checked.inputs);
});
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await staticRoute.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

function routeArgs(extra: Props): Props {
  return { connection: sandboxConnection(sb), bridge: "virbr1", networkIps: (net.outs.ips as Props[]), ...extra };
}

function kernelRoutes(dst: string, family: "-4" | "-6" = "-4"): string[] {
  return (sb.ipJson([family, "route", "show", dst]) as Array<{ dst: string; gateway?: string; dev: string; metric?: number; protocol?: string }>).map(
    (r) => `${r.dst} via ${r.gateway} dev ${r.dev} proto ${r.protocol ?? "boot"} metric ${r.metric ?? 0}`,
  );
}

/** Samples in the namespace whether the destination is routed via a gateway, as fast as it can, for `ms`. */
function sampleReachability(destination: string, ms: number): Promise<{ samples: number; gaps: number }> {
  const script = `end=$(( $(date +%s%N) + ${ms} * 1000000 )); n=0; g=0
while [ "$(date +%s%N)" -lt "$end" ]; do ip route get ${destination} 2>/dev/null | grep -q ' via ' || g=$((g+1)); n=$((n+1)); done
echo "$n $g"`;
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", sb.namespace, "sh", "-c", script]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.on("error", reject);
    child.on("close", () => {
      const [samples, gaps] = out.trim().split(" ").map(Number);
      resolve({ samples, gaps });
    });
  });
}

describe("StaticRoute on a virtnet network", () => {
  let id: string;
  let outs: Props;
  let inputs: Props;

  it("adds the route with virtnet's proto 241 and metric 1", async () => {
    inputs = await checked(routeArgs({ address: "10.9.0.0", prefix: 16, gateway: "192.168.122.3" }));
    ({ id, outs } = await staticRoute.create(inputs));
    expect(id).toBe(`${sb.host}/virbr1/route/10.9.0.0/16`);
    expect(kernelRoutes("10.9.0.0/16")).toEqual(["10.9.0.0/16 via 192.168.122.3 dev virbr1 proto 241 metric 1"]);
    expect((await staticRoute.diff(id, (await staticRoute.read(id, outs)).props, inputs)).changes).toBe(false);
  });

  it("changes the metric in place with no moment where the destination is unreachable", async () => {
    // The sampler must be able to see a gap: remove the route by hand for 200 ms while it samples.
    const control = sampleReachability("10.9.1.1", 600);
    await new Promise((r) => setTimeout(r, 150));
    sb.execInNamespace(["ip", "route", "del", "10.9.0.0/16"]);
    await new Promise((r) => setTimeout(r, 200));
    sb.execInNamespace(["ip", "route", "add", "10.9.0.0/16", "via", "192.168.122.3", "dev", "virbr1", "proto", "241", "metric", "1"]);
    expect((await control).gaps).toBeGreaterThan(0);

    const sampling = sampleReachability("10.9.1.1", 1500);
    await new Promise((r) => setTimeout(r, 100));
    for (const metric of [5, 9, 2]) {
      const news = await checked({ ...inputs, metric }, inputs);
      const d = await staticRoute.diff(id, outs, news);
      expect(d).toMatchObject({ changes: true, replaces: [] });
      outs = (await staticRoute.update(id, outs, news)).outs;
      inputs = news;
    }
    const { samples, gaps } = await sampling;
    expect(samples).toBeGreaterThan(50);
    expect(gaps).toBe(0);
    expect(kernelRoutes("10.9.0.0/16")).toEqual(["10.9.0.0/16 via 192.168.122.3 dev virbr1 proto 241 metric 2"]);
  });

  it("changes the gateway in place", async () => {
    const news = await checked({ ...inputs, gateway: "192.168.122.4" }, inputs);
    expect((await staticRoute.diff(id, outs, news)).replaces).toEqual([]);
    outs = (await staticRoute.update(id, outs, news)).outs;
    inputs = news;
    expect(kernelRoutes("10.9.0.0/16")).toEqual(["10.9.0.0/16 via 192.168.122.4 dev virbr1 proto 241 metric 2"]);
  });

  it("replaces, deleting first, when the destination changes; not for a change of form", async () => {
    expect((await staticRoute.diff(id, outs, await checked({ ...inputs, prefix: 17 }, inputs))).replaces).toEqual(["prefix"]);
    const sameNet = await checked({ ...inputs, prefix: undefined, netmask: "255.255.0.0" }, inputs);
    expect((await staticRoute.diff(id, outs, sameNet)).replaces).toEqual([]);
    expect((await staticRoute.diff(id, outs, await checked({ ...inputs, bridge: "virbr9" }, inputs))).deleteBeforeReplace).toBe(true);
  });

  it("sees a gateway changed by hand as drift and repairs it; a route removed by hand reads as gone", async () => {
    sb.execInNamespace(["ip", "route", "replace", "10.9.0.0/16", "via", "192.168.122.77", "dev", "virbr1", "proto", "241", "metric", "2"]);
    const refreshed = await staticRoute.read(id, outs);
    expect(refreshed.props).toMatchObject({ gateway: "192.168.122.77", metric: 2 });
    expect((await staticRoute.diff(id, refreshed.props, inputs)).changes).toBe(true);
    outs = (await staticRoute.update(id, refreshed.props, inputs)).outs;
    expect(kernelRoutes("10.9.0.0/16")).toEqual(["10.9.0.0/16 via 192.168.122.4 dev virbr1 proto 241 metric 2"]);
    sb.execInNamespace(["ip", "route", "del", "10.9.0.0/16"]);
    expect((await staticRoute.read(id, outs)).id).toBe("");
    ({ outs } = await staticRoute.create(inputs));
  });

  it("deletes the route, and a second delete is not an error", async () => {
    await staticRoute.delete(id, outs);
    expect(kernelRoutes("10.9.0.0/16")).toEqual([]);
    await expect(staticRoute.delete(id, outs)).resolves.toBeUndefined();
  });
});

describe("StaticRoute edge cases", () => {
  it("adds an IPv6 route and the IPv6 default route", async () => {
    const r6 = await staticRoute.create(await checked(routeArgs({ address: "2001:db8:ac10:fc00::", prefix: 64, family: "ipv6", gateway: "2001:db8:ac10:fd01::1:24" })));
    expect(kernelRoutes("2001:db8:ac10:fc00::/64", "-6")).toEqual(["2001:db8:ac10:fc00::/64 via 2001:db8:ac10:fd01::1:24 dev virbr1 proto 241 metric 1"]);
    const d6 = await staticRoute.create(await checked(routeArgs({ address: "::", prefix: 0, family: "ipv6", gateway: "2001:db8:ac10:fd01::fe" })));
    expect(kernelRoutes("default", "-6")).toEqual(["default via 2001:db8:ac10:fd01::fe dev virbr1 proto 241 metric 1"]);
    await staticRoute.delete(r6.id, r6.outs);
    await staticRoute.delete(d6.id, d6.outs);
  });

  it("adds the IPv4 default route where the host has none", async () => {
    const d = await staticRoute.create(await checked(routeArgs({ address: "0.0.0.0", prefix: 0, gateway: "192.168.122.254" })));
    expect(kernelRoutes("default")).toEqual(["default via 192.168.122.254 dev virbr1 proto 241 metric 1"]);
    await staticRoute.delete(d.id, d.outs);
  });

  it("refuses a destination the host already routes, naming the route, and adds nothing", async () => {
    sb.execInNamespace(["ip", "route", "add", "10.66.0.0/16", "via", sb.rootAddress, "dev", "uplink0"]);
    const inputs = await checked(routeArgs({ address: "10.66.0.0", prefix: 16, gateway: "192.168.122.3" }));
    await expect(staticRoute.create(inputs)).rejects.toThrow(/route to 10.66.0.0\/16 via 192.168.122.3 on virbr1 .*collides with the host's existing route '10.66.0.0\/16 via .* dev uplink0/);
    expect(kernelRoutes("10.66.0.0/16")).toHaveLength(1);
  });

  it("on a foreign bridge by name, checks reachability against the bridge's observed addresses at create", async () => {
    sb.execInNamespace(["ip", "link", "add", "hostbr0", "type", "bridge"]);
    sb.execInNamespace(["ip", "addr", "add", "172.31.0.1/24", "dev", "hostbr0"]);
    sb.execInNamespace(["ip", "link", "set", "hostbr0", "up"]);
    const far = await checked({ connection: sandboxConnection(sb), bridge: "hostbr0", address: "10.50.0.0", prefix: 16, gateway: "172.30.0.9" });
    await expect(staticRoute.create(far)).rejects.toThrow(/gateway: unreachable static route gateway '172.30.0.9': it is in none of the network's ipv4 subnets \(172.31.0.0\/24\)/);
    const near = await staticRoute.create(await checked({ ...far, gateway: "172.31.0.9" }));
    expect(kernelRoutes("10.50.0.0/16")).toEqual(["10.50.0.0/16 via 172.31.0.9 dev hostbr0 proto 241 metric 1"]);
    await staticRoute.delete(near.id, near.outs);
  });

  it("fails clearly when the bridge does not exist", async () => {
    const inputs = await checked({ connection: sandboxConnection(sb), bridge: "nosuchbr", address: "10.51.0.0", prefix: 16, gateway: "172.31.0.9" });
    await expect(staticRoute.create(inputs)).rejects.toThrow(/bridge nosuchbr does not exist on .*; create its network first/);
  });

  it("reads a route whose bridge vanished as gone", async () => {
    const r = await staticRoute.create(await checked({ connection: sandboxConnection(sb), bridge: "hostbr0", address: "10.52.0.0", prefix: 16, gateway: "172.31.0.9" }));
    sb.execInNamespace(["ip", "link", "del", "hostbr0"]);
    expect((await staticRoute.read(r.id, r.outs)).id).toBe("");
    await expect(staticRoute.delete(r.id, r.outs)).resolves.toBeUndefined();
  });

  it("adds 200 inline routes on a network in one apply exec", async () => {
    const routes = Array.from({ length: 200 }, (_, i) => ({ address: `10.${100 + Math.floor(i / 100)}.${i % 100}.0`, prefix: 24, gateway: "192.168.77.2" }));
    const inputs = (await network.check({}, { connection: sandboxConnection(sb), bridge: { name: "virbr200" }, ips: [{ address: "192.168.77.1", prefix: 24 }], routes })).inputs;
    const host = hostFor(knownConnection(inputs.connection as never, "test"));
    const before = host.stats.execs;
    const created = await network.create(inputs);
    expect(host.stats.execs - before).toBe(2); // one observation, one apply (which observes again)
    expect((sb.ipJson(["-4", "route", "show", "dev", "virbr200", "proto", "241"]) as unknown[]).length).toBe(200);
    expect((created.outs.routes as unknown[]).length).toBe(200);
    await network.delete(created.id, created.outs);
  });
});

describe("StaticRoute adoption of a route made by hand", () => {
  const made = () => sb.execInNamespace(["ip", "route", "add", "10.70.0.0/16", "via", sb.rootAddress, "dev", "uplink0", "metric", "1"]);
  const clear = () => sb.execInNamespace(["sh", "-c", "ip route del 10.70.0.0/16 2>/dev/null; true"]);

  it("without adopt, refuses it, names adopt: true, and changes nothing", async () => {
    made();
    try {
      const before = kernelRoutes("10.70.0.0/16");
      const inputs = await checked(routeArgs({ address: "10.70.0.0", prefix: 16, gateway: "192.168.122.70" }));
      await expect(staticRoute.create(inputs)).rejects.toThrow(/collides with the host's existing route '10.70.0.0\/16 via .* dev uplink0 proto boot metric 1'; .*set adopt: true to take it over/);
      expect(kernelRoutes("10.70.0.0/16")).toEqual(before);
    } finally {
      clear();
    }
  });

  it("with adopt: true, takes it over in place: on the bridge, with the gateway and virtnet's proto 241; then no drift, and delete removes it", async () => {
    made();
    try {
      const inputs = await checked(routeArgs({ address: "10.70.0.0", prefix: 16, gateway: "192.168.122.70", adopt: true }));
      const r = await staticRoute.create(inputs);
      expect(r.id).toBe(`${sb.host}/virbr1/route/10.70.0.0/16`);
      expect(kernelRoutes("10.70.0.0/16")).toEqual(["10.70.0.0/16 via 192.168.122.70 dev virbr1 proto 241 metric 1"]);
      expect(r.outs).toMatchObject({ address: "10.70.0.0", prefix: 16, gateway: "192.168.122.70", metric: 1, adopt: true });
      expect((await staticRoute.diff(r.id, (await staticRoute.read(r.id, r.outs)).props, inputs)).changes).toBe(false);
      await staticRoute.delete(r.id, r.outs);
      expect(kernelRoutes("10.70.0.0/16")).toEqual([]);
    } finally {
      clear();
    }
  });
});
