// DHCP and DNS from a network's dnsmasq with real clients (docs/libvirt-behaviour.md §10): guest namespaces on the
// bridge ask busybox's udhcpc for an address and dig for names. Reservations change with a SIGHUP that keeps
// dnsmasq's pid and every guest's lease; other settings restart it without losing a lease; a dnsmasq killed by hand is
// drift that the next update restores; delete leaves no process or file behind.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dhcpHost, network } from "../../provider";
import { closeAllHosts, hostFor } from "../../provider/host/host-pool";
import { knownConnection } from "../../provider/connection/known-connection";
import type { ConnectionInputs } from "../../provider/connection/connection";
import { dnsmasqPaths, DNSMASQ_STATE_DIR } from "../../provider/dnsmasq/dnsmasq-paths";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection, uniqueBridgeName } from "../support/network-args";
import { addDhcpGuest, requestLease, resolve, type DhcpGuest } from "../support/dhcp-guest";

type Props = Record<string, unknown>;

let sb: Sandbox;
let id: string;
let outs: Props;
let g1: DhcpGuest;
let g2: DhcpGuest;
let g3: DhcpGuest;
const BRIDGE = uniqueBridgeName("vd");
const GW = "192.168.150.1";

const args = (extra: Props = {}) => ({
  connection: sandboxConnection(sb),
  libvirtName: "dhcp-test",
  bridge: { name: BRIDGE, stp: false },
  forward: { mode: "nat" },
  domain: { name: "lab" },
  dns: { hosts: [{ ip: "192.168.150.50", hostnames: ["files.lab", "files"] }] },
  ips: [
    {
      address: GW,
      prefix: 24,
      dhcp: {
        ranges: [{ start: "192.168.150.100", end: "192.168.150.199", lease: { expiry: 1, unit: "hours" } }],
        hosts: [{ mac: "52:54:00:00:15:02", name: "vm2", ip: "192.168.150.20" }],
      },
    },
  ],
  ...extra,
});

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

const pidOf = () => Number(sb.execInNamespace(["cat", dnsmasqPaths(BRIDGE).pidFile]).trim());
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^Z/m.test(sb.execInNamespace(["sh", "-c", `ps -o stat= -p ${pid} || true`]));

beforeAll(async () => {
  sb = await createSandbox();
  ({ id, outs } = await network.create(await checked(args())));
  g1 = addDhcpGuest(sb, "d1", BRIDGE, "52:54:00:00:15:01");
  g2 = addDhcpGuest(sb, "d2", BRIDGE, "52:54:00:00:15:02");
  g3 = addDhcpGuest(sb, "d3", BRIDGE, "52:54:00:00:15:03");
}, 60_000);

afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

describe("DHCP and DNS with real clients", () => {
  it("a fresh guest gets an address in the range, the gateway, the domain and the bridge as its DNS server", () => {
    const lease = requestLease(g1, "guest1");
    console.log(`lease for a fresh guest: ${JSON.stringify(lease)}`);
    expect(lease).toMatchObject({ prefix: 24, router: GW, dns: GW, domain: "lab", leaseSeconds: 3600 });
    const n = Number(lease!.ip.split(".")[3]);
    expect(n >= 100 && n <= 199).toBe(true);
  });

  it("a guest with a reservation gets exactly its address and hostname", () => {
    expect(requestLease(g2)).toMatchObject({ ip: "192.168.150.20", hostname: "vm2" });
  });

  it("names resolve through the bridge address: a dns.hosts record and a reserved guest's name", () => {
    expect(resolve(g1, GW, "files.lab")).toEqual(["192.168.150.50"]);
    expect(resolve(g1, GW, "vm2.lab")).toEqual(["192.168.150.20"]);
  });

  it("dhcpLeases lists both leases after a refresh", async () => {
    const read = await network.read(id, outs);
    const leases = read.props.dhcpLeases as { mac?: string; ip: string; hostname?: string; expiresAt?: string }[];
    expect(leases.map((l) => l.mac).sort()).toEqual(["52:54:00:00:15:01", "52:54:00:00:15:02"]);
    expect(leases.find((l) => l.mac === "52:54:00:00:15:02")).toMatchObject({ ip: "192.168.150.20", hostname: "vm2" });
    expect(leases.find((l) => l.mac === "52:54:00:00:15:01")).toMatchObject({ hostname: "guest1" });
    expect(read.props.dnsmasqDrift).toBeUndefined();
  });

  it("a changed reservation and DNS record take effect with a SIGHUP: same pid, the other lease kept", async () => {
    const before = pidOf();
    const leasesBefore = sb.execInNamespace(["cat", dnsmasqPaths(BRIDGE).leases]);
    const news = await checked(
      args({
        dns: { hosts: [{ ip: "192.168.150.51", hostnames: ["files.lab"] }] },
        ips: [{ address: GW, prefix: 24, dhcp: { ranges: [{ start: "192.168.150.100", end: "192.168.150.199", lease: { expiry: 1, unit: "hours" } }], hosts: [{ mac: "52:54:00:00:15:02", name: "vm2b", ip: "192.168.150.21" }] } }],
      }),
      outs,
    );
    const h = hostFor(knownConnection(news.connection as ConnectionInputs, "test"));
    const execs = h.stats.execs;
    const diff = await network.diff(id, outs, news);
    expect(diff.replaces ?? []).toEqual([]);
    outs = (await network.update(id, outs, news)).outs;
    console.log(`execs for a reservation change: ${h.stats.execs - execs}; pid before ${before}, after ${pidOf()}`);
    expect(h.stats.execs - execs).toBeGreaterThan(0);
    expect(pidOf()).toBe(before);
    expect(sb.execInNamespace(["cat", dnsmasqPaths(BRIDGE).leases])).toContain("52:54:00:00:15:01");
    expect(leasesBefore).toContain("52:54:00:00:15:01");
    expect(resolve(g1, GW, "files.lab")).toEqual(["192.168.150.51"]);
    expect(requestLease(g2)).toMatchObject({ ip: "192.168.150.21", hostname: "vm2b" });
  });

  it("a changed range restarts dnsmasq and keeps the leases", async () => {
    const before = pidOf();
    const news = await checked(args({ ips: [{ address: GW, prefix: 24, dhcp: { ranges: [{ start: "192.168.150.100", end: "192.168.150.150" }] } }] }), outs);
    outs = (await network.update(id, outs, news)).outs;
    expect(pidOf()).not.toBe(before);
    expect(alive(before)).toBe(false);
    expect(sb.execInNamespace(["cat", dnsmasqPaths(BRIDGE).leases])).toContain("52:54:00:00:15:01");
  });

  it("a dnsmasq killed by hand shows as drift; the next update restores it", async () => {
    const before = pidOf();
    sb.execInNamespace(["kill", "-9", String(before)]);
    for (let i = 0; i < 50 && alive(before); i++) await new Promise((r) => setTimeout(r, 100));
    const read = await network.read(id, outs);
    expect(read.props.dnsmasqDrift).toEqual([expect.stringMatching(/is not running/)]);
    const diff = await network.diff(id, read.props, await checked(args({ ips: [{ address: GW, prefix: 24, dhcp: { ranges: [{ start: "192.168.150.100", end: "192.168.150.150" }] } }] }), read.props));
    expect(diff.changes).toBe(true);
    outs = (await network.update(id, read.props, await checked(args({ ips: [{ address: GW, prefix: 24, dhcp: { ranges: [{ start: "192.168.150.100", end: "192.168.150.150" }] } }] }), read.props))).outs;
    expect(outs.dnsmasqDrift).toBeUndefined();
    expect(alive(pidOf())).toBe(true);
    expect(requestLease(g1)).toBeDefined();
  });

  describe("DhcpHost", () => {
    const reservation = (extra: Props = {}) => ({ connection: sandboxConnection(sb), bridge: BRIDGE, networkIps: outs.ips, networkName: "dhcp-test", mac: "52:54:00:00:15:03", name: "vm3", ip: "192.168.150.30", ...extra });
    let hostId: string;
    let hostOuts: Props;

    it("adding one is one SIGHUP: the guest gets the reserved address and name, dnsmasq keeps its pid and the other leases", async () => {
      const before = pidOf();
      const inputs = (await dhcpHost.check({}, reservation())).inputs;
      const h = hostFor(knownConnection(inputs.connection as ConnectionInputs, "test"));
      const execs = h.stats.execs;
      ({ id: hostId, outs: hostOuts } = await dhcpHost.create(inputs));
      console.log(`execs for adding one DhcpHost: ${h.stats.execs - execs}; dnsmasq pid before ${before}, after ${pidOf()}`);
      expect(h.stats.execs - execs).toBeLessThanOrEqual(2);
      expect(hostOuts.reservation).toBe("52:54:00:00:15:03,192.168.150.30,vm3");
      expect(pidOf()).toBe(before);
      expect(requestLease(g3)).toMatchObject({ ip: "192.168.150.30", hostname: "vm3" });
      expect(resolve(g1, GW, "vm3.lab")).toEqual(["192.168.150.30"]);
      expect(sb.execInNamespace(["cat", dnsmasqPaths(BRIDGE).leases])).toContain("52:54:00:00:15:01");
    });

    it("a changed name is in place, with the same pid", async () => {
      const before = pidOf();
      const news = (await dhcpHost.check(hostOuts, reservation({ name: "vm3b" }))).inputs;
      expect((await dhcpHost.diff(hostId, hostOuts, news)).replaces ?? []).toEqual([]);
      hostOuts = (await dhcpHost.update(hostId, hostOuts, news)).outs;
      expect(pidOf()).toBe(before);
      expect(requestLease(g3)).toMatchObject({ ip: "192.168.150.30", hostname: "vm3b" });
    });

    it("a second reservation of a MAC another DhcpHost reserves fails before any change, naming both", async () => {
      const inputs = (await dhcpHost.check({}, reservation({ name: "other", ip: "192.168.150.31" }))).inputs;
      await expect(dhcpHost.create(inputs)).rejects.toThrow(/there is an existing dhcp host entry in network 'dhcp-test' that matches "<host mac='52:54:00:00:15:03' name='vm3b' ip='192.168.150.30'\/>" \(DhcpHost 192.168.150.30\)/);
      expect(existsSync(`${dnsmasqPaths(BRIDGE).hostsDir}/192.168.150.31`)).toBe(false);
    });

    it("a reservation file removed by hand reads as gone; deleting one removes its file with the same pid", async () => {
      const file = `${dnsmasqPaths(BRIDGE).hostsDir}/192.168.150.30`;
      const content = sb.execInNamespace(["cat", file]);
      sb.execInNamespace(["rm", file]);
      expect((await dhcpHost.read(hostId, hostOuts)).id).toBe("");
      sb.execInNamespace(["sh", "-c", `printf %s '${content}' > ${file}`]);
      const before = pidOf();
      await dhcpHost.delete(hostId, hostOuts);
      expect(existsSync(file)).toBe(false);
      expect(pidOf()).toBe(before);
    });
  });

  it("a NAT network with DHCP and bandwidth is created in two execs and read in one: its probes go with the snapshot", async () => {
    const bridge = uniqueBridgeName("vp");
    const news = await checked({
      // A confirmation window of its own gives it a pooled host of its own, with no probe of the other tests cached.
      connection: sandboxConnection(sb, { confirmTimeoutSeconds: 45 }),
      bridge: { name: bridge, stp: false },
      forward: { mode: "nat" },
      bandwidth: { inbound: { average: 1000 } },
      ips: [{ address: "192.168.151.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.151.100", end: "192.168.151.199" }] } }],
    });
    const h = hostFor(knownConnection(news.connection as ConnectionInputs, "test"));
    expect(h.stats.execs).toBe(0);
    const execs = h.stats.execs;
    const created = await network.create(news);
    // The snapshot with both probes, then the apply with its own observation.
    expect(h.stats.execs - execs).toBe(2);
    expect(alive(Number(sb.execInNamespace(["cat", dnsmasqPaths(bridge).pidFile]).trim()))).toBe(true);
    expect(sb.execInNamespace(["tc", "qdisc", "show", "dev", bridge])).toMatch(/qdisc htb 1: root/);
    // A refresh by a new plugin process (a new connection, nothing cached): one exec, the tc probe in it.
    closeAllHosts();
    const fresh = hostFor(knownConnection(news.connection as ConnectionInputs, "test"));
    const read = await network.read(created.id, created.outs);
    expect(fresh.stats.execs).toBe(1);
    expect(read.props.bandwidth).toEqual({ inbound: { average: 1000 } });
    await network.delete(created.id, created.outs);
    expect(existsSync(dnsmasqPaths(bridge).pidFile)).toBe(false);
  });

  it("delete stops dnsmasq and leaves none of its files", async () => {
    const pid = pidOf();
    await network.delete(id, outs);
    expect(alive(pid)).toBe(false);
    expect(readdirSync(DNSMASQ_STATE_DIR).filter((f) => f.startsWith(`${BRIDGE}.`))).toEqual([]);
    expect(existsSync(dnsmasqPaths(BRIDGE).pidFile)).toBe(false);
  });

  describe("preflight", () => {
    const other = uniqueBridgeName("vp");
    const otherArgs = (dns: Props) => ({ connection: sandboxConnection(sb), bridge: { name: other, stp: false }, ips: [{ address: "192.168.151.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.151.10", end: "192.168.151.20" }] } }], dns });

    it("a DNS server on 0.0.0.0:53 fails the create before any change, naming it; with dns.enable false the network serves DHCP only", async () => {
      const listener = spawn("ip", ["netns", "exec", sb.namespace, "python3", "-c", "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53)); print('ready', flush=True); time.sleep(60)"]);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("the port-53 listener did not start")), 10_000);
          listener.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && (clearTimeout(timer), resolve()));
        });
        await expect(network.create(await checked(otherArgs({})))).rejects.toThrow(/a DNS server already listens on 0\.0\.0\.0:53 on .* \(python3, pid \d+\) and keeps dnsmasq from binding vp\w+; make it bind only its own interfaces, or set dns\.enable: false/);
        expect(sb.execInNamespace(["ip", "-j", "link", "show"])).not.toContain(other);
        const created = await network.create(await checked(otherArgs({ enable: false })));
        const guest = addDhcpGuest(sb, "d4", other, "52:54:00:00:15:04");
        expect(requestLease(guest)).toMatchObject({ router: "" });
        expect(sb.execInNamespace(["cat", dnsmasqPaths(other).conf])).toMatch(/^port=0$/m);
        await network.delete(created.id, created.outs);
      } finally {
        listener.kill("SIGKILL");
      }
    });
  });
});
