// The dnsmasq configuration beyond libvirt's golden cases (docs/libvirt-behaviour.md §10.2): the pid file's
// place, DNS turned off, SRV corner cases, address forms, and the inputs libvirt's writer refuses.
import { describe, expect, it } from "vitest";
import type { DnsmasqConfig } from "../../../provider/dnsmasq/dnsmasq-config";
import { dnsmasqPaths } from "../../../provider/dnsmasq/dnsmasq-paths";
import { renderDnsmasqConf } from "../../../provider/dnsmasq/render-dnsmasq-conf";

const PATHS = dnsmasqPaths("virbr7");
const base: DnsmasqConfig = { networkName: "lab", bridge: "virbr7", isolated: false, ips: [{ address: "10.7.0.1", prefix: 24 }] };
const body = (config: DnsmasqConfig) => renderDnsmasqConf(config, PATHS).split("\n").slice(6, -1);

describe("renderDnsmasqConf", () => {
  it("names virtnet's files, keyed by bridge", () => {
    expect(PATHS).toEqual({
      conf: "/var/lib/virtnet/dnsmasq/virbr7.conf",
      pidFile: "/run/virtnet/dnsmasq/virbr7.pid",
      hostsfile: "/var/lib/virtnet/dnsmasq/virbr7.hostsfile",
      hostsDir: "/var/lib/virtnet/dnsmasq/virbr7.hosts.d",
      addnhosts: "/var/lib/virtnet/dnsmasq/virbr7.addnhosts",
      leases: "/var/lib/virtnet/dnsmasq/virbr7.leases",
    });
  });

  it("writes the pid file after the DNS lines and before the interface lines, where libvirt does", () => {
    const lines = body({ ...base, domain: { name: "lab.test" }, dns: { forwardPlainNames: false } });
    expect(lines).toEqual([
      "strict-order",
      "domain=lab.test",
      "expand-hosts",
      "domain-needed",
      "local=//",
      "pid-file=/run/virtnet/dnsmasq/virbr7.pid",
      "except-interface=lo",
      "bind-dynamic",
      "interface=virbr7",
      "addn-hosts=/var/lib/virtnet/dnsmasq/virbr7.addnhosts",
    ]);
  });

  it("puts the network's name in the header's third line and ends every line with a newline", () => {
    const text = renderDnsmasqConf(base, PATHS);
    expect(text.split("\n")[2]).toBe("##    virsh net-edit lab");
    expect(text.endsWith("\n")).toBe(true);
    expect(text).not.toContain("\n\n");
  });

  it("with DNS off: port=0, and none of the DNS lines, records or addn-hosts; the domain stays for DHCP", () => {
    const lines = body({
      ...base,
      domain: { name: "lab.test", localOnly: true },
      ips: [{ address: "10.7.0.1", prefix: 24, localPtr: true, dhcp: { ranges: [{ start: "10.7.0.10", end: "10.7.0.20" }] } }],
      dns: {
        enable: false,
        forwardPlainNames: false,
        forwarders: [{ addr: "192.0.2.53" }],
        txts: [{ name: "t", value: "v" }],
        srvs: [{ service: "s", protocol: "tcp" }],
        hosts: [{ ip: "10.7.0.5", hostnames: ["h"] }],
      },
    });
    expect(lines).toEqual([
      "strict-order",
      "port=0",
      "local=/lab.test/",
      "domain=lab.test",
      "expand-hosts",
      "pid-file=/run/virtnet/dnsmasq/virbr7.pid",
      "except-interface=lo",
      "bind-dynamic",
      "interface=virbr7",
      "dhcp-range=10.7.0.10,10.7.0.20,255.255.255.0",
      "dhcp-no-override",
      "dhcp-authoritative",
      "dhcp-lease-max=11",
      "dhcp-hostsfile=/var/lib/virtnet/dnsmasq/virbr7.hostsfile",
    ]);
  });

  it("gives an isolated network libvirt's three extra lines right after the interface", () => {
    const lines = body({ ...base, isolated: true, dns: { txts: [{ name: "t", value: "v" }] } });
    expect(lines.slice(4, 9)).toEqual(["interface=virbr7", "dhcp-option=3", "no-resolv", "ra-param=*,0,0", "txt-record=t,v"]);
  });

  it("ends an SRV record after a target of '.', and counts an explicit 0 as absent, as libvirt does", () => {
    const lines = body({
      ...base,
      dns: {
        srvs: [
          { service: "gone", protocol: "tcp", target: ".", port: 80, priority: 1, weight: 2 },
          { service: "zero", protocol: "udp", target: "t.example", port: 0, priority: 0, weight: 0 },
          { service: "prio", protocol: "tcp", target: "t.example", priority: 5 },
        ],
      },
    });
    expect(lines.filter((l) => l.startsWith("srv-host="))).toEqual([
      "srv-host=_gone._tcp",
      "srv-host=_zero._udp,t.example",
      "srv-host=_prio._tcp,t.example,1,5",
    ]);
  });

  it("writes addresses in their canonical form, whatever form they were given in", () => {
    const lines = body({
      ...base,
      ips: [{ address: "2001:DB8:0:0::1", prefix: 64, dhcp: { ranges: [{ start: "2001:db8:0:0:0:0:0:10", end: "2001:DB8::FF" }] } }],
      dns: { forwarders: [{ addr: "2001:db8:0::53", domain: "corp" }] },
    });
    expect(lines).toContain("server=/corp/2001:db8::53");
    expect(lines).toContain("dhcp-range=2001:db8::10,2001:db8::ff,64");
    expect(lines).toContain("dhcp-lease-max=240");
  });

  it("uses the effective prefix for the netmask and sums the ranges of both families for the lease maximum", () => {
    const lines = body({
      ...base,
      ips: [
        { address: "10.7.0.1", prefix: 16, dhcp: { ranges: [{ start: "10.7.0.2", end: "10.7.0.101" }, { start: "10.7.1.1", end: "10.7.1.1" }] } },
        { address: "fd00:7::1", prefix: 64, dhcp: { ranges: [{ start: "fd00:7::100", end: "fd00:7::1ff", lease: { expiry: 45, unit: "minutes" } }] } },
      ],
    });
    expect(lines).toContain("dhcp-range=10.7.0.2,10.7.0.101,255.255.0.0");
    expect(lines).toContain("dhcp-range=fd00:7::100,fd00:7::1ff,64,45m");
    expect(lines).toContain("dhcp-lease-max=357");
    expect(lines.at(-1)).toBe("enable-ra");
  });

  it("writes one enable-tftp for several IPv4 TFTP roots, and ignores an IPv6 one", () => {
    const lines = body({
      ...base,
      ips: [
        { address: "10.7.0.1", prefix: 24, tftpRoot: "/srv/a" },
        { address: "fd00:7::1", prefix: 64, tftpRoot: "/srv/v6" },
        { address: "10.8.0.1", prefix: 24, tftpRoot: "/srv/b" },
      ],
    });
    expect(lines.filter((l) => l.includes("tftp"))).toEqual(["enable-tftp", "tftp-root=/srv/a", "tftp-root=/srv/b"]);
  });

  it("ignores bootp on IPv6 and on an IPv4 entry without ranges or hosts", () => {
    const lines = body({
      ...base,
      ips: [
        { address: "10.7.0.1", prefix: 24, dhcp: { bootp: { file: "a.img" } } },
        { address: "fd00:7::1", prefix: 64, dhcp: { ranges: [{ start: "fd00:7::10", end: "fd00:7::20" }], bootp: { file: "b.img" } } },
      ],
    });
    expect(lines.filter((l) => l.startsWith("dhcp-boot"))).toEqual([]);
  });

  it("appends the raw options last, in order", () => {
    const lines = body({ ...base, mtu: 9000, dnsmasqOptions: ["log-dhcp", "dhcp-option=option:ntp-server,10.7.0.1"] });
    expect(lines.slice(-3)).toEqual(["dhcp-option=option:mtu,9000", "log-dhcp", "dhcp-option=option:ntp-server,10.7.0.1"]);
  });

  it("refuses two DHCP entries of one family with libvirt's message", () => {
    const config: DnsmasqConfig = {
      ...base,
      ips: [
        { address: "10.7.0.1", prefix: 24, dhcp: { ranges: [{ start: "10.7.0.2", end: "10.7.0.9" }] } },
        { address: "10.8.0.1", prefix: 24, dhcp: { hosts: [{ mac: "52:54:00:00:00:01", ip: "10.8.0.5" }] } },
      ],
    };
    expect(() => renderDnsmasqConf(config, PATHS)).toThrow("For IPv4, multiple DHCP definitions cannot be specified.");
  });

  it("refuses localPtr on a prefix that has no reverse zone with libvirt's message", () => {
    const config: DnsmasqConfig = { ...base, ips: [{ address: "10.7.0.1", prefix: 20, localPtr: true }] };
    expect(() => renderDnsmasqConf(config, PATHS)).toThrow("PTR domain for IPv4 network with prefix 20 cannot be automatically created");
  });
});
