// Inline routes of a Network against a real kernel.
import { describe, expect, it } from "vitest";
import { network } from "../../../provider";
import { useSandbox } from "../../support/use-sandbox";
import { sandboxConnection } from "../../support/network-args";

type Props = Record<string, unknown>;
const t = useSandbox();

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

function routes(family: "-4" | "-6", dev: string): string[] {
  return (t.sb.ipJson([family, "route", "show", "dev", dev, "proto", "241"]) as Array<{ dst: string; gateway: string; metric?: number }>).map(
    (r) => `${r.dst} via ${r.gateway} metric ${r.metric ?? 0}`,
  );
}

const ips = [
  { address: "192.168.122.1", prefix: 24 },
  { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" },
];

describe("Network with inline routes on a sandbox host", () => {
  let id: string;
  let outs: Props;
  let inputs: Props;

  it("adds IPv4 and IPv6 routes with virtnet's proto 241 and metric after the bridge is up", async () => {
    inputs = await checked({
      connection: sandboxConnection(t.sb),
      bridge: { name: "virbr1" },
      ips,
      routes: [
        { address: "192.168.222.0", netmask: "255.255.255.0", gateway: "192.168.122.10" },
        { address: "2001:db8:ac10:fc00::", prefix: 64, family: "ipv6", gateway: "2001:db8:ac10:fd01::1:24" },
      ],
    });
    ({ id, outs } = await network.create(inputs));
    expect(routes("-4", "virbr1")).toEqual(["192.168.222.0/24 via 192.168.122.10 metric 1"]);
    expect(routes("-6", "virbr1")).toEqual(["2001:db8:ac10:fc00::/64 via 2001:db8:ac10:fd01::1:24 metric 1"]);
    expect(outs.routes).toEqual(inputs.routes);
    expect((await network.diff(id, (await network.read(id, outs)).props, inputs)).changes).toBe(false);
  });

  it("changes a gateway and a metric in place, and removes a route", async () => {
    const news = await checked(
      { ...inputs, routes: [{ address: "192.168.222.0", prefix: 24, gateway: "192.168.122.20", metric: 3 }] },
      inputs,
    );
    expect((await network.diff(id, outs, news)).replaces).toEqual([]);
    outs = (await network.update(id, outs, news)).outs;
    expect(routes("-4", "virbr1")).toEqual(["192.168.222.0/24 via 192.168.122.20 metric 3"]);
    expect(routes("-6", "virbr1")).toEqual([]);
    inputs = news;
  });

  it("reads a route changed by hand as drift and puts it back", async () => {
    t.sb.execInNamespace(["ip", "route", "replace", "192.168.222.0/24", "via", "192.168.122.99", "dev", "virbr1", "proto", "241", "metric", "3"]);
    const refreshed = await network.read(id, outs);
    expect(refreshed.props.routes).toEqual([expect.objectContaining({ gateway: "192.168.122.99", metric: 3 })]);
    await network.update(id, refreshed.props, inputs);
    expect(routes("-4", "virbr1")).toEqual(["192.168.222.0/24 via 192.168.122.20 metric 3"]);
    t.sb.execInNamespace(["ip", "route", "del", "192.168.222.0/24", "dev", "virbr1"]);
    const gone = await network.read(id, outs);
    expect(gone.props.routes).toEqual([]);
    await network.update(id, gone.props, inputs);
    expect(routes("-4", "virbr1")).toEqual(["192.168.222.0/24 via 192.168.122.20 metric 3"]);
  });

  it("refuses a route whose destination the host already routes, naming that route, and changes nothing", async () => {
    t.sb.execInNamespace(["ip", "route", "add", "10.77.0.0/16", "via", t.sb.rootAddress, "dev", "uplink0"]);
    const news = await checked({ ...inputs, routes: [...(inputs.routes as unknown[]), { address: "10.77.0.0", prefix: 16, gateway: "192.168.122.30" }] }, inputs);
    await expect(network.update(id, outs, news)).rejects.toThrow(/routes\[1\] to 10.77.0.0\/16 collides with the host's existing route '10.77.0.0\/16 via .* dev uplink0/);
    expect(routes("-4", "virbr1")).toEqual(["192.168.222.0/24 via 192.168.122.20 metric 3"]);
  });

  it("refuses a default route while the host has one (libvirt's collision rule), and creates nothing", async () => {
    t.sb.execInNamespace(["ip", "route", "add", "default", "via", t.sb.rootAddress, "dev", "uplink0"]);
    const news = await checked({ connection: sandboxConnection(t.sb), bridge: { name: "virbr2" }, ips: [{ address: "192.168.5.1", prefix: 24 }], routes: [{ address: "0.0.0.0", prefix: 0, gateway: "192.168.5.254" }] });
    await expect(network.create(news)).rejects.toThrow(/routes\[0\] to default \(ipv4\) collides with the host's existing route 'default via/);
    expect((t.sb.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).map((l) => l.ifname)).not.toContain("virbr2");
    t.sb.execInNamespace(["ip", "route", "del", "default"]);
  });

  it("adds the default route where the host has none", async () => {
    const news = await checked({ connection: sandboxConnection(t.sb), bridge: { name: "virbr2" }, ips: [{ address: "192.168.5.1", prefix: 24 }], routes: [{ address: "0.0.0.0", prefix: 0, gateway: "192.168.5.254" }] });
    const created = await network.create(news);
    expect(routes("-4", "virbr2")).toEqual(["default via 192.168.5.254 metric 1"]);
    await network.delete(created.id, created.outs);
  });

  it("refuses an address whose subnet another interface already routes", async () => {
    const news = await checked({ connection: sandboxConnection(t.sb), bridge: { name: "virbr3" }, ips: [{ address: "198.18.0.1", prefix: 15 }] });
    const uplink = (t.sb.ipJson(["-4", "route", "show", "dev", "uplink0"]) as Array<{ dst: string }>)[0].dst;
    const [addr, prefix] = uplink.split("/");
    const clash = await checked({ connection: sandboxConnection(t.sb), bridge: { name: "virbr3" }, ips: [{ address: addr.replace(/\d+$/, (d) => String(Number(d) + 1)), prefix: Number(prefix) }] });
    await expect(network.create(clash)).rejects.toThrow(/ips\[0\]: network .* is already in use by interface uplink0/);
    const ok = await network.create(news);
    await network.delete(ok.id, ok.outs);
  });

  it("deletes the network and its routes with it", async () => {
    await network.delete(id, outs);
    expect(t.sb.ipJson(["route", "show", "192.168.222.0/24"])).toEqual([]);
    expect((t.sb.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).map((l) => l.ifname)).not.toContain("virbr1");
  });
});
