// <forward> in libvirt XML (docs/libvirt-behaviour.md §1.8, §7): read into Network arguments, judged by check,
// written back as libvirt formats it, and the meaning kept through the round trip.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { networkArgsFromXml, networkToXml, type NetworkDocument } from "../../../provider/libvirt/network-xml";
import { checkNetwork } from "../../../provider/resources/network/check";
import { forwardMeaning } from "../../../provider/resources/network/forward-rules";
import type { ForwardInputs } from "../../../provider/resources/network/schema";
import type { Known } from "../../../provider/known";
import { connection } from "../resources/network/network-fixtures";

const doc = (inner: string, name = "n") => `<network><name>${name}</name>${inner}</network>`;
const withIp = (forward: string) => doc(`<bridge name='virbr9'/>${forward}<ip address='10.1.0.1' prefix='24'/>`);

/** The checked inputs of a document, with its libvirt name. */
function checked(xml: string) {
  const { libvirtName, ...args } = networkArgsFromXml(xml);
  return { libvirtName, ...checkNetwork({}, { ...args, libvirtName, connection }) };
}

function inputsOf(xml: string): Record<string, unknown> & { forward?: Known<ForwardInputs>; bridge: { name?: string } } {
  const r = checked(xml);
  expect(r.failures).toEqual([]);
  return r.inputs as ReturnType<typeof inputsOf>;
}

function xmlError(xml: string): string {
  try {
    networkArgsFromXml(xml);
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

/** What a network made from the checked inputs writes as its libvirtXml (no host: the bridge keeps its given name). */
function rendered(xml: string): string {
  const i = inputsOf(xml);
  return networkToXml(i.libvirtName as string, { ...i, bridge: { ...i.bridge, name: i.bridge.name ?? "virbr0" } } as unknown as NetworkDocument);
}

/**
 * A network's meaning: its checked inputs with the forward reduced to what it does. The MAC counts when the document
 * states one; otherwise check makes one up, as libvirt does, and a host bridge has none of its own.
 */
function meaning(xml: string, withMac = networkArgsFromXml(xml).mac !== undefined): Record<string, unknown> {
  const i = inputsOf(xml);
  const { mac, ...rest } = i;
  return { ...rest, ...(withMac ? { mac } : {}), forward: i.forward && forwardMeaning(i.forward) };
}

describe("reading <forward>", () => {
  it("<forward/> is nat", () => expect(inputsOf(withIp("<forward/>")).forward).toEqual({ mode: "nat" }));
  it("reads mode and dev", () => expect(inputsOf(withIp("<forward mode='route' dev='eth1'/>")).forward).toEqual({ mode: "route", dev: "eth1" }));
  it("reads a lone <interface> as the dev, and ignores the connections count of a running network", () =>
    expect(inputsOf(withIp("<forward mode='nat'><interface dev='eth1' connections='3'/></forward>")).forward).toEqual({ mode: "nat", dev: "eth1" }));
  it("reads <nat> with its address range, ports and ipv6", () =>
    expect(
      inputsOf(withIp("<forward><nat ipv6='yes'><address start='203.0.113.1' end='203.0.113.9'/><port start='2000' end='3000'/></nat></forward>")).forward,
    ).toEqual({ mode: "nat", nat: { ipv6: true, address: { start: "203.0.113.1", end: "203.0.113.9" }, port: { start: 2000, end: 3000 } } }));
  it("reads ipv6='no' as false", () => expect(inputsOf(withIp("<forward><nat ipv6='no'/></forward>")).forward).toEqual({ mode: "nat", nat: { ipv6: false } }));
  it("a running network's default ports mean what no ports mean", () => {
    const running = inputsOf(withIp("<forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>")).forward!;
    expect(running.nat?.port).toEqual({ start: 1024, end: 65535 });
    expect(forwardMeaning(running)).toEqual(forwardMeaning(inputsOf(withIp("<forward/>")).forward!));
    expect(forwardMeaning(running)).toEqual({ mode: "nat" });
  });
  it("a port range of 0-0 is no range", () => expect(inputsOf(withIp("<forward><nat><port start='0' end='0'/></nat></forward>")).forward).toEqual({ mode: "nat", nat: {} }));
  it("keeps stp only when the document gives it", () => {
    expect(networkArgsFromXml(doc("<bridge name='b'/>")).bridge).toEqual({ name: "b" });
    expect(networkArgsFromXml(doc("<bridge name='b' stp='on'/>")).bridge).toEqual({ name: "b", stp: true });
  });
});

describe("XML that libvirt refuses while parsing <forward>", () => {
  it.each([
    ["<forward dev='eth0'><interface dev='eth1'/></forward>", "<forward dev='eth0'> must match first <interface dev='eth1'/> in network n"],
    ["<forward dev='eth0'><interface dev='eth0'/><interface dev='eth0'/></forward>", "interface 'eth0' can only be listed once in network n"],
    ["<forward mode='bridge'><interface dev='eth1'/><interface dev='eth1'/></forward>", "interface 'eth1' can only be listed once in network n"],
    ["<forward><interface/></forward>", "Missing required dev attribute in <forward> <interface> element of network n"],
    ["<forward><interface dev='eth0'/><interface dev='eth1'/></forward>", "multiple forwarding interfaces specified for network 'n', only one is supported"],
    ["<forward mode='route' dev='eth0'><interface dev='eth0'/><interface dev='eth1'/></forward>", "multiple forwarding interfaces specified for network 'n', only one is supported"],
    ["<forward><nat/><nat/></forward>", "Only one <nat> element is allowed in <forward> of network n"],
    ["<forward><nat><address start='1.1.1.1' end='1.1.1.2'/><address start='1.1.1.3' end='1.1.1.4'/></nat></forward>", "Only one <address> element is allowed in <nat> in <forward> in network n"],
    ["<forward><nat><port start='1' end='2'/><port start='3' end='4'/></nat></forward>", "Only one <port> element is allowed in <nat> in <forward> in network n"],
    ["<forward><nat><port start='x' end='2'/></nat></forward>", "Missing or invalid 'start' attribute in <port> in <nat> in <forward> in network n"],
    ["<forward><nat><port start='1' end='-2'/></nat></forward>", "Missing or invalid 'end' attribute in <port> in <nat> in <forward> in network n"],
  ])("%s", (forward, message) => expect(xmlError(withIp(forward))).toBe(message));

  it("names the modes virtnet does not build, with what else they use", () => {
    expect(xmlError(doc("<forward mode='hostdev' managed='yes'><pf dev='eth0'/></forward>"))).toBe(
      "libvirt network 'n' uses what virtnet does not implement (yet): forward mode 'hostdev' is not supported by virtnet; network/forward/pf; network/forward attribute managed",
    );
    expect(xmlError(doc("<forward mode='private'/>"))).toMatch(/forward mode 'private' is not supported by virtnet$/);
  });
});

describe("what check says of an imported <forward>", () => {
  const failures = (xml: string) => checked(xml).failures;
  it("an unknown mode", () => expect(failures(withIp("<forward mode='isolated'/>"))).toEqual([{ property: "forward.mode", reason: "unknown forwarding type 'isolated'" }]));
  it("a <nat> in route mode", () =>
    expect(failures(withIp("<forward mode='route'><nat/></forward>"))).toEqual([
      { property: "forward.nat", reason: "The <nat> element can only be used when <forward> 'mode' is 'nat' in network n" },
    ]));
  it("an address range without its end", () =>
    expect(failures(withIp("<forward><nat><address start='203.0.113.1'/></nat></forward>"))).toEqual([
      { property: "forward.nat.address.end", reason: "missing 'end' attribute in <address> element in <nat> in <forward> in network n" },
    ]));
  it("an ipv6 attribute that is neither yes nor no", () =>
    expect(failures(withIp("<forward><nat ipv6='maybe'/></forward>"))).toEqual([{ property: "forward.nat.ipv6", reason: "must be true or false" }]));
  it("stp on a host bridge, even stp='on'", () =>
    expect(failures(doc("<forward mode='bridge'/><bridge name='br0' stp='on'/>"))).toEqual([
      { property: "bridge.stp", reason: "bridge delay/stp/zone options only allowed in open, route, nat, and isolated mode, not in bridge (network 'n')" },
    ]));
  it("a nat network without an address", () =>
    expect(failures(doc("<forward/><bridge name='virbr9'/>"))).toEqual([{ property: "ips", reason: "nat forwarding requested, but no IP address provided for network 'n'" }]));
});

describe("writing <forward> as libvirt formats it", () => {
  it.each([
    ["<forward/>", "  <forward mode='nat'/>\n"],
    ["<forward mode='open'/>", "  <forward mode='open'/>\n"],
    ["<forward mode='route' dev='eth1'/>", "  <forward dev='eth1' mode='route'>\n    <interface dev='eth1'/>\n  </forward>\n"],
    ["<forward><nat ipv6='yes'/></forward>", "  <forward mode='nat'>\n    <nat ipv6='yes'/>\n  </forward>\n"],
    ["<forward><nat ipv6='no'/></forward>", "  <forward mode='nat'>\n    <nat ipv6='no'/>\n  </forward>\n"],
    ["<forward><nat><port start='0' end='0'/></nat></forward>", "  <forward mode='nat'/>\n"],
    [
      "<forward dev='wan0'><nat><port start='1024' end='65535'/><address start='198.51.100.1' end='198.51.100.1'/></nat></forward>",
      "  <forward dev='wan0' mode='nat'>\n    <nat>\n      <address start='198.51.100.1' end='198.51.100.1'/>\n      <port start='1024' end='65535'/>\n    </nat>\n    <interface dev='wan0'/>\n  </forward>\n",
    ],
  ])("%s", (forward, expected) => {
    const xml = rendered(withIp(forward));
    expect(xml).toContain(`<name>n</name>\n${expected}  <bridge name='virbr9' stp='on' delay='0'/>\n`);
  });
  it("a host bridge without STP settings or a MAC", () =>
    expect(rendered(doc("<forward mode='bridge'/><bridge name='br0'/>"))).toBe("<network>\n  <name>n</name>\n  <forward mode='bridge'/>\n  <bridge name='br0'/>\n</network>\n"));
  it("an isolated network has no <forward>", () => expect(rendered(doc("<bridge name='virbr9'/>"))).not.toContain("<forward"));
});

/**
 * libvirt's own test networks (tests/networkxml2xmlin, networkxml2xmlout, networkxml2confdata,
 * networkxml2firewalldata) that use only what virtnet implements. The fixtures are minimal documents of the same
 * meaning, written for virtnet (the uuid, which virtnet does not keep, left out).
 */
const LIBVIRT_TESTS: [string, Known<ForwardInputs>][] = [
  ["networkxml2xmlin/host-bridge-net", { mode: "bridge" }],
  ["networkxml2xmlin/host-bridge-no-flood", { mode: "bridge" }],
  ["networkxml2xmlin/nat-network-forward-nat-ipv6", { mode: "nat", nat: { ipv6: true } }],
  ["networkxml2xmlin/open-network", { mode: "open" }],
  ["networkxml2xmlin/routed-network-no-dns", { mode: "route", dev: "eth1" }],
  ["networkxml2xmlout/host-bridge-net", { mode: "bridge" }],
  ["networkxml2xmlout/host-bridge-no-flood", { mode: "bridge" }],
  ["networkxml2xmlout/nat-network-forward-nat-ipv6", { mode: "nat", nat: { ipv6: true } }],
  ["networkxml2xmlout/open-network", { mode: "open" }],
  ["networkxml2xmlout/routed-network-no-dns", { mode: "route", dev: "eth1" }],
  ["networkxml2confdata/open-network", { mode: "open" }],
  ["networkxml2confdata/routed-network", { mode: "route", dev: "eth1" }],
  ["networkxml2confdata/routed-network-no-dns", { mode: "route", dev: "eth1" }],
  ["networkxml2firewalldata/nat-no-dhcp", { mode: "nat" }],
];

const fixture = (name: string) => readFileSync(join(__dirname, "libvirt-tests", `${name}.xml`), "utf8");

describe("libvirt's test networks that use only what virtnet implements", () => {
  it.each(LIBVIRT_TESTS)("%s imports, passes check, and renders back with the same meaning", (name, forward) => {
    const xml = fixture(name);
    expect(forwardMeaning(inputsOf(xml).forward!)).toEqual(forward);
    const back = rendered(xml);
    const stated = networkArgsFromXml(xml).mac !== undefined;
    expect(meaning(back, stated)).toEqual(meaning(xml));
    // What virtnet writes it reads back to the same document.
    expect(rendered(back)).toBe(back);
  });

  it("the xmlin and xmlout forms of one network mean the same", () => {
    for (const name of ["host-bridge-net", "host-bridge-no-flood", "nat-network-forward-nat-ipv6", "open-network", "routed-network-no-dns"]) {
      expect(meaning(fixture(`networkxml2xmlout/${name}`))).toEqual(meaning(fixture(`networkxml2xmlin/${name}`)));
    }
  });

  it("open-network-with-forward-dev, which libvirt refuses, is refused with libvirt's message", () =>
    expect(checked(fixture("networkxml2xmlin/open-network-with-forward-dev")).failures).toEqual([
      { property: "forward.dev", reason: "forward dev not allowed for network 'open' with forward mode='open'" },
    ]));
  it("passthrough-duplicate, which libvirt refuses, is refused with libvirt's message", () =>
    expect(xmlError(fixture("networkxml2xmlin/passthrough-duplicate"))).toBe("interface 'eth3' can only be listed once in network passthrough-duplicate"));
  it("direct-net, a macvtap network, is refused: virtnet builds bridges only", () =>
    expect(checked(fixture("networkxml2xmlin/direct-net")).failures.map((f) => f.property)).toEqual(["bridge.name", "forward.dev"]));
  it("vepa-net is refused, naming the mode", () =>
    expect(xmlError(fixture("networkxml2xmlin/vepa-net"))).toBe("libvirt network 'vepa-net' uses what virtnet does not implement (yet): forward mode 'vepa' is not supported by virtnet"));
});
