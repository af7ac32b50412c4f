// What a network's dnsmasq serves, in libvirt XML (docs/libvirt-behaviour.md §10): each <ip>'s <dhcp>, <tftp> and
// localPtr, <domain>, <dns> and <dnsmasq:options>, read into Network arguments, judged by check, written back as
// virsh net-dumpxml formats them (virNetworkDefFormatBuf), and the same inputs after a round trip. The documents
// these tests write are held as golden files in documents/, which the host suite validates with virt-xml-validate.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { networkArgsFromXml, networkToXml, type NetworkDocument } from "../../../provider/libvirt/network-xml";
import { checkNetwork } from "../../../provider/resources/network/check";
import { connection } from "../resources/network/network-fixtures";

const doc = (inner: string, attrs = "") => `<network${attrs}><name>n</name><bridge name='virbr9'/><mac address='52:54:00:00:00:09'/>${inner}</network>`;
const ip = (inner = "", attrs = "") => `<ip address='192.168.9.1' prefix='24'${attrs}>${inner}</ip>`;
const documents = join(__dirname, "documents");

function xmlError(xml: string): string {
  try {
    networkArgsFromXml(xml);
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

/** Checked inputs of Network arguments (the connection added), failing the test on any check failure. */
function checked(args: Record<string, unknown>): Record<string, unknown> {
  const r = checkNetwork({}, { ...args, connection });
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** The checked inputs of a document, with its libvirt name. */
function inputsOf(xml: string): Record<string, unknown> {
  const { libvirtName, ...args } = networkArgsFromXml(xml);
  return checked({ ...args, libvirtName });
}

/** What a network made from the checked inputs writes as its libvirtXml (no host: the bridge keeps its given name). */
function render(inputs: Record<string, unknown>): string {
  return networkToXml(inputs.libvirtName as string, inputs as unknown as NetworkDocument);
}

/** The DHCP and DNS part of checked inputs: what these tests compare. */
function dnsmasqPart(i: Record<string, unknown>): Record<string, unknown> {
  const { ips, domain, dns, dnsmasqOptions } = i;
  return { ips, domain, dns, dnsmasqOptions };
}

/** A network with every element of the DHCP and DNS vocabulary, as a user would write its arguments. */
const FULL: Record<string, unknown> = {
  libvirtName: "full",
  bridge: { name: "virbr20" },
  mac: "52:54:00:00:00:20",
  forward: { mode: "nat" },
  domain: { name: "example.com", localOnly: true },
  dns: {
    enable: true,
    forwardPlainNames: false,
    forwarders: [{ addr: "8.8.8.8" }, { domain: "corp.example", addr: "192.168.20.53" }, { domain: "local.example" }],
    hosts: [
      { ip: "192.168.20.2", hostnames: ["alpha", "alpha.example.com"] },
      { ip: "2001:db8:20::2", hostnames: ["beta"] },
    ],
    txts: [{ name: "example", value: `it's <quoted> & "escaped"` }],
    srvs: [
      { service: "name", protocol: "tcp", domain: "test-domain-name", target: ".", port: 1024, priority: 10, weight: 10 },
      { service: "ldap", protocol: "udp" },
    ],
  },
  ips: [
    {
      address: "192.168.20.1",
      prefix: 24,
      localPtr: true,
      tftp: { root: "/srv" },
      dhcp: {
        ranges: [
          { start: "192.168.20.100", end: "192.168.20.149", lease: { expiry: 600, unit: "seconds" } },
          { start: "192.168.20.150", end: "192.168.20.199", lease: { expiry: 30, unit: "minutes" } },
          { start: "192.168.20.200", end: "192.168.20.249", lease: { expiry: 2, unit: "hours" } },
          { start: "192.168.20.250", end: "192.168.20.254" },
        ],
        hosts: [
          { mac: "52:54:00:6d:90:02", name: "alpha", ip: "192.168.20.2", lease: { expiry: 0 } },
          { name: "gamma", ip: "192.168.20.3", lease: { expiry: 45 } },
          { mac: "52:54:00:6d:90:04", ip: "192.168.20.4" },
        ],
        bootp: { file: "pxelinux.0", server: "192.168.20.1" },
      },
    },
    {
      family: "ipv6",
      address: "2001:db8:20::1",
      prefix: 64,
      localPtr: false,
      dhcp: {
        ranges: [{ start: "2001:db8:20::100", end: "2001:db8:20::1ff", lease: { expiry: 1, unit: "hours" } }],
        hosts: [
          { id: "0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63", name: "beta", ip: "2001:db8:20::2", lease: { expiry: 0 } },
          { id: "0:3:0:1:0:16:3e:11:22:33", ip: "2001:db8:20::3" },
          { name: "delta", ip: "2001:db8:20::4" },
        ],
      },
    },
  ],
  dnsmasqOptions: ["cname=*.apps.example.com,alpha.example.com", "dhcp-option=option:ntp-server,192.168.20.1", `txt-record=quoted.example.com,"it's <x> & y"`],
};

describe("virsh net-dumpxml default", () => {
  const xml = readFileSync(join(documents, "default-dumpxml.xml"), "utf8");
  it("imports as libvirt writes it: nat with its running port range, DHCP, and DNS on", () => {
    const { libvirtName, ...args } = networkArgsFromXml(xml);
    expect(libvirtName).toBe("default");
    expect(args).toMatchObject({
      forward: { mode: "nat", nat: { port: { start: 1024, end: 65535 } } },
      ips: [{ address: "192.168.122.1", netmask: "255.255.255.0", dhcp: { ranges: [{ start: "192.168.122.2", end: "192.168.122.254" }] } }],
      dns: {},
    });
    expect(checked(args)).toMatchObject({ dns: {}, ips: [{ dhcp: { ranges: [{ start: "192.168.122.2", end: "192.168.122.254" }] } }] });
  });
  it("renders back as libvirt formats it, less the uuid virtnet does not keep", () =>
    expect(render(inputsOf(xml))).toBe(xml.replace(/ {2}<uuid>.*<\/uuid>\n/, "")));
});

describe("reading <ip>'s <dhcp>, <tftp> and localPtr", () => {
  it("reads ranges and reservations with their leases, numbers as numbers, an absent unit left to check (minutes)", () => {
    const xml = doc(
      ip(`<dhcp>
        <range start='192.168.9.10' end='192.168.9.19'><lease expiry='600' unit='seconds'/></range>
        <range start='192.168.9.20' end='192.168.9.29'><lease expiry='3'/></range>
        <range start='192.168.9.30' end='192.168.9.39'/>
        <host mac='52:54:00:00:00:01' name='a' ip='192.168.9.2'><lease expiry='0'/></host>
        <host name='b' ip='192.168.9.3'/>
      </dhcp>`),
    );
    expect(networkArgsFromXml(xml).ips[0].dhcp).toEqual({
      ranges: [
        { start: "192.168.9.10", end: "192.168.9.19", lease: { expiry: 600, unit: "seconds" } },
        { start: "192.168.9.20", end: "192.168.9.29", lease: { expiry: 3 } },
        { start: "192.168.9.30", end: "192.168.9.39" },
      ],
      hosts: [
        { mac: "52:54:00:00:00:01", name: "a", ip: "192.168.9.2", lease: { expiry: 0 } },
        { name: "b", ip: "192.168.9.3" },
      ],
    });
    const dhcp = (inputsOf(xml).ips as Array<{ dhcp: { ranges: Array<{ lease?: unknown }>; hosts: Array<{ lease?: unknown }> } }>)[0].dhcp;
    expect(dhcp.ranges[1].lease).toEqual({ expiry: 3, unit: "minutes" });
    expect(dhcp.hosts[0].lease).toEqual({ expiry: 0, unit: "minutes" });
  });
  it("reads IPv6 reservations by id", () =>
    expect(
      networkArgsFromXml(doc("<ip family='ipv6' address='2001:db8:9::1' prefix='64'><dhcp><host id='0:3:0:1:0:16:3e:11:22:33' name='v6' ip='2001:db8:9::2'/></dhcp></ip>")).ips[0],
    ).toEqual({ family: "ipv6", address: "2001:db8:9::1", prefix: 64, dhcp: { hosts: [{ id: "0:3:0:1:0:16:3e:11:22:33", name: "v6", ip: "2001:db8:9::2" }] } }));
  it("reads <bootp>, the last one with a file counting, as in libvirt", () =>
    expect(networkArgsFromXml(doc(ip("<dhcp><bootp file='a.img'/><bootp file='b.img' server='192.168.9.5'/><bootp/></dhcp>"))).ips[0].dhcp).toEqual({
      bootp: { file: "b.img", server: "192.168.9.5" },
    }));
  it("reads <tftp root> and localPtr", () => {
    expect(networkArgsFromXml(doc(ip("<tftp root='/srv/tftp'/>", " localPtr='yes'"))).ips[0]).toMatchObject({ tftp: { root: "/srv/tftp" }, localPtr: true });
    expect(networkArgsFromXml(doc(ip("", " localPtr='no'"))).ips[0].localPtr).toBe(false);
  });
  it("takes what libvirt takes for nothing as nothing: <tftp> without a root, <lease> without an expiry", () => {
    expect(networkArgsFromXml(doc(ip("<tftp/>"))).ips[0].tftp).toBeUndefined();
    expect(networkArgsFromXml(doc(ip("<dhcp><range start='192.168.9.10' end='192.168.9.19'><lease unit='hours'/></range></dhcp>"))).ips[0].dhcp).toEqual({
      ranges: [{ start: "192.168.9.10", end: "192.168.9.19" }],
    });
  });
});

describe("reading <domain>, <dns> and <dnsmasq:options>", () => {
  it("reads <domain name localOnly>; one without a name is none, as in libvirt", () => {
    expect(networkArgsFromXml(doc("<domain name='example.com' localOnly='yes'/>")).domain).toEqual({ name: "example.com", localOnly: true });
    expect(networkArgsFromXml(doc("<domain name='example.com'/>")).domain).toEqual({ name: "example.com" });
    expect(networkArgsFromXml(doc("<domain localOnly='no'/>")).domain).toBeUndefined();
  });
  it("reads <dns> with its attributes and records; a <hostname> without text is skipped, as in libvirt", () =>
    expect(
      networkArgsFromXml(
        doc(`<dns enable='yes' forwardPlainNames='no'>
          <forwarder addr='8.8.8.8'/><forwarder domain='corp.example' addr='192.168.9.53'/><forwarder domain='local.example'/>
          <host ip='192.168.9.2'><hostname>a</hostname><hostname/><hostname>a.example.com</hostname></host>
          <host ip='192.168.9.3'><hostname>b</hostname></host>
          <txt name='example' value='it&apos;s &lt;quoted&gt; &amp; &quot;escaped&quot;'/>
          <srv service='name' protocol='tcp' domain='test-domain-name' target='.' port='1024' priority='10' weight='20'/>
          <srv service='ldap' protocol='udp'/>
        </dns>${ip()}`),
      ).dns,
    ).toEqual({
      enable: true,
      forwardPlainNames: false,
      forwarders: [{ addr: "8.8.8.8" }, { domain: "corp.example", addr: "192.168.9.53" }, { domain: "local.example" }],
      hosts: [
        { ip: "192.168.9.2", hostnames: ["a", "a.example.com"] },
        { ip: "192.168.9.3", hostnames: ["b"] },
      ],
      txts: [{ name: "example", value: `it's <quoted> & "escaped"` }],
      srvs: [
        { service: "name", protocol: "tcp", domain: "test-domain-name", target: ".", port: 1024, priority: 10, weight: 20 },
        { service: "ldap", protocol: "udp" },
      ],
    }));
  it("reads <dnsmasq:options> whatever the prefix, bound on <network> or on <options>", () => {
    const ns = "http://libvirt.org/schemas/network/dnsmasq/1.0";
    expect(networkArgsFromXml(doc(`<dnsmasq:options><dnsmasq:option value='a=1'/><dnsmasq:option value='b'/></dnsmasq:options>`, ` xmlns:dnsmasq='${ns}'`)).dnsmasqOptions).toEqual([
      "a=1",
      "b",
    ]);
    expect(networkArgsFromXml(doc(`<dnsmasq:options xmlns:dnsmasq='${ns}'><dnsmasq:option value='c'/></dnsmasq:options>`)).dnsmasqOptions).toEqual(["c"]);
    expect(networkArgsFromXml(doc(`<d:options xmlns:d='${ns}'><d:option value='d'/></d:options>`)).dnsmasqOptions).toEqual(["d"]);
    expect(networkArgsFromXml(doc(`<dnsmasq:options xmlns:dnsmasq='${ns}'/>`)).dnsmasqOptions).toBeUndefined();
  });
});

describe("whether an imported network serves DNS", () => {
  it("a network with an <ip> and no <dns> does: libvirt runs dnsmasq with DNS on for it", () => expect(networkArgsFromXml(doc(ip())).dns).toEqual({}));
  it("a network without an <ip> has no dns at all", () => {
    expect(networkArgsFromXml(doc("")).dns).toBeUndefined();
    expect(networkArgsFromXml("<network><name>lan</name><forward mode='bridge'/><bridge name='br0'/></network>").dns).toBeUndefined();
  });
  it("<dns enable='no'/> is DNS off", () => expect(networkArgsFromXml(doc(`<dns enable='no'/>${ip()}`)).dns).toEqual({ enable: false }));
});

describe("libvirt's attributes of <network> that need nothing of virtnet", () => {
  it.each([" ipv6='no'", " ipv6='yes'", " trustGuestRxFilters='no'", " connections='3'"])("%s is accepted and dropped", (attrs) => {
    const args = networkArgsFromXml(doc(ip(), attrs));
    expect(JSON.stringify(args)).not.toMatch(/ipv6|trust|connections/);
    expect(args.ips).toHaveLength(1);
  });
  it("an ipv6 setting that is not yes or no is libvirt's error", () => expect(xmlError(doc("", " ipv6='maybe'"))).toBe("Invalid ipv6 setting 'maybe' in network 'n'"));
  it("trustGuestRxFilters='yes' is reported as unsupported", () => expect(xmlError(doc("", " trustGuestRxFilters='yes'"))).toMatch(/network attribute trustGuestRxFilters$/));
});

describe("what the reader reports or leaves to check", () => {
  it("lists every unknown element and attribute inside the DHCP and DNS elements", () =>
    expect(
      xmlError(
        doc(
          `<domain name='example.com' scope='x'/><dns bogus='1'><forwarder addr='8.8.8.8' x='2'/><host ip='192.168.9.2' z='1'><hostname q='1'>a</hostname></host><mx/></dns>` +
            ip("<tftp root='/t' mode='x'/><dhcp><range start='192.168.9.10' end='192.168.9.19' w='1'><lease expiry='5' v='1'/></range><foo/></dhcp>"),
        ),
      ),
    ).toBe(
      "libvirt network 'n' uses what virtnet does not implement (yet): network/ip[1]/tftp attribute mode; network/ip[1]/dhcp/range[1]/lease[1] attribute v; " +
        "network/ip[1]/dhcp/range[1] attribute w; network/ip[1]/dhcp/foo; network/domain attribute scope; network/dns/forwarder[1] attribute x; " +
        "network/dns/host[1]/hostname[1] attribute q; network/dns/host[1] attribute z; network/dns/mx; network/dns attribute bogus",
    ));
  it("reports options in a namespace that is not libvirt's dnsmasq one", () =>
    expect(xmlError(doc("<x:options xmlns:x='urn:other'><x:option value='a'/></x:options>"))).toMatch(/: network\/x:options$/));
  it("an option without a value is libvirt's error", () =>
    expect(xmlError(doc("<dnsmasq:options xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'><dnsmasq:option/></dnsmasq:options>"))).toBe(
      "No dnsmasq options value specified in network n",
    ));
  it("leaves values that are not numbers or yes/no to check, which names the property", () => {
    const { libvirtName: _n, ...args } = networkArgsFromXml(
      doc(`<domain name='example.com' localOnly='maybe'/><dns forwardPlainNames='sometimes'><srv service='s' protocol='tcp' target='t' port='http'/></dns>` + ip("<dhcp><range start='192.168.9.10' end='192.168.9.19'><lease expiry='-1'/></range></dhcp>", " localPtr='1'")),
    );
    expect(checkNetwork({}, { ...args, connection }).failures.map((f) => f.property)).toEqual(
      expect.arrayContaining(["ips[0].localPtr", "ips[0].dhcp.ranges[0].lease.expiry", "domain.localOnly", "dns.forwardPlainNames", "dns.srvs[0].port"]),
    );
  });
});

describe("writing what the network's dnsmasq serves, as libvirt formats it", () => {
  const base = { libvirtName: "n", bridge: { name: "virbr9" }, mac: "52:54:00:00:00:09", ips: [{ address: "192.168.9.1", prefix: 24 }] };
  const out = (over: Record<string, unknown>) => render(checked({ ...base, ...over }));
  const range = { ranges: [{ start: "192.168.9.10", end: "192.168.9.19" }] };

  it("a network that says nothing of DHCP or DNS runs no dnsmasq: <dns enable='no'/>, as before", () =>
    expect(out({})).toBe(
      "<network>\n  <name>n</name>\n  <bridge name='virbr9' stp='on' delay='0'/>\n  <mac address='52:54:00:00:00:09'/>\n  <dns enable='no'/>\n  <ip address='192.168.9.1' prefix='24'/>\n</network>\n",
    ));
  it.each([
    ["DHCP", { ips: [{ address: "192.168.9.1", prefix: 24, dhcp: range }] }],
    ["a TFTP root", { ips: [{ address: "192.168.9.1", prefix: 24, tftp: { root: "/srv" } }] }],
    ["a domain", { domain: { name: "example.com" } }],
    ["dnsmasq options", { dnsmasqOptions: ["log-queries"] }],
  ])("with %s and no dns, dnsmasq runs and serves DNS: no <dns> at all", (_label, over) => expect(out(over)).not.toMatch(/<dns[ />]/));
  it("a <bootp> without ranges or reservations serves nothing, and libvirt writes no <dhcp> for it", () => {
    const xml = out({ ips: [{ address: "192.168.9.1", prefix: 24, dhcp: { bootp: { file: "pxe.img" } } }] });
    expect(xml).not.toContain("<dhcp");
    expect(xml).toContain("<dns enable='no'/>");
  });
  it.each([
    [{}, ""],
    [{ enable: false }, "  <dns enable='no'/>\n"],
    [{ enable: true }, "  <dns enable='yes'/>\n"],
    [{ forwardPlainNames: false }, "  <dns forwardPlainNames='no'/>\n"],
    [{ enable: true, forwardPlainNames: true }, "  <dns enable='yes' forwardPlainNames='yes'/>\n"],
  ])("dns %j writes %j", (dns, expected) => {
    const xml = out({ dns });
    expect(xml).toContain(`<mac address='52:54:00:00:00:09'/>\n${expected}  <ip `);
  });
  it("records in libvirt's order: forwarders (domain before addr), TXT, SRV (no zeros), hosts", () =>
    expect(
      out({
        dns: {
          hosts: [{ ip: "192.168.9.2", hostnames: ["a", "b"] }],
          srvs: [{ service: "s", protocol: "tcp", target: "t.example", port: 80, priority: 0, weight: 5 }],
          txts: [{ name: "t", value: "v" }],
          forwarders: [{ addr: "8.8.8.8", domain: "corp.example" }],
        },
      }),
    ).toContain(
      "  <dns>\n    <forwarder domain='corp.example' addr='8.8.8.8'/>\n    <txt name='t' value='v'/>\n    <srv service='s' protocol='tcp' target='t.example' port='80' weight='5'/>\n" +
        "    <host ip='192.168.9.2'>\n      <hostname>a</hostname>\n      <hostname>b</hostname>\n    </host>\n  </dns>\n",
    ));
  it("an infinite lease without its unit; any other with its unit, minutes when not given", () =>
    expect(out({ ips: [{ address: "192.168.9.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.9.10", end: "192.168.9.19", lease: { expiry: 0, unit: "hours" } }], hosts: [{ name: "a", ip: "192.168.9.2", lease: { expiry: 5 } }] } }] })).toContain(
      "  <ip address='192.168.9.1' prefix='24'>\n    <dhcp>\n      <range start='192.168.9.10' end='192.168.9.19'>\n        <lease expiry='0'/>\n      </range>\n" +
        "      <host name='a' ip='192.168.9.2'>\n        <lease expiry='5' unit='minutes'/>\n      </host>\n    </dhcp>\n  </ip>\n",
    ));
  it("elements in virNetworkDefFormatBuf's order: mtu before mac, then domain, dns, bandwidth, ips, routes, options", () => {
    const xml = out({
      mtu: 9000,
      domain: { name: "example.com", localOnly: false },
      dns: { enable: true },
      bandwidth: { inbound: { average: 1000 } },
      ips: [{ address: "192.168.9.1", prefix: 24, localPtr: true, tftp: { root: "/srv" }, dhcp: range }],
      routes: [{ address: "10.9.0.0", prefix: 16, gateway: "192.168.9.254" }],
      dnsmasqOptions: ["log-queries"],
    });
    const tags = [...xml.matchAll(/^ {2}<([a-z:]+)/gm)].map((m) => m[1]);
    expect(tags).toEqual(["name", "bridge", "mtu", "mac", "domain", "dns", "bandwidth", "ip", "route", "dnsmasq:options"]);
    expect(xml).toMatch(/^<network xmlns:dnsmasq='http:\/\/libvirt.org\/schemas\/network\/dnsmasq\/1.0'>\n/);
    expect(xml).toContain("  <domain name='example.com' localOnly='no'/>\n");
    expect(xml).toContain("  <ip address='192.168.9.1' prefix='24' localPtr='yes'>\n    <tftp root='/srv'/>\n    <dhcp>\n");
    expect(xml).toContain("  <dnsmasq:options>\n    <dnsmasq:option value='log-queries'/>\n  </dnsmasq:options>\n</network>\n");
  });
  it("without options, no dnsmasq namespace", () => expect(out({ dnsmasqOptions: [] })).toMatch(/^<network>\n/));
});

describe("a network with every DHCP and DNS element", () => {
  const inputs = checked(FULL);
  const xml = render(inputs);

  it("renders to its golden document (validated by the host suite with virt-xml-validate)", () =>
    expect(xml).toBe(readFileSync(join(documents, "dhcp-dns-full.expect.xml"), "utf8")));

  it("reads back to the same DHCP and DNS inputs", () => {
    const { libvirtName, ...args } = networkArgsFromXml(xml);
    expect(libvirtName).toBe("full");
    const back = checked({ ...args, libvirtName });
    expect(dnsmasqPart(back)).toEqual(dnsmasqPart(inputs));
    // The whole network, not only its dnsmasq part, and the document it writes.
    expect(back).toEqual(inputs);
    expect(render(back)).toBe(xml);
  });

  it("the same network written by hand in libvirt's form imports to the same inputs", () => {
    const { libvirtName, ...args } = networkArgsFromXml(readFileSync(join(documents, "dhcp-dns-full.xml"), "utf8"));
    expect(checked({ ...args, libvirtName })).toEqual(inputs);
  });
});
