// The Network handlers against a real kernel: a sandbox host reached over SSH, checked through `ip -n`.
import { describe, expect, it } from "vitest";
import { network } from "../../../provider";
import { hostFor } from "../../../provider/host/host-pool";
import { knownConnection } from "../../../provider/connection/known-connection";
import type { ConnectionInputs } from "../../../provider/connection/connection";
import { useSandbox } from "../../support/use-sandbox";
import { sandboxConnection } from "../../support/network-args";
import { hasBridgeVlanFiltering } from "../../support/kernel-features";

type Props = Record<string, unknown>;
const t = useSandbox();

/** The kernel's view, read independently of virtnet. */
function kernel(name: string) {
  const [link] = t.sb.ipJson(["-d", "addr", "show", "dev", name]) as Array<{
    ifindex: number;
    mtu: number;
    address: string;
    flags: string[];
    ifalias?: string;
    linkinfo: { info_kind: string; info_data: { stp_state: number; forward_delay: number } };
    addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
  }>;
  return link;
}

function globalAddrs(name: string): string[] {
  return kernel(name)
    .addr_info.filter((a) => a.scope === "global")
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

function bridgeExists(name: string): boolean {
  return (t.sb.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).some((l) => l.ifname === name);
}

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

describe("Network on a sandbox host", () => {
  const name = "virbr10";
  let id: string;
  let outs: Props;
  let inputs: Props;

  it("creates the bridge in libvirt's shape: MAC, MTU, STP, addresses, up, owned", async () => {
    inputs = await checked({
      connection: sandboxConnection(t.sb),
      bridge: { name, stp: true, delay: 0 },
      mac: "52:54:00:12:34:56",
      mtu: 9000,
      ips: [
        { address: "192.168.100.1", prefix: 24 },
        { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" },
      ],
    });
    const created = await network.create(inputs);
    id = created.id;
    outs = created.outs;
    expect(id).toBe(`${t.sb.host}/${name}`);
    const k = kernel(name);
    expect(k.linkinfo.info_kind).toBe("bridge");
    expect(k.address).toBe("52:54:00:12:34:56");
    expect(k.mtu).toBe(9000);
    expect(k.flags).toContain("UP");
    expect(k.ifalias).toBe("virtnet");
    expect(k.linkinfo.info_data.stp_state).toBe(1);
    expect(k.linkinfo.info_data.forward_delay).toBe(200); // STP clamps libvirt's delay 0 to 2 s
    expect(globalAddrs(name)).toEqual(["192.168.100.1/24", "2001:db8:ac10:fd01::1/64"]);
    expect(t.sb.execInNamespace(["sysctl", "-n", `net.ipv6.conf.${name}.accept_ra`]).trim()).toBe("0");
    expect(outs).toMatchObject({ bridge: { name, stp: true, delay: 0 }, mac: "52:54:00:12:34:56", mtu: 9000 });
  });

  it("reads back exactly what it created, so an unchanged network shows no diff", async () => {
    const r = await network.read(id, outs);
    expect(r.id).toBe(id);
    expect(r.props).toEqual(outs);
    expect((await network.diff(id, r.props, inputs)).changes).toBe(false);
  });

  it("keeps the MTU when a smaller port joins (MTU set as a change, not at link creation)", () => {
    t.sb.execInNamespace(["ip", "link", "add", "port0", "type", "veth", "peer", "name", "port1"]);
    t.sb.execInNamespace(["ip", "link", "set", "port0", "master", name]);
    expect(kernel(name).mtu).toBe(9000);
    t.sb.execInNamespace(["ip", "link", "del", "port0"]);
  });

  it("updates mtu, stp, delay, addresses and macTableManager in place, without recreating or downing the bridge", async () => {
    const ifindex = kernel(name).ifindex;
    const news = await checked(
      {
        connection: sandboxConnection(t.sb),
        bridge: { name, stp: false, delay: 3, macTableManager: "libvirt" },
        mac: "52:54:00:12:34:57",
        mtu: 1400,
        ips: [{ address: "192.168.100.1", netmask: "255.255.0.0" }, { address: "10.8.0.1", prefix: 16 }],
      },
      inputs,
    );
    const d = await network.diff(id, outs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const r = await network.update(id, outs, news);
    const k = kernel(name);
    expect(k.ifindex).toBe(ifindex);
    expect(k.flags).toContain("UP");
    expect(k.mtu).toBe(1400);
    expect(k.address).toBe("52:54:00:12:34:57");
    expect(k.linkinfo.info_data.stp_state).toBe(0);
    expect(k.linkinfo.info_data.forward_delay).toBe(300);
    expect(globalAddrs(name)).toEqual(["10.8.0.1/16", "192.168.100.1/16"]);
    expect(t.sb.execInNamespace(["sysctl", "-n", `net.ipv6.conf.${name}.disable_ipv6`]).trim()).toBe("1");
    // libvirt mode turns the bridge's VLAN filtering on where the kernel has it; a kernel without it gets libvirt
    // mode without VLAN filtering, and the outputs say so.
    if (hasBridgeVlanFiltering(t.sb, name)) {
      expect(t.sb.execInNamespace(["cat", `/sys/class/net/${name}/bridge/vlan_filtering`]).trim()).toBe("1");
      expect(r.outs.substitutions).toEqual([]);
    } else {
      expect(r.outs.substitutions).toEqual([expect.objectContaining({ property: "bridge.macTableManager", applied: "vlan_filtering left unset" })]);
    }
    expect(r.outs.bridge).toMatchObject({ macTableManager: "libvirt" });
    expect((await network.diff(id, r.outs, news)).changes).toBe(false);
    outs = r.outs;
    inputs = news;
  });

  it("turns STP back on with a delay under 2 s (the kernel clamps), and stays free of diffs", async () => {
    const news = await checked({ ...inputs, bridge: { name, stp: true, delay: 1, macTableManager: "libvirt" } }, inputs);
    const r = await network.update(id, outs, news);
    expect(kernel(name).linkinfo.info_data).toMatchObject({ stp_state: 1, forward_delay: 200 });
    const again = await network.read(id, r.outs);
    expect((await network.diff(id, again.props, news)).changes).toBe(false);
    outs = r.outs;
    inputs = news;
  });

  it("detects drift made by hand and repairs it on the next update", async () => {
    t.sb.execInNamespace(["ip", "link", "set", "dev", name, "mtu", "1300"]);
    t.sb.execInNamespace(["ip", "addr", "add", "172.30.0.1/24", "dev", name]);
    t.sb.execInNamespace(["ip", "link", "set", "dev", name, "down"]);
    const refreshed = await network.read(id, outs);
    expect(refreshed.props).toMatchObject({ mtu: 1300, up: false });
    expect(refreshed.props.ips).toContainEqual({ address: "172.30.0.1", prefix: 24 });
    expect((await network.diff(id, refreshed.props, inputs)).changes).toBe(true);
    await network.update(id, refreshed.props, inputs);
    expect(kernel(name).mtu).toBe(1400);
    expect(kernel(name).flags).toContain("UP");
    expect(globalAddrs(name)).not.toContain("172.30.0.1/24");
  });

  it("deletes the bridge with its addresses, and a second delete is not an error", async () => {
    await network.delete(id, outs);
    expect(bridgeExists(name)).toBe(false);
    await expect(network.delete(id, outs)).resolves.toBeUndefined();
  });

  it("reads a bridge deleted by hand as gone", async () => {
    const created = await network.create(await checked({ connection: sandboxConnection(t.sb), bridge: { name: "virbr11" } }));
    t.sb.execInNamespace(["ip", "link", "del", "virbr11"]);
    expect((await network.read(created.id, created.outs)).id).toBe("");
  });
});

describe("Network ownership and naming", () => {
  it("refuses to take over a bridge it did not create, and changes nothing", async () => {
    t.sb.execInNamespace(["ip", "link", "add", "foreign0", "type", "bridge"]);
    const before = JSON.stringify(t.sb.ipJson(["-d", "link", "show", "dev", "foreign0"]));
    const inputs = await checked({ connection: sandboxConnection(t.sb), bridge: { name: "foreign0" }, mtu: 9000 });
    await expect(network.create(inputs)).rejects.toThrow(/foreign0 already exists on .* not created by virtnet.*adopt: true/);
    expect(JSON.stringify(t.sb.ipJson(["-d", "link", "show", "dev", "foreign0"]))).toBe(before);
    t.sb.execInNamespace(["ip", "link", "del", "foreign0"]);
  });

  it("adopts a bridge made by hand when asked to (adopt: true): converged, marked, recorded, deleted with the resource", async () => {
    t.sb.execInNamespace(["ip", "link", "add", "adopt0", "type", "bridge", "stp_state", "1"]);
    try {
      const ifindex = kernel("adopt0").ifindex;
      const inputs = await checked({ connection: sandboxConnection(t.sb), bridge: { name: "adopt0", stp: false }, mtu: 1400, ips: [{ address: "192.168.140.1", prefix: 24 }], adopt: true });
      const created = await network.create(inputs);
      expect(created.id).toBe(`${t.sb.host}/adopt0`);
      const k = kernel("adopt0");
      expect(k.ifindex).toBe(ifindex); // taken over, not made again
      expect(k.ifalias).toBe("virtnet");
      expect(k.mtu).toBe(1400);
      expect(k.flags).toContain("UP");
      expect(k.linkinfo.info_data.stp_state).toBe(0);
      expect(k.address).toBe(inputs.mac);
      expect(globalAddrs("adopt0")).toEqual(["192.168.140.1/24"]);
      expect((await network.diff(created.id, (await network.read(created.id, created.outs)).props, inputs)).changes).toBe(false);
      await network.delete(created.id, created.outs);
      expect(bridgeExists("adopt0")).toBe(false);
    } finally {
      if (bridgeExists("adopt0")) t.sb.execInNamespace(["ip", "link", "del", "adopt0"]);
    }
  });

  it("gives concurrent auto-named networks distinct virbrN names, in few execs", async () => {
    const inputs = await Promise.all(Array.from({ length: 10 }, () => checked({ connection: sandboxConnection(t.sb) })));
    const host = hostFor(knownConnection(inputs[0].connection as ConnectionInputs, "test"));
    const before = host.stats.execs;
    const created = await Promise.all(inputs.map((i) => network.create(i)));
    // One observation and one apply per batch: ten creates share a handful of execs, not twenty.
    expect(host.stats.execs - before).toBeLessThanOrEqual(4);
    const names = created.map((c) => (c.outs.bridge as { name: string }).name);
    expect(new Set(names).size).toBe(10);
    for (const n of names) expect(n).toMatch(/^virbr\d+$/);
    await Promise.all(created.map((c) => network.delete(c.id, c.outs)));
    for (const n of names) expect(bridgeExists(n)).toBe(false);
  });
});
