// Autostart on a host whose init is systemd (docs/libvirt-behaviour.md §11), on a systemd sandbox host: a NAT network
// with DHCP, inline routes, QoS and macTableManager libvirt, a StaticRoute, two guests with bandwidth and floors and a
// DhcpHost are applied with autostart; then everything virtnet made in the kernel is wiped, as a reboot would, and
// what the unit runs at boot must bring back exactly the state before (read independently); a second run changes
// nothing. Toggling autostart is in place both ways, drift is repaired, and destroy leaves no unit or file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dhcpHost, guestInterface, network, staticRoute } from "../../provider";
import { closeAllHosts, hostFor } from "../../provider/host/host-pool";
import { knownConnection } from "../../provider/connection/known-connection";
import type { ConnectionInputs } from "../../provider/connection/connection";
import { createSystemdSandbox } from "../../scripts/sandbox/systemd-host";
import type { Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";
import { kernelState } from "../support/kernel-state";

type Props = Record<string, unknown>;
type Handlers = typeof network;
interface Made {
  h: Handlers;
  id: string;
  outs: Props;
  args: (autostart: boolean) => Props;
}

let sb: Sandbox;
const BR = "vnauto0";
const made: Made[] = [];
const run = (argv: string[]) => sb.execInNamespace(argv);
const sh = (script: string) => run(["sh", "-c", script]);
/** Reads that find nothing (the bridge wiped) read as empty. */
const soft = (argv: string[]) => {
  try {
    return run(argv);
  } catch {
    return "";
  }
};
const state = () => ({ ...kernelState(soft, BR), dnsmasq: sh(`p=$(cat /run/virtnet/dnsmasq/${BR}.pid 2>/dev/null); tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null; echo`).trim() });

async function checked(h: Handlers, args: Props, olds: Props = {}): Promise<Props> {
  const r = await h.check(olds, args);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

async function make(h: Handlers, args: (autostart: boolean) => Props): Promise<Made> {
  const { id, outs } = await h.create(await checked(h, args(true)));
  const m = { h, id, outs, args };
  made.push(m);
  return m;
}

/** Every resource updated to `autostart`, network first (as the SDK's dependency on the Network's output orders them). */
async function setAutostart(on: boolean): Promise<void> {
  for (const m of made) {
    const news = await checked(m.h, m.args(on), m.outs);
    const d = await m.h.diff(m.id, m.outs, news);
    expect(d.replaces ?? []).toEqual([]);
    m.outs = (await m.h.update(m.id, m.outs, news)).outs;
  }
}

const enabled = () => sh(`systemctl is-enabled virtnet-net@${BR}.service 2>/dev/null || true`).trim();
const files = () => sh("find /etc/virtnet /etc/systemd/system/virtnet-net@.service /etc/systemd/system/virtnet-dnsmasq@.service /etc/sysctl.d -name '*virtnet*' 2>/dev/null | sort; find /etc/virtnet 2>/dev/null | sort; :").trim().split("\n").filter((l, i, all) => l && all.indexOf(l) === i).sort().join("\n");

beforeAll(async () => {
  sb = await createSystemdSandbox();
  const connection = sandboxConnection(sb);
  const net = await make(network, (autostart) => ({
    connection,
    libvirtName: "auto",
    bridge: { name: BR, stp: false, macTableManager: "libvirt" },
    forward: { mode: "nat" },
    ips: [{ address: "192.168.190.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.190.100", end: "192.168.190.199" }] } }],
    routes: [{ address: "10.190.0.0", prefix: 16, gateway: "192.168.190.2" }],
    bandwidth: { inbound: { average: 10000, peak: 20000 }, outbound: { average: 5000 } },
    autostart,
  }));
  const ips = net.outs.ips;
  await make(staticRoute, (on) => ({ connection, bridge: BR, networkIps: ips, address: "10.191.0.0", prefix: 16, gateway: "192.168.190.3", networkAutostart: on }));
  for (const [i, floor] of [[1, 1000], [2, 2000]] as const) {
    await make(guestInterface, (on) => ({
      connection,
      bridge: BR,
      name: `vnag${i}`,
      mac: `52:54:00:19:00:0${i}`,
      macTableManager: "libvirt",
      networkBandwidth: net.outs.bandwidth,
      bandwidth: { inbound: { average: 4000, floor }, outbound: { average: 3000 } },
      networkAutostart: on,
    }));
  }
  await make(dhcpHost, () => ({ connection, bridge: BR, networkIps: ips, mac: "52:54:00:19:00:01", name: "g1", ip: "192.168.190.10" }));
}, 120_000);

afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

describe("autostart with systemd as init", () => {
  it("enables the network's unit and writes its script, its sysctl.d file and one fragment per attached resource, in the apply's exec", () => {
    expect(sh(`cat /etc/sysctl.d/60-virtnet-${BR}.conf`)).toContain("net.ipv4.ip_forward = 1");
    expect(enabled()).toBe("enabled");
    expect(made[0]!.outs).toMatchObject({ autostart: true });
    expect(made[0]!.outs.autostartDrift).toBeUndefined();
    expect(files().split("\n")).toEqual([
      `/etc/sysctl.d/60-virtnet-${BR}.conf`,
      "/etc/systemd/system/virtnet-dnsmasq@.service",
      "/etc/systemd/system/virtnet-net@.service",
      "/etc/virtnet",
      `/etc/virtnet/${BR}.d`,
      `/etc/virtnet/${BR}.d/50-route-10.191.0.0_16-1.sh`,
      `/etc/virtnet/${BR}.d/70-guest-vnag1.sh`,
      `/etc/virtnet/${BR}.d/70-guest-vnag2.sh`,
      `/etc/virtnet/${BR}.sh`,
    ]);
  });

  it("after a wipe of everything virtnet made in the kernel, what the unit runs at boot brings back the same state; a second run changes nothing", async () => {
    const before = state();
    expect(before.dnsmasq).toMatch(/^dnsmasq --conf-file=/);
    // A reboot: no virtnet device, rule, route, tc or dnsmasq; forwarding off; /run emptied.
    sh(`ip link del ${BR}; for d in vnag1 vnag2; do ip link del $d 2>/dev/null; done; for d in $(ip -o link show type ifb | awk -F': ' '{print $2}'); do ip link del $d; done; ` +
      `nft delete table ip virtnet_network 2>/dev/null; nft delete table ip6 virtnet_network 2>/dev/null; kill $(cat /run/virtnet/dnsmasq/${BR}.pid); rm -rf /run/virtnet/dnsmasq; ` +
      "sysctl -q -w net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0; :");
    expect(state()).not.toEqual(before);
    const t0 = performance.now();
    sh(`systemctl restart virtnet-net@${BR}.service virtnet-dnsmasq@${BR}.service`);
    const bootMs = performance.now() - t0;
    console.log(`the boot script for the network, its route and its two guests ran in ${Math.round(bootMs)} ms`);
    expect(sh(`systemctl is-active virtnet-net@${BR}.service`).trim()).toBe("active");
    for (let i = 0; i < 50 && !state().dnsmasq; i++) await new Promise((r) => setTimeout(r, 100));
    expect(state()).toEqual(before);
    sh(`systemctl restart virtnet-net@${BR}.service && systemctl reload virtnet-net@${BR}.service`);
    expect(state()).toEqual(before);
    // And virtnet sees nothing to do.
    for (const m of made) {
      const read = await m.h.read(m.id, m.outs);
      const d = await m.h.diff(m.id, read.props, await checked(m.h, m.args(true), m.outs));
      expect({ id: m.id, changes: d.changes, changed: d.changes ? Object.keys(read.props).filter((k) => !(d.stables ?? []).includes(k)) : [] }).toEqual({ id: m.id, changes: false, changed: [] });
    }
  });

  it("runs dnsmasq as its own unit: reload is a SIGHUP (same pid), a dnsmasq killed is started again by systemd", async () => {
    const unit = `virtnet-dnsmasq@${BR}.service`;
    expect(sh(`systemctl is-enabled ${unit}; systemctl is-active ${unit}`).trim().split("\n")).toEqual(["enabled", "active"]);
    const pid = () => sh(`cat /run/virtnet/dnsmasq/${BR}.pid`).trim();
    const before = pid();
    expect(sh(`systemctl show -p MainPID --value ${unit}`).trim()).toBe(before);
    sh(`systemctl reload ${unit}`);
    expect(pid()).toBe(before);
    sh(`kill -9 ${before}`);
    let after = before;
    for (let i = 0; i < 100 && (after === before || !/^\d+$/.test(after)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = sh(`systemctl show -p MainPID --value ${unit}`).trim();
      if (after === "0") after = before;
    }
    expect(after).not.toBe(before);
    expect(sh(`systemctl is-active ${unit}`).trim()).toBe("active");
  });

  it("puts its rules back when nftables.service reloads or restarts, which flush the ruleset", async () => {
    const count = () => sh("nft list table ip virtnet_network 2>/dev/null | grep -c " + BR + "; :").trim();
    // The propagated reload is a job of its own, which `systemctl reload` need not wait for: bounded polling.
    const rules = async () => {
      for (let i = 0; i < 30 && count() !== live; i++) await new Promise((r) => setTimeout(r, 100));
      const n = count();
      if (n !== live) console.log(sh(`systemctl status virtnet-net@${BR}.service nftables.service --no-pager 2>&1; journalctl -n 40 --no-pager 2>&1; :`));
      return n;
    };
    const live = count();
    expect(Number(live)).toBeGreaterThan(0);
    // The host's firewall service, as Debian ships it: its configuration starts with `flush ruleset`.
    sh("systemctl start nftables.service");
    sh("systemctl reload nftables.service");
    expect(await rules()).toBe(live);
    sh("systemctl restart nftables.service");
    expect(await rules()).toBe(live);
    sh("systemctl stop nftables.service; systemctl start virtnet-net@" + BR + ".service");
    expect(await rules()).toBe(live);
  });

  it("a unit disabled and a script edited by hand are drift; the next update restores both", async () => {
    sh(`systemctl disable --quiet virtnet-net@${BR}.service; echo '# edited' >> /etc/virtnet/${BR}.sh`);
    const net = made[0]!;
    const read = await net.h.read(net.id, net.outs);
    expect(read.props.autostart).toBe(false);
    expect(read.props.autostartDrift).toEqual(expect.arrayContaining([expect.stringMatching(/differs/), expect.stringMatching(/is not enabled/)]));
    const news = await checked(net.h, net.args(true), read.props);
    expect((await net.h.diff(net.id, read.props, news)).changes).toBe(true);
    net.outs = (await net.h.update(net.id, read.props, news)).outs;
    expect(net.outs.autostartDrift).toBeUndefined();
    expect(enabled()).toBe("enabled");
  });

  it("autostart off is in place and leaves the live network alone; on again is in place too", async () => {
    const live = state();
    const h = hostFor(knownConnection(made[0]!.outs.connection as ConnectionInputs, "test"));
    const execs = h.stats.execs;
    await setAutostart(false);
    console.log(`execs to turn autostart off for 5 resources: ${h.stats.execs - execs}`);
    expect(enabled()).not.toBe("enabled");
    expect(files()).toBe("");
    expect(state()).toEqual(live);
    await setAutostart(true);
    expect(enabled()).toBe("enabled");
    expect(state()).toEqual(live);
  });

  it("adds no exec to an up: the script, unit and enable ride in the apply's exec, their observation in the snapshot's", async () => {
    const execsFor = async (bridge: string, autostart: boolean) => {
      const inputs = await checked(network, { connection: sandboxConnection(sb), bridge: { name: bridge, stp: false }, forward: { mode: "nat" }, ips: [{ address: bridge.endsWith("1") ? "192.168.191.1" : "192.168.192.1", prefix: 24 }], autostart });
      const h = hostFor(knownConnection(inputs.connection as ConnectionInputs, "test"));
      const before = h.stats.execs;
      const created = await network.create(inputs);
      const execs = h.stats.execs - before;
      await network.delete(created.id, created.outs);
      return execs;
    };
    const [without, withAutostart] = [await execsFor("vnauto1", false), await execsFor("vnauto2", true)];
    console.log(`execs to create a network: ${without} without autostart, ${withAutostart} with it`);
    expect(withAutostart).toBe(without);
  });

  it("destroy leaves no unit, script or fragment", async () => {
    for (const m of [...made].reverse()) await m.h.delete(m.id, m.outs);
    made.length = 0;
    expect(files()).toBe("");
    expect(sh(`systemctl list-unit-files 'virtnet-net@*' --no-legend 2>/dev/null; ls /etc/systemd/system/multi-user.target.wants/ 2>/dev/null | grep virtnet-net@; :`).trim()).toBe("");
    expect(sh(`ip link show ${BR} 2>&1 || true`)).toMatch(/does not exist/);
  });
});
