// libvirt 11's dnsmasq configuration, line for line (docs/libvirt-behaviour.md §10.2, §10.3). Each case is one
// network of libvirt 11.3's networkxml2conftest, named as libvirt names it: the config below holds exactly what
// that test's network XML says, and test/unit/golden/dnsmasq-CASE.conf holds the configuration libvirt expects
// for it, with one change: `/var/lib/libvirt/dnsmasq/NAME.` became `/var/lib/virtnet/dnsmasq/BRIDGE.`. Like
// libvirt's test, the rendering gets no pid file, and the reservations are compared with dnsmasq-CASE.hostsfile
// where libvirt has one and must be empty where it has none.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { DhcpStaticHost, DnsmasqConfig, DnsmasqIp, LeaseUnit } from "../../../provider/dnsmasq/dnsmasq-config";
import { dnsmasqPaths } from "../../../provider/dnsmasq/dnsmasq-paths";
import { renderDnsmasqConf } from "../../../provider/dnsmasq/render-dnsmasq-conf";
import { networkDhcpHosts, renderHostsfile } from "../../../provider/dnsmasq/render-hostsfile";

const GOLDEN = path.join(__dirname, "../golden");

/** The two IPv4 reservations most of libvirt's cases share. */
const HOSTS_AB: DhcpStaticHost[] = [
  { mac: "00:16:3e:77:e2:ed", name: "a.example.com", ip: "192.168.122.10" },
  { mac: "00:16:3e:3e:a9:1a", name: "b.example.com", ip: "192.168.122.11" },
];

/** The five DHCPv6 reservations of the dhcp6 cases: by id, by name, and both. */
const HOSTS_V6: DhcpStaticHost[] = [
  { id: "0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63", ip: "2001:db8:ac10:fd01::1:20" },
  { name: "paul", ip: "2001:db8:ac10:fd01::1:21" },
  { id: "0:3:0:1:0:16:3e:11:22:33", name: "peter.xyz", ip: "2001:db8:ac10:fd01::1:22" },
  { id: "0:3:0:1:0:16:3e:44:55:33", ip: "2001:db8:ac10:fd01::1:23" },
  { id: "0:1:0:1:18:aa:62:fe:0:16:3e:44:55:66", name: "badbob", ip: "2001:db8:ac10:fd01::1:24" },
];

const RANGE_122 = { start: "192.168.122.2", end: "192.168.122.254" };
const IP_122: DnsmasqIp = { address: "192.168.122.1", prefix: 24 };
const IP_122_DHCP: DnsmasqIp = { ...IP_122, dhcp: { ranges: [RANGE_122], hosts: HOSTS_AB } };

/** nat-network's five ips after the first: a second IPv4 subnet, two IPv6 ones, and a class A address (/8). */
function natTail(v6prefix: "2001:db8" | "fc00:db8"): DnsmasqIp[] {
  return [
    { address: "192.168.123.1", prefix: 24 },
    { address: `${v6prefix}:ac10:fe01::1`, prefix: 64 },
    { address: `${v6prefix}:ac10:fd01::1`, prefix: 64 },
    { address: "10.24.10.1", prefix: 8 },
  ];
}

const nat = (extra: Partial<DnsmasqConfig>): DnsmasqConfig => ({
  networkName: "default",
  bridge: "virbr0",
  isolated: false,
  ips: [IP_122_DHCP, ...natTail("2001:db8")],
  ...extra,
});

const leasetime = (range: number, a: number, b: number, unit: LeaseUnit): DnsmasqConfig =>
  nat({
    ips: [
      {
        ...IP_122,
        dhcp: {
          ranges: [{ ...RANGE_122, lease: { expiry: range, unit } }],
          hosts: [
            { ...HOSTS_AB[0], lease: { expiry: a, unit } },
            { ...HOSTS_AB[1], lease: { expiry: b, unit } },
          ],
        },
      },
    ],
  });

/** The case's name in libvirt's tests/networkxml2confdata, and what its XML says. */
const cases: [string, DnsmasqConfig][] = [
  ["isolated-network", { networkName: "private", bridge: "virbr2", isolated: true, ips: [{ address: "192.168.152.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.152.2", end: "192.168.152.254" }] } }] }],
  [
    "netboot-network",
    {
      networkName: "netboot",
      bridge: "virbr1",
      isolated: false,
      domain: { name: "example.com" },
      ips: [{ ...IP_122, dhcp: { ranges: [RANGE_122], bootp: { file: "pxeboot.img" } }, tftpRoot: "/var/lib/tftproot" }],
    },
  ],
  [
    "netboot-proxy-network",
    {
      networkName: "netboot",
      bridge: "virbr1",
      isolated: false,
      domain: { name: "example.com" },
      ips: [{ ...IP_122, dhcp: { ranges: [RANGE_122], bootp: { file: "pxeboot.img", server: "10.20.30.40" } } }],
    },
  ],
  ["netboot-tftp", { networkName: "tftp-only", bridge: "virbr0", isolated: false, ips: [{ ...IP_122, tftpRoot: "/var/lib/tftproot" }] }],
  ["nat-network-dns-srv-record-minimal", nat({ ips: [IP_122_DHCP, ...natTail("fc00:db8")], dns: { srvs: [{ service: "name", protocol: "tcp" }] } })],
  ["nat-network-name-with-quotes", nat({ networkName: 'default"with"quotes"', ips: [IP_122_DHCP, ...natTail("fc00:db8")], dns: { srvs: [{ service: "name", protocol: "tcp" }] } })],
  ["routed-network", { networkName: "local", bridge: "virbr1", isolated: false, ips: [IP_122] }],
  ["routed-network-no-dns", { networkName: "local", bridge: "virbr1", isolated: false, ips: [IP_122], dns: { enable: false } }],
  ["open-network", { networkName: "open", bridge: "virbr1", isolated: false, ips: [IP_122] }],
  ["nat-network", nat({})],
  ["nat-network-dns-txt-record", nat({ dns: { txts: [{ name: "example", value: "example value" }] } })],
  [
    "nat-network-dns-srv-record",
    nat({
      dns: {
        srvs: [
          { service: "name", protocol: "tcp", domain: "test-domain-name.com", target: "test.example.com", port: 1111, priority: 11, weight: 111 },
          { service: "name2", protocol: "udp", target: "test2.example.com", port: 2222, priority: 22, weight: 222 },
          { service: "name3", protocol: "tcp", domain: "test3.com", target: "test3.example.com", port: 3333, priority: 33 },
          { service: "name4", protocol: "tcp", domain: "test4.com", target: "test4.example.com", port: 4444 },
          { service: "name5", protocol: "udp", target: "test5.example.com", priority: 55, weight: 555 },
          { service: "name6", protocol: "tcp", domain: "test6.com", target: "test6.example.com", port: 6666, weight: 666 },
          { service: "name7", protocol: "tcp", domain: "test7.com", target: "test7.example.com", weight: 777 },
        ],
      },
    }),
  ],
  [
    "nat-network-dns-hosts",
    nat({ ips: [IP_122], domain: { name: "example.com" }, dns: { forwardPlainNames: false, hosts: [{ ip: "192.168.122.1", hostnames: ["host", "gateway"] }] } }),
  ],
  ["nat-network-dns-forward-plain", nat({ ips: [IP_122], dns: { forwardPlainNames: true } })],
  [
    "nat-network-dns-forwarders",
    nat({
      ips: [IP_122],
      dns: { forwarders: [{ addr: "8.8.8.8" }, { addr: "8.8.4.4" }, { domain: "example.com", addr: "192.168.1.1" }, { domain: "www.example.com" }] },
    }),
  ],
  ["nat-network-dns-forwarder-no-resolv", nat({ ips: [IP_122], dns: { forwarders: [{ domain: "example.com", addr: "192.168.1.1" }] } })],
  ["nat-network-dns-local-domain", nat({ ips: [IP_122], domain: { name: "example.com", localOnly: true } })],
  ["nat-network-mtu", nat({ mtu: 7000 })],
  [
    "dhcp6-network",
    nat({
      domain: { name: "mynet" },
      ips: [{ address: "2001:db8:ac10:fd01::1", prefix: 64, dhcp: { ranges: [{ start: "2001:db8:ac10:fd01::1:10", end: "2001:db8:ac10:fd01::1:ff" }], hosts: HOSTS_V6 } }],
    }),
  ],
  [
    "dhcp6-nat-network",
    nat({
      ips: [
        IP_122_DHCP,
        { address: "192.168.123.1", prefix: 24 },
        { address: "2001:db8:ac10:fd01::1", prefix: 64, dhcp: { ranges: [{ start: "2001:db8:ac10:fd01::1:10", end: "2001:db8:ac10:fd01::1:ff" }], hosts: HOSTS_V6 } },
        { address: "10.24.10.1", prefix: 8 },
      ],
    }),
  ],
  [
    "dhcp6host-routed-network",
    {
      networkName: "local",
      bridge: "virbr1",
      isolated: false,
      ips: [
        { ...IP_122, dhcp: { hosts: HOSTS_AB } },
        { address: "2001:db8:ac10:fd01::1", prefix: 64, dhcp: { hosts: HOSTS_V6 } },
      ],
    },
  ],
  [
    "ptr-domains-auto",
    nat({
      ips: [
        { ...IP_122_DHCP, localPtr: true },
        { address: "192.168.123.1", prefix: 24, localPtr: false },
        { address: "2001:db8:ac10:fe01::1", prefix: 64, localPtr: true },
        { address: "2001:db8:ac10:fd01::1", prefix: 64 },
        { address: "10.24.10.1", prefix: 8 },
      ],
    }),
  ],
  ["dnsmasq-options", nat({ ips: [{ ...IP_122, dhcp: { ranges: [RANGE_122] } }], dnsmasqOptions: ["foo=bar", "cname=*.cloudapps.example.com,master.example.com"] })],
  ["leasetime-seconds", leasetime(200, 300, 400, "seconds")],
  ["leasetime-minutes", leasetime(10, 20, 30, "minutes")],
  ["leasetime-hours", leasetime(1, 2, 3, "hours")],
  ["leasetime-infinite", leasetime(0, 0, 0, "minutes")],
];

describe("libvirt 11's dnsmasq configuration, golden (networkxml2confdata)", () => {
  it("covers every case of libvirt's networkxml2conftest", () => {
    expect(cases).toHaveLength(27);
  });

  it.each(cases)("%s: the configuration", (name, config) => {
    const { pidFile: _unused, ...paths } = dnsmasqPaths(config.bridge);
    const golden = readFileSync(path.join(GOLDEN, `dnsmasq-${name}.conf`), "utf8");
    expect(renderDnsmasqConf(config, paths)).toBe(golden);
  });

  it.each(cases)("%s: the hostsfile", (name, config) => {
    const file = path.join(GOLDEN, `dnsmasq-${name}.hostsfile`);
    const expected = existsSync(file) ? readFileSync(file, "utf8") : "";
    expect(renderHostsfile(networkDhcpHosts(config))).toBe(expected);
  });
});
