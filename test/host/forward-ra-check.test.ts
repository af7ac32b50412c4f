// libvirt's router-advertisement check before IPv6 forwarding, on a real kernel (docs/libvirt-behaviour.md §9.7): a
// host interface that learned routes from a real router advertisement with accept_ra 1 makes a dual-stack NAT
// network fail before any change, naming the interface; with accept_ra 2 the network is created and the host keeps
// its learned routes.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

const SEND_RA = path.join(__dirname, "../support/send-ra.py");
let sb: Sandbox;
let router: string;

const autoconfRoutes = () => (sb.ipJson(["-6", "route", "show", "dev", "lan6"]) as Array<{ dst: string; protocol?: string }>).filter((r) => r.protocol === "ra");

beforeAll(async () => {
  sb = await createSandbox();
  router = `${sb.namespace}-rtr`;
  spawnSync("ip", ["netns", "add", router]);
  sb.execInNamespace(["ip", "link", "add", "lan6", "type", "veth", "peer", "name", "rtr6"]);
  sb.execInNamespace(["ip", "link", "set", "rtr6", "netns", router]);
  sb.execInNamespace(["sysctl", "-q", "-w", "net.ipv6.conf.lan6.accept_ra=1"]);
  sb.execInNamespace(["ip", "link", "set", "lan6", "up"]);
  spawnSync("ip", ["-n", router, "link", "set", "rtr6", "up"]);
  // The router's link-local address must have finished duplicate address detection before it can send.
  for (let i = 0; i < 100; i++) {
    const tentative = spawnSync("ip", ["-n", router, "-6", "addr", "show", "dev", "rtr6", "tentative"], { encoding: "utf8" }).stdout.trim();
    const linkLocal = spawnSync("ip", ["-n", router, "-6", "addr", "show", "dev", "rtr6", "scope", "link"], { encoding: "utf8" }).stdout.trim();
    if (linkLocal !== "" && tentative === "") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 50 && autoconfRoutes().length === 0; i++) {
    if (i % 10 === 0) expect(spawnSync("ip", ["netns", "exec", router, "python3", SEND_RA, "rtr6", "2001:db8:77::"]).status).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

const args = () => ({
  connection: sandboxConnection(sb),
  bridge: { name: "vnra0", stp: false },
  ips: [{ address: "192.168.150.1", prefix: 24 }, { family: "ipv6", address: "2001:db8:150::1", prefix: 64 }],
  forward: { mode: "nat" },
});

describe("the router-advertisement check before IPv6 forwarding", () => {
  it("has a host interface with routes learned from a real router advertisement", () => {
    expect(autoconfRoutes().map((r) => r.dst)).toContain("default");
    // The kernel's own table marks them RTF_ADDRCONF (0x40000): what libvirt's check reads.
    const addrconf = sb.execInNamespace(["cat", "/proc/net/ipv6_route"]).split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[9] === "lan6" && (parseInt(f[8] ?? "0", 16) & 0x40000) !== 0);
    expect(addrconf.length).toBeGreaterThan(0);
  });

  it("refuses a dual-stack NAT network with libvirt's message naming the interface, and changes nothing", async () => {
    const checked = await network.check({}, args());
    expect(checked.failures).toEqual([]);
    await expect(network.create(checked.inputs)).rejects.toThrow(
      /forward: Check the host setup: interface lan6 has kernel autoconfigured IPv6 routes and enabling forwarding without accept_ra set to 2 will cause the kernel to flush them, breaking networking\./,
    );
    expect((sb.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).map((l) => l.ifname)).not.toContain("vnra0");
    expect(sb.execInNamespace(["cat", "/proc/sys/net/ipv6/conf/all/forwarding"]).trim()).toBe("0");
  });

  it("creates it once the interface's accept_ra is 2, and the host keeps its learned routes", async () => {
    sb.execInNamespace(["sysctl", "-q", "-w", "net.ipv6.conf.lan6.accept_ra=2"]);
    const checked = await network.check({}, args());
    const created = await network.create(checked.inputs);
    try {
      expect(sb.execInNamespace(["cat", "/proc/sys/net/ipv6/conf/all/forwarding"]).trim()).toBe("1");
      expect(autoconfRoutes().map((r) => r.dst)).toContain("default");
    } finally {
      await network.delete(created.id, created.outs);
    }
  });
});
