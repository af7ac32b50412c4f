// A Network's DHCP and DNS inputs at check (docs/libvirt-behaviour.md §10, rules in §10.7): libvirt's messages,
// compared character for character, each at the property it is about; through checkNetwork, so schema and rules both run.
import { describe, expect, it } from "vitest";
import { checkNetwork } from "../../../provider/resources/network/check";
import { UNKNOWN } from "../../../provider/unknown";
import { args } from "./network/network-fixtures";

const NAME = "lab";
const net = (overrides: Record<string, unknown>) => args({ libvirtName: NAME, ...overrides });
const failuresOf = (news: Record<string, unknown>) => checkNetwork({}, news).failures;

/** The network's one IPv4 entry, 192.168.100.1/24, with these DHCP inputs. */
const v4 = (dhcp: Record<string, unknown>, more: Record<string, unknown> = {}) => net({ ips: [{ address: "192.168.100.1", prefix: 24, dhcp, ...more }] });
const ranges = (...r: Record<string, unknown>[]) => v4({ ranges: r });
const range = (start: string, end: string) => ranges({ start, end });
const hosts4 = (...h: Record<string, unknown>[]) => v4({ hosts: h });
/** An IPv6-only network, 2001:db8::1/64. */
const v6 = (dhcp: Record<string, unknown>, more: Record<string, unknown> = {}) =>
  net({ ips: [{ address: "2001:db8::1", prefix: 64, family: "ipv6", dhcp, ...more }] });
const dns = (d: Record<string, unknown>) => net({ dns: d });
const srv = (s: Record<string, unknown>) => dns({ srvs: [s] });

const R0 = "ips[0].dhcp.ranges[0]";
const H0 = "ips[0].dhcp.hosts[0]";
const H1 = "ips[0].dhcp.hosts[1]";
const MAC = "52:54:00:aa:00:01";

/** [what, inputs, property, libvirt's message]: each case fails with exactly this one failure. */
const cases: [string, Record<string, unknown>, string, string][] = [
  // Ranges (virNetworkDHCPRangeDefParseXML, virSocketAddrGetRange)
  ["range without start", ranges({ end: "192.168.100.254" }), `${R0}.start`, "Missing 'start' attribute in dhcp range for network 'lab'"],
  ["range without end", ranges({ start: "192.168.100.2" }), `${R0}.end`, "Missing 'end' attribute in dhcp range for network 'lab'"],
  ["range start that is no address", range("192.168.100.x", "192.168.100.9"), `${R0}.start`, "Cannot parse socket address '192.168.100.x': Name or service not known"],
  ["range end that is no address", range("192.168.100.2", "web"), `${R0}.end`, "Cannot parse socket address 'web': Name or service not known"],
  ["range of two families", range("192.168.100.2", "2001:db8::5"), `${R0}.end`, "mismatch of address family in range 192.168.100.2 - 2001:db8::5"],
  ["IPv6 range in an IPv4 entry", range("2001:db8::2", "2001:db8::5"), `${R0}.start`, "mismatch of address family in range 2001:db8::2 - 2001:db8::5 for network 192.168.100.1"],
  ["range leaving the subnet", range("192.168.100.2", "192.168.101.5"), `${R0}.end`, "range 192.168.100.2 - 192.168.101.5 is not entirely within network 192.168.100.1/24"],
  ["range starting outside the subnet", range("192.168.99.2", "192.168.100.5"), `${R0}.start`, "range 192.168.99.2 - 192.168.100.5 is not entirely within network 192.168.100.1/24"],
  ["range from the network address", range("192.168.100.0", "192.168.100.254"), `${R0}.start`, "start of range 192.168.100.0 - 192.168.100.254 in network 192.168.100.1/24 is the network address"],
  ["range to the broadcast address", range("192.168.100.2", "192.168.100.255"), `${R0}.end`, "end of range 192.168.100.2 - 192.168.100.255 in network 192.168.100.1/24 is the broadcast address"],
  ["reversed IPv4 range", range("192.168.100.200", "192.168.100.100"), `${R0}.end`, "range 192.168.100.200 - 192.168.100.100 is reversed "],
  [
    "IPv4 range of more than 65536 addresses",
    net({ ips: [{ address: "10.0.0.1", prefix: 8, dhcp: { ranges: [{ start: "10.0.0.2", end: "10.2.0.1" }] } }] }),
    `${R0}.end`,
    "range 10.0.0.2 - 10.2.0.1 is too large (> 65535)",
  ],
  [
    "IPv4 range crossing a /16 boundary (libvirt's legacy limit)",
    net({ ips: [{ address: "10.0.0.1", prefix: 8, dhcp: { ranges: [{ start: "10.0.255.250", end: "10.1.0.5" }] } }] }),
    `${R0}.end`,
    "range 10.0.255.250 - 10.1.0.5 is too large (> 65535)",
  ],
  ["IPv6 range differing before the last group", v6({ ranges: [{ start: "2001:db8::1:0", end: "2001:db8::2:0" }] }), `${R0}.end`, "range 2001:db8::1:0 - 2001:db8::2:0 is too large (> 65535)"],
  ["reversed IPv6 range", v6({ ranges: [{ start: "2001:db8::20", end: "2001:db8::10" }] }), `${R0}.end`, "range 2001:db8::20 - 2001:db8::10 start larger than end"],
  // Leases (virNetworkDHCPLeaseTimeDefParseXML)
  ["range lease under two minutes", ranges({ start: "192.168.100.2", end: "192.168.100.9", lease: { expiry: 119, unit: "seconds" } }), `${R0}.lease.expiry`, "The minimum lease time should be greater than 2 minutes"],
  ["host lease of one minute (the default unit)", hosts4({ mac: MAC, ip: "192.168.100.10", lease: { expiry: 1 } }), `${H0}.lease.expiry`, "The minimum lease time should be greater than 2 minutes"],
  // Hosts (virNetworkDHCPHostDefParseXML)
  ["MAC on an IPv6 host", v6({ hosts: [{ mac: MAC, id: "00:01", ip: "2001:db8::5" }] }), `${H0}.mac`, "Invalid to specify MAC address '52:54:00:aa:00:01' in network 'lab' IPv6 static host definition"],
  ["MAC that does not parse", hosts4({ mac: "52:54:00:zz:00:01", ip: "192.168.100.10" }), `${H0}.mac`, "Cannot parse MAC address '52:54:00:zz:00:01' in network 'lab'"],
  ["multicast MAC", hosts4({ mac: "01:00:5e:00:00:01", ip: "192.168.100.10" }), `${H0}.mac`, "expected unicast mac address, found multicast '01:00:5e:00:00:01' in network 'lab'"],
  ["id with a non-hex character", v6({ hosts: [{ id: "00:01:zz", ip: "2001:db8::5" }] }), `${H0}.id`, "Invalid character 'z' in id '00:01:zz' of network 'lab'"],
  ["host name starting with a dash", hosts4({ name: "-web", ip: "192.168.100.10" }), `${H0}.name`, "Cannot use host name '-web' in network 'lab'"],
  ["host ip that is no address", hosts4({ mac: MAC, ip: "web" }), `${H0}.ip`, "Invalid IP address in static host definition for network 'lab'"],
  ["host without ip", hosts4({ mac: MAC }), `${H0}.ip`, "Missing IP address in static host definition for network 'lab'"],
  ["IPv4 host without mac or name", hosts4({ ip: "192.168.100.10" }), H0, "Static host definition in IPv4 network 'lab' must have mac or name attribute"],
  ["IPv6 host without id or name", v6({ hosts: [{ ip: "2001:db8::5" }] }), H0, "Static host definition in IPv6 network 'lab' must have id or name attribute"],
  // The rest of <ip>
  ["bootp without a file", v4({ bootp: { server: "192.168.100.5" } }), "ips[0].dhcp.bootp.file", "Missing required attribute 'file' in element 'bootp'"],
  ["bootp server that is no address", v4({ bootp: { file: "pxelinux.0", server: "boot.example" } }), "ips[0].dhcp.bootp.server", "Cannot parse socket address 'boot.example': Name or service not known"],
  ["tftp on IPv6", net({ ips: [{ address: "2001:db8::1", prefix: 64, family: "ipv6", tftp: { root: "/srv/tftp" } }] }), "ips[0].tftp", "Unsupported <tftp> element in an IPv6 element in network 'lab'"],
  [
    "DHCP on two IPv4 entries",
    net({
      ips: [
        { address: "192.168.100.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.100.2", end: "192.168.100.9" }] } },
        { address: "192.168.200.1", prefix: 24, dhcp: { hosts: [{ mac: MAC, ip: "192.168.200.10" }] } },
      ],
    }),
    "ips[1].dhcp",
    "Multiple IPv4 dhcp sections found -- dhcp is supported only for a single IPv4 address on each network",
  ],
  [
    "DHCP on two IPv6 entries",
    net({
      ips: [
        { address: "2001:db8::1", prefix: 64, family: "ipv6", dhcp: { ranges: [{ start: "2001:db8::10", end: "2001:db8::20" }] } },
        { address: "2001:db8:1::1", prefix: 64, family: "ipv6", dhcp: { ranges: [{ start: "2001:db8:1::10", end: "2001:db8:1::20" }] } },
      ],
    }),
    "ips[1].dhcp",
    "Multiple IPv6 dhcp sections found -- dhcp is supported only for a single IPv6 address on each network",
  ],
  ["localPtr on a /20", net({ ips: [{ address: "10.1.0.1", prefix: 20, localPtr: true }] }), "ips[0].localPtr", "PTR domain for IPv4 network with prefix 20 cannot be automatically created"],
  ["localPtr on an IPv6 /62", net({ ips: [{ address: "2001:db8::1", prefix: 62, family: "ipv6", localPtr: true }] }), "ips[0].localPtr", "PTR domain for IPv6 network with prefix 62 cannot be automatically created"],
  // DNS (virNetworkDNSDefParseXML and the records' parsers)
  ["forwarder with neither addr nor domain", dns({ forwarders: [{}] }), "dns.forwarders[0]", "Invalid forwarder element, must contain at least one of addr or domain"],
  ["forwarder addr that is no address", dns({ forwarders: [{ addr: "dns.example" }] }), "dns.forwarders[0].addr", "Invalid forwarder IP address 'dns.example' in network 'lab'"],
  ["DNS host without hostnames", dns({ hosts: [{ ip: "192.168.100.5" }] }), "dns.hosts[0].hostnames", "Missing hostname in network 'lab' DNS HOST record"],
  ["DNS host with no hostname in its list", dns({ hosts: [{ ip: "192.168.100.5", hostnames: [] }] }), "dns.hosts[0].hostnames", "Missing hostname in network 'lab' DNS HOST record"],
  ["DNS host with an empty hostname", dns({ hosts: [{ ip: "192.168.100.5", hostnames: ["web", ""] }] }), "dns.hosts[0].hostnames[1]", "Missing hostname in network 'lab' DNS HOST record"],
  ["DNS host without ip", dns({ hosts: [{ hostnames: ["web"] }] }), "dns.hosts[0].ip", "Missing IP address in network 'lab' DNS HOST record"],
  ["DNS host ip that is no address", dns({ hosts: [{ ip: "web", hostnames: ["web"] }] }), "dns.hosts[0].ip", "Invalid IP address in network 'lab' DNS HOST record"],
  ["TXT record without name", dns({ txts: [{ value: "v=1" }] }), "dns.txts[0].name", "missing required name attribute in DNS TXT record of network lab"],
  ["TXT record name with a space", dns({ txts: [{ name: "my key", value: "v=1" }] }), "dns.txts[0].name", "prohibited character in DNS TXT record name 'my key' of network lab"],
  ["TXT record name with a comma", dns({ txts: [{ name: "a,b", value: "v=1" }] }), "dns.txts[0].name", "prohibited character in DNS TXT record name 'a,b' of network lab"],
  ["TXT record without value", dns({ txts: [{ name: "info" }] }), "dns.txts[0].value", "missing required value attribute in DNS TXT record named 'info' of network lab"],
  ["SRV record without service", srv({ protocol: "tcp" }), "dns.srvs[0].service", "missing required service attribute in DNS SRV record of network 'lab'"],
  [
    "SRV service over 482 bytes",
    srv({ service: "a".repeat(483), protocol: "tcp" }),
    "dns.srvs[0].service",
    `service attribute '${"a".repeat(483)}' in network 'lab' is too long, limit is 482 bytes`,
  ],
  ["SRV service with a dot", srv({ service: "ht.tp", protocol: "tcp" }), "dns.srvs[0].service", "invalid character in service attribute 'ht.tp' in DNS SRV record of network 'lab'"],
  ["SRV record without protocol", srv({ service: "http" }), "dns.srvs[0].protocol", "missing required protocol attribute in DNS SRV record 'http' of network 'lab'"],
  ["SRV protocol with an underscore", srv({ service: "http", protocol: "t_cp" }), "dns.srvs[0].protocol", "invalid character in protocol attribute 't_cp' in DNS SRV record of network 'lab'"],
  ["SRV port without target", srv({ service: "http", protocol: "tcp", port: 80 }), "dns.srvs[0].port", "DNS SRV port attribute not permitted without target for service 'http' in network 'lab'"],
  ["SRV priority without target", srv({ service: "http", protocol: "tcp", priority: 1 }), "dns.srvs[0].priority", "DNS SRV priority attribute not permitted without target for service 'http' in network 'lab'"],
  ["SRV weight without target", srv({ service: "http", protocol: "tcp", weight: 1 }), "dns.srvs[0].weight", "DNS SRV weight attribute not permitted without target for service 'http' in network 'lab'"],
  ["SRV port 0", srv({ service: "http", protocol: "tcp", target: "web", port: 0 }), "dns.srvs[0].port", "invalid DNS SRV port attribute for service 'http' in network 'lab'"],
  ["SRV port 65536", srv({ service: "http", protocol: "tcp", target: "web", port: 65536 }), "dns.srvs[0].port", "invalid DNS SRV port attribute for service 'http' in network 'lab'"],
  ["SRV priority 65536", srv({ service: "http", protocol: "tcp", target: "web", priority: 65536 }), "dns.srvs[0].priority", "Invalid DNS SRV priority attribute for service 'http' in network 'lab'"],
  ["SRV weight -1", srv({ service: "http", protocol: "tcp", target: "web", weight: -1 }), "dns.srvs[0].weight", "invalid DNS SRV weight attribute for service 'http' in network 'lab'"],
  ["records with DNS off", dns({ enable: false, hosts: [{ ip: "192.168.100.5", hostnames: ["web"] }] }), "dns.hosts", "Extra data in disabled network 'lab'"],
  ["forwarders with DNS off", dns({ enable: false, forwarders: [{ addr: "192.0.2.53" }] }), "dns.forwarders", "Extra data in disabled network 'lab'"],
  // libvirt checks these only in net-update; virtnet checks them in the definition
  ["IPv6 reservation in an IPv4 entry", hosts4({ mac: MAC, ip: "2001:db8::5" }), `${H0}.ip`, "the address family of a host entry IP must match the address family of the dhcp element's parent"],
  [
    "two reservations for one MAC (compared as MACs)",
    hosts4({ mac: MAC, ip: "192.168.100.10" }, { mac: "52:54:00:AA:00:01", ip: "192.168.100.11" }),
    `${H1}.mac`,
    `there is an existing dhcp host entry in network 'lab' that matches "<host mac='52:54:00:AA:00:01' ip='192.168.100.11'/>"`,
  ],
  [
    "two reservations for one name",
    hosts4({ name: "web", ip: "192.168.100.10" }, { mac: MAC, name: "web", ip: "192.168.100.11" }),
    `${H1}.name`,
    `there is an existing dhcp host entry in network 'lab' that matches "<host mac='52:54:00:aa:00:01' name='web' ip='192.168.100.11'/>"`,
  ],
  [
    "two reservations of one address",
    hosts4({ mac: MAC, ip: "192.168.100.10" }, { name: "db", ip: "192.168.100.10" }),
    `${H1}.ip`,
    `there is an existing dhcp host entry in network 'lab' that matches "<host name='db' ip='192.168.100.10'/>"`,
  ],
  [
    "the same range twice",
    ranges({ start: "192.168.100.2", end: "192.168.100.9" }, { start: "192.168.100.2", end: "192.168.100.9" }),
    "ips[0].dhcp.ranges[1]",
    `there is an existing dhcp range entry in network 'lab' that matches "<range start='192.168.100.2' end='192.168.100.9'/>"`,
  ],
  [
    "two DNS hosts for one address",
    dns({ hosts: [{ ip: "2001:db8::5", hostnames: ["a"] }, { ip: "2001:DB8:0::5", hostnames: ["b"] }] }),
    "dns.hosts[1].ip",
    "there is already at least one DNS HOST record with a matching field in network lab",
  ],
  [
    "two TXT records of one name",
    dns({ txts: [{ name: "info", value: "a" }, { name: "info", value: "b" }] }),
    "dns.txts[1].name",
    "there is already a DNS TXT record with name 'info' in network lab",
  ],
  [
    "an SRV record matching an earlier one in every field it gives",
    dns({ srvs: [{ service: "http", protocol: "tcp", domain: "lab.example", target: "web", port: 80 }, { service: "http", protocol: "tcp", target: "web", port: 8080 }] }),
    "dns.srvs[1]",
    "there is already at least one DNS SRV record matching all specified fields in network lab",
  ],
  // virtnet's own
  ["reservation outside its entry's subnet", hosts4({ mac: MAC, ip: "192.168.101.10" }), `${H0}.ip`, "host ip '192.168.101.10' is not inside network 192.168.100.0/24 of ips[0]"],
];

describe("DHCP and DNS inputs: libvirt's messages at their properties", () => {
  it.each(cases)("%s", (_what, news, property, reason) => {
    expect(failuresOf(news)).toEqual([{ property, reason }]);
  });

  it("refuses everything dnsmasq would serve on a host bridge, at each property", () => {
    const reason = "network 'lab' uses a host bridge (forward mode 'bridge'); virtnet runs no dnsmasq there: remove dhcp, tftp, domain, dns and dnsmasqOptions";
    const news = net({ forward: { mode: "bridge" }, bridge: { name: "br0" }, ips: [], domain: { name: "lab.example" }, dns: { enable: true }, dnsmasqOptions: ["log-dhcp"] });
    expect(failuresOf(news)).toEqual([
      { property: "domain", reason },
      { property: "dns", reason },
      { property: "dnsmasqOptions", reason },
    ]);
  });

  it("names the dhcp and tftp of a host bridge's ips besides refusing the ips", () => {
    const news = net({
      forward: { mode: "bridge" },
      bridge: { name: "br0" },
      ips: [{ address: "192.168.100.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.100.2", end: "192.168.100.9" }] }, tftp: { root: "/srv" } }],
    });
    expect(failuresOf(news).map((f) => f.property)).toEqual(["ips", "ips[0].dhcp", "ips[0].tftp"]);
  });
});

describe("DHCP and DNS inputs that libvirt accepts", () => {
  it("passes libvirt's default network: NAT, 192.168.122.1/24, range .2-.254 and two reservations", () => {
    const news = args({
      libvirtName: "default",
      bridge: { name: "virbr0" },
      forward: { mode: "nat" },
      ips: [
        {
          address: "192.168.122.1",
          prefix: 24,
          dhcp: {
            ranges: [{ start: "192.168.122.2", end: "192.168.122.254" }],
            hosts: [
              { mac: "52:54:00:6f:78:f3", name: "web", ip: "192.168.122.10" },
              { mac: "52:54:00:6f:78:f4", name: "db", ip: "192.168.122.11" },
            ],
          },
        },
      ],
    });
    expect(failuresOf(news)).toEqual([]);
  });

  it("passes every field at once, within libvirt's limits", () => {
    const news = net({
      forward: { mode: "nat" },
      ips: [
        {
          address: "192.168.100.1",
          netmask: "255.255.255.0",
          localPtr: true,
          tftp: { root: "/srv/tftp" },
          dhcp: {
            ranges: [
              { start: "192.168.100.2", end: "192.168.100.99", lease: { expiry: 0 } },
              { start: "192.168.100.200", end: "192.168.100.200", lease: { expiry: 120, unit: "seconds" } },
            ],
            hosts: [
              { mac: "52:54:00:AB:CD:EF", ip: "192.168.100.150", lease: { expiry: 2 } },
              { name: "9lives", ip: "192.168.100.151", lease: { expiry: 1, unit: "hours" } },
            ],
            bootp: { file: "pxelinux.0", server: "192.168.100.1" },
          },
        },
        {
          address: "2001:db8::1",
          prefix: 64,
          family: "ipv6",
          localPtr: true,
          dhcp: {
            ranges: [{ start: "2001:db8::100", end: "2001:db8::1ff" }],
            hosts: [{ id: "00:01:00:01:2a:bc:de:f0", name: "web", ip: "2001:db8::10" }],
            bootp: {},
          },
        },
        { address: "10.1.0.1", prefix: 20 },
      ],
      domain: { name: "lab.example", localOnly: true },
      dns: {
        forwardPlainNames: false,
        forwarders: [{ addr: "192.0.2.53" }, { domain: "corp.example", addr: "2001:db8::53" }, { domain: "local.example" }],
        hosts: [
          { ip: "192.168.100.5", hostnames: ["web", "www"] },
          { ip: "192.168.100.6", hostnames: ["web"] },
        ],
        txts: [{ name: "info", value: "a, b" }, { name: "other", value: "" }],
        srvs: [
          { service: "_ldap+x/*", protocol: "tcp", domain: "lab.example", target: "ldap", port: 389, priority: 0, weight: 65535 },
          { service: "_ldap+x/*", protocol: "udp" },
          { service: "http", protocol: "tcp", target: "." },
        ],
      },
      dnsmasqOptions: ["log-dhcp"],
    });
    expect(failuresOf(news)).toEqual([]);
  });

  it("leaves localPtr alone while DNS is off: libvirt writes no zone then", () => {
    expect(failuresOf(net({ dns: { enable: false }, ips: [{ address: "10.1.0.1", prefix: 20, localPtr: true }] }))).toEqual([]);
  });
});

describe("DHCP and DNS inputs at preview: a check whose inputs are unknown is skipped", () => {
  const bad = { start: "192.168.100.200", end: "192.168.100.100" };
  it.each<[string, Record<string, unknown>]>([
    ["dhcp", v4(UNKNOWN as unknown as Record<string, unknown>)],
    ["ranges", v4({ ranges: UNKNOWN })],
    ["a range's start", range(UNKNOWN, "192.168.100.9")],
    ["a range's lease", ranges({ start: "192.168.100.2", end: "192.168.100.9", lease: UNKNOWN })],
    ["a lease's expiry", ranges({ start: "192.168.100.2", end: "192.168.100.9", lease: { expiry: UNKNOWN, unit: "seconds" } })],
    ["a lease's unit", ranges({ start: "192.168.100.2", end: "192.168.100.9", lease: { expiry: 1, unit: UNKNOWN } })],
    ["the entry's address", net({ ips: [{ address: UNKNOWN, prefix: 24, dhcp: { ranges: [bad] } }] })],
    ["the entry's prefix", net({ ips: [{ address: "192.168.100.1", prefix: UNKNOWN, dhcp: { ranges: [bad] } }] })],
    ["the ips", net({ ips: UNKNOWN })],
    ["a host's mac", hosts4({ mac: UNKNOWN, ip: "192.168.100.10" })],
    ["a host's ip", hosts4({ mac: MAC, ip: UNKNOWN })],
    ["a host that may repeat another", hosts4({ mac: MAC, ip: "192.168.100.10" }, { mac: UNKNOWN, ip: "192.168.100.10" })],
    ["a host's lease", hosts4({ mac: MAC, ip: "192.168.100.10", lease: UNKNOWN })],
    ["bootp", v4({ bootp: UNKNOWN })],
    ["tftp on IPv6", net({ ips: [{ address: "2001:db8::1", prefix: 64, family: "ipv6", tftp: UNKNOWN }] })],
    ["whether DNS is on, for localPtr", net({ dns: { enable: UNKNOWN }, ips: [{ address: "10.1.0.1", prefix: 20, localPtr: true }] })],
    ["localPtr", net({ ips: [{ address: "10.1.0.1", prefix: 20, localPtr: UNKNOWN }] })],
    ["dns", dns(UNKNOWN as unknown as Record<string, unknown>)],
    ["a forwarder's addr", dns({ forwarders: [{ addr: UNKNOWN }] })],
    ["a DNS host's hostnames", dns({ hosts: [{ ip: "192.168.100.5", hostnames: UNKNOWN }] })],
    ["a DNS host's ip", dns({ hosts: [{ ip: UNKNOWN, hostnames: ["a"] }, { ip: UNKNOWN, hostnames: ["b"] }] })],
    ["a TXT record's name", dns({ txts: [{ name: UNKNOWN }] })],
    ["an SRV record's service", srv({ service: UNKNOWN, port: 80 })],
    ["an SRV record's port", srv({ service: "http", protocol: "tcp", target: "web", port: UNKNOWN })],
    ["the records of disabled DNS", dns({ enable: false, hosts: UNKNOWN, srvs: UNKNOWN })],
    ["the forward mode", net({ forward: { mode: UNKNOWN }, dns: {} })],
    ["what a host bridge is given", net({ forward: { mode: "bridge" }, bridge: { name: "br0" }, ips: [], domain: UNKNOWN, dns: UNKNOWN, dnsmasqOptions: UNKNOWN })],
  ])("%s", (_what, news) => {
    expect(failuresOf(news)).toEqual([]);
  });

  it("still reports what is known beside an unknown", () => {
    expect(failuresOf(ranges({ start: UNKNOWN }))).toEqual([{ property: `${R0}.end`, reason: "Missing 'end' attribute in dhcp range for network 'lab'" }]);
    expect(failuresOf(hosts4({ mac: UNKNOWN, name: "-web", ip: "192.168.100.10" }))).toEqual([{ property: `${H0}.name`, reason: "Cannot use host name '-web' in network 'lab'" }]);
  });
});
