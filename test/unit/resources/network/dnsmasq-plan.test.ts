// A network's dnsmasq as planned (docs/libvirt-behaviour.md §10.1, §10.4): when a network needs one at all, the least
// action from what the host has to what the network renders (nothing, a rewrite, a SIGHUP, a restart, a stop), and
// the dnsmasqDrift words for what the host lacks. Pure: observed instances are written out by hand.
import { describe, expect, it } from "vitest";
import type { ObservedDnsmasq } from "../../../../provider/dnsmasq/observe-dnsmasq";
import type { DnsmasqFiles } from "../../../../provider/net/operation";
import { dnsmasqConfigOf, dnsmasqDrift, dnsmasqFilesOf, observedDnsmasq, planDnsmasq, type DnsmasqNetwork } from "../../../../provider/resources/network/dnsmasq-plan";

const BR = "virbr7";
const DHCP = { ranges: [{ start: "10.7.0.10", end: "10.7.0.20" }] };
const net = (extra: Partial<DnsmasqNetwork> = {}): DnsmasqNetwork => ({ bridge: { name: BR }, forward: { mode: "nat" }, ips: [{ address: "10.7.0.1", prefix: 24 }], ...extra });
const withDhcp = (extra: Partial<DnsmasqNetwork> = {}) => net({ ips: [{ address: "10.7.0.1", prefix: 24, dhcp: DHCP }], ...extra });

describe("dnsmasqConfigOf: whether a network runs dnsmasq", () => {
  it.each([
    ["a network that says nothing of DHCP or DNS (as virtnet's networks always were)", net()],
    ["DNS turned off and no DHCP: nothing to serve", net({ dns: { enable: false }, domain: { name: "lab" } })],
    ["forward mode bridge: the LAN's own servers answer", withDhcp({ forward: { mode: "bridge" }, dns: {} })],
    ["no ips: nothing to bind", net({ ips: [], dns: {}, domain: { name: "lab" } })],
    ["a DHCP entry with neither ranges nor hosts", net({ ips: [{ address: "10.7.0.1", prefix: 24, dhcp: { ranges: [], hosts: [] } }] })],
  ])("none for %s", (_what, n) => {
    expect(dnsmasqConfigOf(n)).toBeUndefined();
  });

  it.each([
    ["dns: {} (DNS on, libvirt's default once asked for)", net({ dns: {} })],
    ["DHCP ranges", withDhcp()],
    ["only reservations", net({ ips: [{ address: "10.7.0.1", prefix: 24, dhcp: { hosts: [{ mac: "52:54:00:07:00:01", ip: "10.7.0.5" }] } }] })],
    ["TFTP", net({ ips: [{ address: "10.7.0.1", prefix: 24, tftp: { root: "/srv/tftp" } }] })],
    ["a domain", net({ domain: { name: "lab" } })],
    ["dnsmasq options", net({ dnsmasqOptions: ["log-queries"] })],
    ["DHCP with DNS off (port=0: DHCP only)", withDhcp({ dns: { enable: false } })],
  ])("one for %s", (_what, n) => {
    const config = dnsmasqConfigOf(n);
    expect(config).toBeDefined();
    expect(config).toMatchObject({ bridge: BR, networkName: BR, isolated: false });
  });

  it("resolves what the renderers need: libvirt's name, an isolated network, the effective prefix, canonical MACs, the MTU", () => {
    const config = dnsmasqConfigOf({
      bridge: { name: BR },
      libvirtName: "lab",
      mtu: 9000,
      ips: [{ address: "10.7.0.1", netmask: "255.255.0.0", dhcp: { hosts: [{ mac: "52:54:00:AA:0:1", name: "vm1", ip: "10.7.0.5" }] } }],
      dns: { hosts: [{ ip: "10.7.0.50", hostnames: ["files"] }] },
    });
    expect(config).toEqual({
      networkName: "lab",
      bridge: BR,
      isolated: true,
      mtu: 9000,
      ips: [{ address: "10.7.0.1", prefix: 16, dhcp: { hosts: [{ mac: "52:54:00:aa:00:01", name: "vm1", ip: "10.7.0.5" }] } }],
      dns: { hosts: [{ ip: "10.7.0.50", hostnames: ["files"] }] },
    });
  });

  it("renders the three files, the reservations into the hostsfile and the DNS records into addnhosts", () => {
    const files = dnsmasqFilesOf(dnsmasqConfigOf(withDhcp({ dns: { hosts: [{ ip: "10.7.0.50", hostnames: ["files"] }] }, ips: [{ address: "10.7.0.1", prefix: 24, dhcp: { ...DHCP, hosts: [{ mac: "52:54:00:07:00:01", name: "vm1", ip: "10.7.0.5" }] } }] }))!);
    expect(files.conf).toMatch(/^interface=virbr7$/m);
    expect(files.conf).toMatch(/^dhcp-range=10\.7\.0\.10,10\.7\.0\.20,255\.255\.255\.0$/m);
    expect(files.hostsfile).toBe("52:54:00:07:00:01,10.7.0.5,vm1\n");
    expect(files.addnhosts).toBe("10.7.0.50\tfiles\t\n");
    // DNS off: no records to serve, whatever dns.hosts says.
    expect(dnsmasqFilesOf(dnsmasqConfigOf(withDhcp({ dns: { enable: false, hosts: [{ ip: "10.7.0.50", hostnames: ["files"] }] } }))!).addnhosts).toBe("");
  });
});

const WANTED: DnsmasqFiles = dnsmasqFilesOf(dnsmasqConfigOf(withDhcp({ ips: [{ address: "10.7.0.1", prefix: 24, dhcp: { ...DHCP, hosts: [{ mac: "52:54:00:07:00:01", ip: "10.7.0.5" }] } }] }))!);
const observed = (files: Partial<DnsmasqFiles & { leases: string }>, running = true): ObservedDnsmasq => ({
  pid: 4242,
  running,
  files,
  hosts: new Map(),
});
const SAME = observed({ ...WANTED, leases: "" });
/** The configuration with a different header only (the network's libvirt name is in its third line). */
const renamed = WANTED.conf.replace(/^##    virsh net-edit .*$/m, "##    virsh net-edit old-name");
/** The configuration with a different range: a setting. */
const otherRange = WANTED.conf.replace("10.7.0.20", "10.7.0.99");

describe("planDnsmasq: the least action", () => {
  it("does nothing when nothing is wanted and nothing is there", () => {
    expect(planDnsmasq(BR, undefined, undefined)).toEqual([]);
  });

  it("starts dnsmasq from nothing", () => {
    expect(planDnsmasq(BR, WANTED, undefined)).toEqual([{ op: "dnsmasqStart", bridge: BR, files: WANTED, from: null }]);
  });

  it("does nothing when the host runs it with the same files", () => {
    expect(planDnsmasq(BR, WANTED, SAME)).toEqual([]);
  });

  it("rewrites the configuration alone, without a restart, when only its header comment differs", () => {
    expect(renamed).not.toBe(WANTED.conf);
    expect(planDnsmasq(BR, WANTED, observed({ ...WANTED, conf: renamed }))).toEqual([
      { op: "fileWrite", path: "/var/lib/virtnet/dnsmasq/virbr7.conf", content: WANTED.conf, mode: 0o600, from: renamed },
    ]);
  });

  it("reloads (SIGHUP) with the old host files when the reservations differ", () => {
    expect(planDnsmasq(BR, WANTED, observed({ ...WANTED, hostsfile: "52:54:00:07:00:09,10.7.0.9\n" }))).toEqual([
      { op: "dnsmasqReload", bridge: BR, hostsfile: WANTED.hostsfile, addnhosts: WANTED.addnhosts, from: { hostsfile: "52:54:00:07:00:09,10.7.0.9\n", addnhosts: WANTED.addnhosts } },
    ]);
  });

  it("reloads when the DNS host records differ", () => {
    expect(planDnsmasq(BR, WANTED, observed({ ...WANTED, addnhosts: "10.7.0.50\tfiles\t\n" }))).toEqual([
      { op: "dnsmasqReload", bridge: BR, hostsfile: WANTED.hostsfile, addnhosts: WANTED.addnhosts, from: { hostsfile: WANTED.hostsfile, addnhosts: "10.7.0.50\tfiles\t\n" } },
    ]);
  });

  it("rewrites a renamed header and reloads in one plan, still without a restart", () => {
    expect(planDnsmasq(BR, WANTED, observed({ ...WANTED, conf: renamed, hostsfile: "" })).map((o) => o.op)).toEqual(["fileWrite", "dnsmasqReload"]);
  });

  it("restarts with the observed files as `from` when a setting differs", () => {
    const from = { conf: otherRange, hostsfile: "", addnhosts: WANTED.addnhosts };
    expect(planDnsmasq(BR, WANTED, observed({ ...from, leases: "x\n" }))).toEqual([{ op: "dnsmasqStart", bridge: BR, files: WANTED, from }]);
  });

  it("restarts a dnsmasq that is not running (killed by hand), its files as `from`", () => {
    expect(planDnsmasq(BR, WANTED, observed({ ...WANTED }, false))).toEqual([{ op: "dnsmasqStart", bridge: BR, files: WANTED, from: WANTED }]);
  });

  it("starts from nothing where only a hosts directory is left (DhcpHosts without a configuration)", () => {
    const o: ObservedDnsmasq = { running: false, files: {}, hosts: new Map([["10.7.0.30", "52:54:00:07:00:03,10.7.0.30\n"]]) };
    expect(planDnsmasq(BR, WANTED, o)).toEqual([{ op: "dnsmasqStart", bridge: BR, files: WANTED, from: null }]);
    expect(planDnsmasq(BR, undefined, o)).toEqual([]);
  });

  it("stops with the observed files as `from` when the network no longer needs dnsmasq", () => {
    // With the leases and the DhcpHosts' files, which the stop removes and its undo must put back.
    expect(planDnsmasq(BR, undefined, SAME)).toEqual([{ op: "dnsmasqStop", bridge: BR, from: { ...WANTED, leases: "" } }]);
    const reserved = { ...observed({ ...WANTED, leases: "L\n" }), hosts: new Map([["10.7.0.30", "52:54:00:00:00:30,10.7.0.30\n"]]) };
    expect(planDnsmasq(BR, undefined, reserved)).toEqual([{ op: "dnsmasqStop", bridge: BR, from: { ...WANTED, leases: "L\n", hosts: { "10.7.0.30": "52:54:00:00:00:30,10.7.0.30\n" } } }]);
    // Files left by a dnsmasq that died go too.
    expect(planDnsmasq(BR, undefined, observed({ ...WANTED }, false))).toEqual([{ op: "dnsmasqStop", bridge: BR, from: WANTED }]);
  });

  it("stops a running dnsmasq whose configuration is gone, without `from`: there is nothing to restore", () => {
    expect(planDnsmasq(BR, undefined, observed({}))).toEqual([{ op: "dnsmasqStop", bridge: BR }]);
  });

  it("reads a missing hostsfile or addnhosts as empty in `from`", () => {
    expect(planDnsmasq(BR, undefined, observed({ conf: WANTED.conf }))).toEqual([{ op: "dnsmasqStop", bridge: BR, from: { conf: WANTED.conf, hostsfile: "", addnhosts: "" } }]);
  });
});

describe("dnsmasqDrift: what the host lacks, in words", () => {
  it("has none when the host matches, or when neither side has a dnsmasq", () => {
    expect(dnsmasqDrift(BR, WANTED, SAME)).toEqual([]);
    expect(dnsmasqDrift(BR, undefined, undefined)).toEqual([]);
    expect(dnsmasqDrift(BR, undefined, observed({ ...WANTED }, false))).toEqual([]);
  });

  it("names a dnsmasq that runs though the network needs none", () => {
    expect(dnsmasqDrift(BR, undefined, SAME)).toEqual(["dnsmasq runs for virbr7 (pid 4242) though the network needs none"]);
  });

  it("names a dnsmasq that never started, and one whose pid is gone", () => {
    expect(dnsmasqDrift(BR, WANTED, undefined)).toEqual(["dnsmasq for virbr7 is not running"]);
    expect(dnsmasqDrift(BR, WANTED, { running: false, files: { ...WANTED }, hosts: new Map() })).toEqual(["dnsmasq for virbr7 is not running"]);
    expect(dnsmasqDrift(BR, WANTED, observed({ ...WANTED }, false))).toEqual(["dnsmasq for virbr7 is not running (pid 4242 is gone)"]);
  });

  it("names each file that differs or is missing, by its path", () => {
    expect(dnsmasqDrift(BR, WANTED, observed({ ...WANTED, conf: otherRange, hostsfile: "edited\n" }))).toEqual([
      "/var/lib/virtnet/dnsmasq/virbr7.conf differs from what the network renders",
      "/var/lib/virtnet/dnsmasq/virbr7.hostsfile differs from what the network renders",
    ]);
    expect(dnsmasqDrift(BR, WANTED, observed({ conf: WANTED.conf, hostsfile: WANTED.hostsfile }))).toEqual(["/var/lib/virtnet/dnsmasq/virbr7.addnhosts is missing"]);
    // A header the network renders differently is drift too (the plan rewrites it).
    expect(dnsmasqDrift(BR, WANTED, observed({ ...WANTED, conf: renamed }))).toEqual(["/var/lib/virtnet/dnsmasq/virbr7.conf differs from what the network renders"]);
  });
});

describe("observedDnsmasq: the network's dnsmasq outputs", () => {
  const LEASES = "1795703010 52:54:00:07:00:09 10.7.0.12 guest9 01:52:54:00:07:00:09\n";

  it("reports the leases of a running dnsmasq, and no drift when it matches", () => {
    const n = withDhcp({ ips: [{ address: "10.7.0.1", prefix: 24, dhcp: { ...DHCP, hosts: [{ mac: "52:54:00:07:00:01", ip: "10.7.0.5" }] } }], dns: {} });
    const files = dnsmasqFilesOf(dnsmasqConfigOf(n)!);
    const out = observedDnsmasq(n, { dnsmasq: new Map([[BR, observed({ ...files, leases: LEASES })]]) });
    expect(out).toEqual({ dns: {}, dhcpLeases: [{ mac: "52:54:00:07:00:09", ip: "10.7.0.12", hostname: "guest9", clientId: "01:52:54:00:07:00:09", expiresAt: new Date(1795703010 * 1000).toISOString() }] });
  });

  it("reports a dead dnsmasq as drift, and no leases for a network that runs none", () => {
    expect(observedDnsmasq(withDhcp(), { dnsmasq: new Map() }).dnsmasqDrift).toEqual(["dnsmasq for virbr7 is not running"]);
    expect(observedDnsmasq(net(), { dnsmasq: new Map([[BR, observed({ conf: "x\n", leases: LEASES })]]) })).toEqual({ dnsmasqDrift: ["dnsmasq runs for virbr7 (pid 4242) though the network needs none"] });
    expect(observedDnsmasq(net(), {})).toEqual({});
  });
});

describe("a missing hostsfile where the network renders an empty one", () => {
  it("is drift, and the plan writes it again with a SIGHUP", () => {
    // A network with DHCP ranges and no reservations renders an empty hostsfile, which dnsmasq is told to read.
    const wanted = dnsmasqFilesOf(dnsmasqConfigOf(withDhcp())!);
    expect(wanted.hostsfile).toBe("");
    const o = observed({ conf: wanted.conf, addnhosts: wanted.addnhosts });
    expect(dnsmasqDrift(BR, wanted, o)).toEqual(["/var/lib/virtnet/dnsmasq/virbr7.hostsfile is missing"]);
    expect(planDnsmasq(BR, wanted, o)).toEqual([{ op: "dnsmasqReload", bridge: BR, hostsfile: "", addnhosts: wanted.addnhosts, from: { hostsfile: "", addnhosts: wanted.addnhosts } }]);
  });
});
