// The preflight before a network's dnsmasq starts (docs/libvirt-behaviour.md §10.6): the probe's output as a real host
// prints it (dnsmasq --version, ss's listeners on port 53, libvirt's dhcp-range lines) and the problems that make the
// plan fail before anything changes, each with its remedy.
import { describe, expect, it } from "vitest";
import type { DnsmasqConfig } from "../../../provider/dnsmasq/dnsmasq-config";
import type { ObservedDnsmasq } from "../../../provider/dnsmasq/observe-dnsmasq";
import { dnsmasqPreflightProblems, parseDnsmasqProbe, type DnsmasqProbe } from "../../../provider/host/dnsmasq-probe";

const VERSION = "Dnsmasq version 2.90  Copyright (c) 2000-2024 Simon Kelley";
// `ss -H -l -n -u -t -p 'sport = :53'` (iproute2 6.1): netid, state, queues, local, peer, process.
const PORT53 = [
  `udp   UNCONN 0      0                0.0.0.0:53         0.0.0.0:*    users:(("named",pid=812,fd=5))`,
  `udp   UNCONN 0      0        127.0.0.53%lo:53           0.0.0.0:*    users:(("systemd-resolve",pid=601,fd=13))`,
  `udp   UNCONN 0      0          192.168.122.1:53         0.0.0.0:*    users:(("dnsmasq",pid=1500,fd=5))`,
  `udp   UNCONN 0      0                   [::]:53            [::]:*    users:(("named",pid=812,fd=7))`,
  `tcp   LISTEN 0      10               0.0.0.0:53         0.0.0.0:*    users:(("named",pid=812,fd=6))`,
  `tcp   LISTEN 0      4096     127.0.0.53%lo:53           0.0.0.0:*    users:(("systemd-resolve",pid=601,fd=14))`,
  `tcp   LISTEN 0      32         192.168.122.1:53         0.0.0.0:*    users:(("dnsmasq",pid=1500,fd=6))`,
];
const RANGES = ["/var/lib/libvirt/dnsmasq/default.conf 192.168.122.2 192.168.122.254", "/var/lib/libvirt/dnsmasq/v6.conf 2001:db8:ca2:2::100 2001:db8:ca2:2::1ff"];

const probeText = (version: string, port53: string[], ranges: string[]) => [version, "@@port53", ...port53, "@@ranges", ...ranges, ""].join("\n");

describe("parseDnsmasqProbe", () => {
  it("reads the version, the wildcard listeners on port 53 with their process, and libvirt's ranges", () => {
    expect(parseDnsmasqProbe(probeText(VERSION, PORT53, RANGES))).toEqual({
      version: [2, 90],
      wildcard53: [
        { address: "0.0.0.0:53", process: "named", pid: 812 },
        { address: "[::]:53", process: "named", pid: 812 },
        { address: "0.0.0.0:53", process: "named", pid: 812 },
      ],
      libvirtRanges: [
        { source: "/var/lib/libvirt/dnsmasq/default.conf", start: "192.168.122.2", end: "192.168.122.254" },
        { source: "/var/lib/libvirt/dnsmasq/v6.conf", start: "2001:db8:ca2:2::100", end: "2001:db8:ca2:2::1ff" },
      ],
    });
  });

  it("counts neither systemd-resolved's stub on 127.0.0.53%lo nor a listener on one address: bind-dynamic binds beside them", () => {
    const p = parseDnsmasqProbe(probeText(VERSION, [PORT53[1]!, PORT53[2]!, PORT53[5]!, PORT53[6]!], []));
    expect(p.wildcard53).toEqual([]);
  });

  it("takes a listener ss cannot name a process for (no -p rights), and ss's '*' form of a dual-stack socket", () => {
    const p = parseDnsmasqProbe(probeText(VERSION, ["udp   UNCONN 0      0                      *:53               *:*"], []));
    expect(p.wildcard53).toEqual([{ address: "*:53" }]);
  });

  it("reads 'none' (no dnsmasq) as no version, and an empty probe as nothing found", () => {
    expect(parseDnsmasqProbe(probeText("none", [], []))).toEqual({ wildcard53: [], libvirtRanges: [] });
    expect(parseDnsmasqProbe("")).toEqual({ wildcard53: [], libvirtRanges: [] });
  });

  it("skips range lines that are not two addresses (a libvirt file with some other dhcp-range form)", () => {
    const p = parseDnsmasqProbe(probeText(VERSION, [], ["/var/lib/libvirt/dnsmasq/x.conf 192.168.5.2 static", "/var/lib/libvirt/dnsmasq/y.conf 192.168.6.2"]));
    expect(p.libvirtRanges).toEqual([]);
  });
});

const HOST = "root@203.0.113.7";
const config = (extra: Partial<DnsmasqConfig> = {}): DnsmasqConfig => ({
  networkName: "lab",
  bridge: "virbr7",
  isolated: false,
  ips: [{ address: "10.7.0.1", prefix: 24, dhcp: { ranges: [{ start: "10.7.0.10", end: "10.7.0.20" }] } }],
  ...extra,
});
const clean: DnsmasqProbe = { version: [2, 90], wildcard53: [], libvirtRanges: [] };
const NAMED = { address: "0.0.0.0:53", process: "named", pid: 812 };
const running = (conf: string): ObservedDnsmasq => ({ pid: 99, running: true, files: { conf }, hosts: new Map() });
const NONE = new Map<string, ObservedDnsmasq>();

describe("dnsmasqPreflightProblems", () => {
  it("finds nothing on a host that has dnsmasq, a free port 53 and no other range", () => {
    expect(dnsmasqPreflightProblems(config(), clean, NONE, HOST)).toEqual([]);
  });

  it("says how to install dnsmasq when it is missing, and nothing else (the rest cannot matter yet)", () => {
    expect(dnsmasqPreflightProblems(config(), { ...clean, version: undefined, wildcard53: [NAMED] }, NONE, HOST)).toEqual([
      "dnsmasq is not installed on root@203.0.113.7; networks with DHCP or DNS need it (Debian/Ubuntu: apt-get install dnsmasq-base; Fedora/RHEL: dnf install dnsmasq)",
    ]);
  });

  it.each([
    [[2, 66], ["dnsmasq version >= 2.67 required but 2.66 found on root@203.0.113.7; upgrade dnsmasq"]],
    [[1, 99], ["dnsmasq version >= 2.67 required but 1.99 found on root@203.0.113.7; upgrade dnsmasq"]],
    [[2, 67], []],
    [[3, 0], []],
  ] as [[number, number], string[]][])("version %j: %j", (version, problems) => {
    expect(dnsmasqPreflightProblems(config(), { ...clean, version }, NONE, HOST)).toEqual(problems);
  });

  it("names each wildcard listener on port 53, with its process, when the network serves DNS", () => {
    const probe = { ...clean, wildcard53: [NAMED, { address: "[::]:53" }] };
    const expected = [
      "a DNS server already listens on 0.0.0.0:53 on root@203.0.113.7 (named, pid 812) and keeps dnsmasq from binding virbr7; make it bind only its own interfaces, or set dns.enable: false",
      "a DNS server already listens on [::]:53 on root@203.0.113.7 and keeps dnsmasq from binding virbr7; make it bind only its own interfaces, or set dns.enable: false",
    ];
    expect(dnsmasqPreflightProblems(config(), probe, NONE, HOST)).toEqual(expected);
    expect(dnsmasqPreflightProblems(config({ dns: {} }), probe, NONE, HOST)).toEqual(expected);
    expect(dnsmasqPreflightProblems(config({ dns: { enable: true } }), probe, NONE, HOST)).toEqual(expected);
  });

  it("has no port-53 problem for a network with DNS off (port=0: DHCP only)", () => {
    expect(dnsmasqPreflightProblems(config({ dns: { enable: false } }), { ...clean, wildcard53: [NAMED] }, NONE, HOST)).toEqual([]);
  });

  it("refuses a range that overlaps another virtnet network's, as its configuration on the host says", () => {
    const others = new Map([
      ["virbr8", running("strict-order\ndhcp-range=10.7.0.15,10.7.0.40,255.255.255.0\n")],
      ["virbr9", running("strict-order\ndhcp-range=10.9.0.2,10.9.0.9,255.255.255.0\n")],
    ]);
    expect(dnsmasqPreflightProblems(config(), clean, others, HOST)).toEqual([
      "DHCP range 10.7.0.10 - 10.7.0.20 overlaps 10.7.0.15 - 10.7.0.40 of virtnet's network on virbr8 on root@203.0.113.7; two DHCP servers would hand out the same addresses: choose another range",
    ]);
  });

  it("does not hold the network's own configuration against it (a restart of the same network)", () => {
    const own = new Map([["virbr7", running("dhcp-range=10.7.0.10,10.7.0.20,255.255.255.0\n")]]);
    expect(dnsmasqPreflightProblems(config(), clean, own, HOST)).toEqual([]);
  });

  it("refuses a range that overlaps a libvirt network's, naming libvirt's file; IPv6 ranges too", () => {
    const probe = { ...clean, libvirtRanges: [{ source: "/var/lib/libvirt/dnsmasq/default.conf", start: "10.7.0.20", end: "10.7.0.30" }, { source: "/var/lib/libvirt/dnsmasq/v6.conf", start: "2001:db8::100", end: "2001:db8::1ff" }] };
    const dual = config({
      ips: [
        { address: "10.7.0.1", prefix: 24, dhcp: { ranges: [{ start: "10.7.0.10", end: "10.7.0.20" }] } },
        { address: "2001:db8::1", prefix: 64, dhcp: { ranges: [{ start: "2001:db8::1f0", end: "2001:db8::2ff" }] } },
      ],
    });
    expect(dnsmasqPreflightProblems(dual, probe, NONE, HOST)).toEqual([
      "DHCP range 10.7.0.10 - 10.7.0.20 overlaps 10.7.0.20 - 10.7.0.30 of /var/lib/libvirt/dnsmasq/default.conf on root@203.0.113.7; two DHCP servers would hand out the same addresses: choose another range",
      "DHCP range 2001:db8::1f0 - 2001:db8::2ff overlaps 2001:db8::100 - 2001:db8::1ff of /var/lib/libvirt/dnsmasq/v6.conf on root@203.0.113.7; two DHCP servers would hand out the same addresses: choose another range",
    ]);
  });

  it("finds no overlap for ranges side by side, or of another family, or for a network without DHCP ranges", () => {
    const probe = { ...clean, libvirtRanges: [{ source: "/var/lib/libvirt/dnsmasq/default.conf", start: "10.7.0.21", end: "10.7.0.30" }, { source: "/var/lib/libvirt/dnsmasq/v6.conf", start: "::", end: "::ffff" }] };
    const others = new Map([["virbr8", running("dhcp-range=10.7.0.2,10.7.0.9,255.255.255.0\n")]]);
    expect(dnsmasqPreflightProblems(config(), probe, others, HOST)).toEqual([]);
    expect(dnsmasqPreflightProblems(config({ ips: [{ address: "10.7.0.1", prefix: 24 }], dns: {} }), { ...probe, libvirtRanges: [{ source: "x", start: "10.7.0.1", end: "10.7.0.254" }] }, others, HOST)).toEqual([]);
  });

  it("gives every problem at once: an old version, a listener and an overlap", () => {
    const problems = dnsmasqPreflightProblems(config(), { version: [2, 50], wildcard53: [NAMED], libvirtRanges: [{ source: "/var/lib/libvirt/dnsmasq/default.conf", start: "10.7.0.1", end: "10.7.0.254" }] }, NONE, HOST);
    expect(problems.map((p) => p.slice(0, 24))).toEqual(["dnsmasq version >= 2.67 ", "a DNS server already lis", "DHCP range 10.7.0.10 - 1"]);
  });
});

describe("a DNS server that ss lists for UDP and TCP", () => {
  it("is named once", () => {
    const probe = parseDnsmasqProbe(probeText(VERSION, [PORT53[0]!, PORT53[4]!], []));
    expect(dnsmasqPreflightProblems(config(), probe, NONE, HOST)).toHaveLength(1);
  });
});
