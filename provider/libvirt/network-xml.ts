// libvirt <network> documents to Network arguments and back (docs/libvirt-behaviour.md §1, §2, §7, §10).
import type { Bandwidth, Rate } from "../net/bandwidth";
import { ElementReader, escapeAttr, numberOrText, parseXml, type XmlNode } from "./xml";

/** The namespace of libvirt's <dnsmasq:options> (src/network/bridge_driver.c, networkDnsmasqXMLNamespace). */
export const DNSMASQ_NAMESPACE = "http://libvirt.org/schemas/network/dnsmasq/1.0";

/** What a <network> document says, as Network arguments (all but the connection, which XML cannot carry). */
export interface NetworkXmlArgs {
  libvirtName: string;
  // stp only when the attribute is there: a host-bridge network refuses it even as stp='on'.
  bridge?: { name?: string; stp?: boolean; delay?: number | string; macTableManager?: string };
  mac?: string;
  mtu?: number | string;
  ips: Array<Record<string, unknown>>;
  routes: Array<Record<string, unknown>>;
  bandwidth?: Record<string, unknown>;
  forward?: ForwardXmlArgs;
  domain?: { name: string; localOnly?: boolean | string };
  /** `{}` for a network with an address and no <dns>: libvirt's dnsmasq then serves DNS. */
  dns?: Record<string, unknown>;
  dnsmasqOptions?: string[];
}

/** <forward> as Network arguments: values as written, for check to judge; only the document's structure is judged here. */
export interface ForwardXmlArgs {
  mode?: string;
  dev?: string;
  nat?: { address?: { start?: string; end?: string }; port?: { start?: number; end?: number }; ipv6?: boolean | string };
}

/** libvirt's forward modes that need no bridge (macvtap, SR-IOV): virtnet has nothing to build for them. */
const REFUSED_MODES = new Set(["private", "vepa", "passthrough", "hostdev"]);

/** <bandwidth> with <inbound>/<outbound> attributes, as numbers where they are numbers. */
export function readBandwidth(r: ElementReader | undefined): Record<string, unknown> | undefined {
  if (!r) return undefined;
  const out: Record<string, unknown> = {};
  for (const direction of ["inbound", "outbound"] as const) {
    const d = r.child(direction);
    if (!d) continue;
    const rate: Record<string, unknown> = {};
    for (const a of ["average", "peak", "burst", "floor"]) {
      const v = numberOrText(d.attr(a));
      if (v !== undefined) rate[a] = v;
    }
    d.finish();
    out[direction] = rate;
  }
  r.finish();
  return out;
}

function readAddressing(r: ElementReader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [attr, key] of [["family", "family"], ["address", "address"], ["netmask", "netmask"], ["gateway", "gateway"]] as const) {
    const v = r.attr(attr);
    if (v !== undefined) out[key] = v;
  }
  for (const attr of ["prefix", "metric"]) {
    const v = numberOrText(r.attr(attr));
    if (v !== undefined) out[attr] = v;
  }
  return out;
}

/** libvirt's yes/no attributes as booleans; any other text stays text, for check to report at its property. */
function yesNo(v: string | undefined): boolean | string | undefined {
  return v === "yes" ? true : v === "no" ? false : v;
}

/** Copies the attributes that are there, as text, under the same names. */
function copyAttrs(r: ElementReader, names: readonly string[], out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const name of names) {
    const v = r.attr(name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const field = (node: unknown, key: string): unknown => (node !== null && typeof node === "object" && !Array.isArray(node) ? (node as XmlNode)[key] : undefined);

/** The text of each element of a parsed child (one element, or an array when it repeats); "" for an element without text. */
function texts(v: unknown): string[] {
  return asArray(v).map((e) => {
    if (typeof e === "string") return e;
    const t = field(e, "#text");
    return typeof t === "string" ? t : "";
  });
}

/**
 * The <lease expiry unit> children of a <range> or <host>, as virNetworkDHCPLeaseTimeDefParseXML reads them: one
 * without expiry is no lease at all, and the last one with an expiry counts. An absent unit is left to the schema's
 * default (minutes); an expiry of 0 is an infinite lease.
 */
function readLease(parent: ElementReader): Record<string, unknown> | undefined {
  let lease: Record<string, unknown> | undefined;
  for (const l of parent.children("lease")) {
    const expiry = numberOrText(l.attr("expiry"));
    const unit = l.attr("unit");
    l.finish();
    if (expiry === undefined) continue;
    lease = unit === undefined ? { expiry } : { expiry, unit };
  }
  return lease;
}

/** <range start end> and <host mac id name ip>, each with an optional <lease>. */
function readDhcpEntry(r: ElementReader, names: readonly string[]): Record<string, unknown> {
  const out = copyAttrs(r, names);
  const lease = readLease(r);
  if (lease) out.lease = lease;
  r.finish();
  return out;
}

/**
 * <dhcp> (virNetworkDHCPDefParseXML): its ranges, its reservations, and its <bootp file server>, of which the
 * last one with a file counts. Whether a <bootp> may be there at all (IPv4 only) is check's to say.
 */
function readDhcp(r: ElementReader): Record<string, unknown> {
  const dhcp: Record<string, unknown> = {};
  const ranges = r.children("range").map((range) => readDhcpEntry(range, ["start", "end"]));
  if (ranges.length > 0) dhcp.ranges = ranges;
  const hosts = r.children("host").map((host) => readDhcpEntry(host, ["mac", "id", "name", "ip"]));
  if (hosts.length > 0) dhcp.hosts = hosts;
  const bootps = r.children("bootp").map((b) => {
    const bootp = copyAttrs(b, ["file", "server"]);
    b.finish();
    return bootp;
  });
  const bootp = bootps.filter((b) => b.file !== undefined).at(-1) ?? bootps.at(-1);
  if (bootp) dhcp.bootp = bootp;
  r.finish();
  return dhcp;
}

/** <ip> with its localPtr, <tftp root> (none without a root, as in libvirt) and <dhcp> (the first one, as in libvirt). */
function readIp(r: ElementReader): Record<string, unknown> {
  const ip = readAddressing(r);
  const localPtr = yesNo(r.attr("localPtr"));
  if (localPtr !== undefined) ip.localPtr = localPtr;
  const tftp = r.child("tftp");
  if (tftp) {
    const root = tftp.attr("root");
    if (root !== undefined && root !== "") ip.tftp = { root };
    tftp.finish();
  }
  const dhcp = r.child("dhcp");
  if (dhcp) ip.dhcp = readDhcp(dhcp);
  r.finish();
  return ip;
}

/** <domain name localOnly> (libvirt reads the first); one without a name is no domain, as in libvirt. */
function readDomain(r: ElementReader): NetworkXmlArgs["domain"] {
  const name = r.attr("name");
  const localOnly = yesNo(r.attr("localOnly"));
  r.finish();
  if (name === undefined) return undefined;
  return localOnly === undefined ? { name } : { name, localOnly };
}

/**
 * <dns enable forwardPlainNames> with its <forwarder>, <host>, <txt> and <srv> records (virNetworkDNSDefParseXML).
 * `raw` is the parsed element itself, for the text of the <hostname> elements.
 */
function readDns(r: ElementReader, raw: unknown): Record<string, unknown> {
  const dns: Record<string, unknown> = {};
  const enable = yesNo(r.attr("enable"));
  if (enable !== undefined) dns.enable = enable;
  const forwardPlainNames = yesNo(r.attr("forwardPlainNames"));
  if (forwardPlainNames !== undefined) dns.forwardPlainNames = forwardPlainNames;
  const records = (name: string, read: (e: ElementReader, i: number) => Record<string, unknown>) => {
    const list = r.children(name).map((e, i) => {
      const record = read(e, i);
      e.finish();
      return record;
    });
    return list.length > 0 ? list : undefined;
  };
  const rawHosts = asArray(field(raw, "host"));
  const lists = {
    forwarders: records("forwarder", (e) => copyAttrs(e, ["addr", "domain"])),
    hosts: records("host", (e, i) => {
      const host = copyAttrs(e, ["ip"]);
      for (const h of e.children("hostname")) h.finish();
      // libvirt skips a <hostname> without content.
      host.hostnames = texts(field(rawHosts[i], "hostname")).filter((n) => n !== "");
      return host;
    }),
    txts: records("txt", (e) => copyAttrs(e, ["name", "value"])),
    srvs: records("srv", (e) => {
      const srv = copyAttrs(e, ["service", "protocol", "domain", "target"]);
      for (const n of ["port", "priority", "weight"]) {
        const v = numberOrText(e.attr(n));
        if (v !== undefined) srv[n] = v;
      }
      return srv;
    }),
  };
  for (const [key, list] of Object.entries(lists)) if (list) dns[key] = list;
  r.finish();
  return dns;
}

/**
 * The values of <dnsmasq:option> in every <dnsmasq:options>, whatever prefix the document binds to libvirt's
 * dnsmasq namespace, on <network> (as libvirt writes it) or on <options> itself. Undefined when there are none.
 */
function readDnsmasqOptions(net: ElementReader, raw: XmlNode, network: string): string[] | undefined {
  const bound = (node: unknown, prefix: string) => field(node, `@xmlns:${prefix}`) === DNSMASQ_NAMESPACE;
  const values: string[] = [];
  for (const key of Object.keys(raw)) {
    if (key.startsWith("@xmlns:") && raw[key] === DNSMASQ_NAMESPACE) net.ignore(key);
    const prefix = /^([^@:]+):options$/.exec(key)?.[1];
    if (prefix === undefined) continue;
    if (!bound(raw, prefix) && !asArray(raw[key]).every((e) => bound(e, prefix))) continue;
    for (const options of net.children(key)) {
      options.ignore(`@xmlns:${prefix}`);
      for (const option of options.children(`${prefix}:option`)) {
        const value = option.attr("value");
        option.finish();
        if (value === undefined) throw new Error(`No dnsmasq options value specified in network ${network}`);
        values.push(value);
      }
      options.finish();
    }
  }
  return values.length > 0 ? values : undefined;
}

/**
 * The attributes of <network> itself that need nothing of virtnet: libvirt's default ipv6='no', and ipv6='yes' too
 * (for a network without IPv6 addresses it only adds libvirt's IPv6 forward rules: guest to guest allowed, in and
 * out rejected; a bridge virtnet makes then has IPv6 disabled and routes no IPv6 either way); libvirt's default
 * trustGuestRxFilters='no'; and a running network's connections count (state, not configuration).
 * trustGuestRxFilters='yes' is left to be reported.
 */
function ignoreNetworkAttributes(net: ElementReader, raw: XmlNode, network: string): void {
  const ipv6 = raw["@ipv6"];
  if (ipv6 !== undefined) {
    if (ipv6 !== "yes" && ipv6 !== "no") throw new Error(`Invalid ipv6 setting '${String(ipv6)}' in network '${network}'`);
    net.ignore("@ipv6");
  }
  if (raw["@trustGuestRxFilters"] === "no") net.ignore("@trustGuestRxFilters");
  net.ignore("@connections");
}

/** A whole port number from <port start|end>, or libvirt's parse error for what is there instead. */
function portAttr(r: ElementReader, attr: "start" | "end", network: string): number | undefined {
  const v = r.attr(attr);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`Missing or invalid '${attr}' attribute in <port> in <nat> in <forward> in network ${network}`);
  return Number(v);
}

/** <nat>: at most one <address> and one <port> (virNetworkForwardNatDefParseXML); missing ends are check's to report. */
function readNat(r: ElementReader, network: string): NonNullable<ForwardXmlArgs["nat"]> {
  const nat: NonNullable<ForwardXmlArgs["nat"]> = {};
  const ipv6 = r.attr("ipv6");
  if (ipv6 !== undefined) nat.ipv6 = ipv6 === "yes" ? true : ipv6 === "no" ? false : ipv6;
  const addresses = r.children("address");
  if (addresses.length > 1) throw new Error(`Only one <address> element is allowed in <nat> in <forward> in network ${network}`);
  for (const a of addresses) {
    const address: { start?: string; end?: string } = {};
    const start = a.attr("start");
    const end = a.attr("end");
    if (start !== undefined) address.start = start;
    if (end !== undefined) address.end = end;
    a.finish();
    nat.address = address;
  }
  const ports = r.children("port");
  if (ports.length > 1) throw new Error(`Only one <port> element is allowed in <nat> in <forward> in network ${network}`);
  for (const p of ports) {
    const port: { start?: number; end?: number } = {};
    const start = portAttr(p, "start", network);
    const end = portAttr(p, "end", network);
    if (start !== undefined) port.start = start;
    if (end !== undefined) port.end = end;
    p.finish();
    nat.port = port;
  }
  r.finish();
  return nat;
}

/**
 * <forward mode dev> with its <nat> and <interface dev> children (virNetworkForwardDefParseXML). The interface list
 * holds one device at most for the modes virtnet implements, so it becomes `dev`; pools of devices, PCI addresses
 * and <pf> belong to the modes virtnet refuses and are reported as unsupported.
 */
function readForward(r: ElementReader, network: string, unsupported: string[]): ForwardXmlArgs {
  const forward: ForwardXmlArgs = {};
  const mode = r.attr("mode");
  if (mode !== undefined) forward.mode = mode;
  if (mode !== undefined && REFUSED_MODES.has(mode)) unsupported.push(`forward mode '${mode}' is not supported by virtnet`);
  const nats = r.children("nat");
  if (nats.length > 1) throw new Error(`Only one <nat> element is allowed in <forward> of network ${network}`);
  for (const nat of nats) forward.nat = readNat(nat, network);
  const dev = r.attr("dev");
  const devices = dev !== undefined ? [dev] : [];
  r.children("interface").forEach((iface, i) => {
    const d = iface.attr("dev");
    // connections counts the guests using the device in a running network: state, not configuration.
    iface.ignore("@connections");
    iface.finish();
    if (d === undefined) throw new Error(`Missing required dev attribute in <forward> <interface> element of network ${network}`);
    if (i === 0 && dev !== undefined) {
      // libvirt writes <forward dev> and repeats it as the first <interface>; the two must agree.
      if (d !== dev) throw new Error(`<forward dev='${dev}'> must match first <interface dev='${d}'/> in network ${network}`);
      return;
    }
    if (devices.includes(d)) throw new Error(`interface '${d}' can only be listed once in network ${network}`);
    devices.push(d);
  });
  if (devices.length > 1 && (mode === undefined || mode === "nat" || mode === "route")) {
    throw new Error(`multiple forwarding interfaces specified for network '${network}', only one is supported`);
  }
  if (devices.length > 0) forward.dev = devices[0];
  r.finish();
  return forward;
}

/**
 * Parses a libvirt <network> document into Network arguments, values as written for check to judge. It reads the
 * bridge, addresses, routes, bandwidth and forward, and what the network's dnsmasq serves: each <ip>'s <dhcp>,
 * <tftp> and localPtr, <domain>, <dns> and <dnsmasq:options>. A network with an <ip> and no <dns> element gets
 * `dns: {}`, since libvirt runs dnsmasq with DNS on for it; `<dns enable='no'/>` gives `dns: {enable: false}`. The
 * uuid, a running network's connections count and libvirt's defaults ipv6 and trustGuestRxFilters='no' are
 * accepted and dropped. Anything else virtnet does not implement (the macvtap and SR-IOV forward modes, portgroups,
 * virtualport, …) is an error that lists every such element and attribute.
 */
export function networkArgsFromXml(xml: string): NetworkXmlArgs {
  const doc = parseXml(xml);
  if (doc.network === undefined) throw new Error("the document is not a libvirt <network>");
  const unsupported: string[] = [];
  const raw: XmlNode = typeof doc.network === "object" && doc.network !== null && !Array.isArray(doc.network) ? (doc.network as XmlNode) : {};
  const net = new ElementReader(doc.network, "network", unsupported);
  const name = net.text("name");
  if (!name) throw new Error("<network> has no <name>");
  // A libvirt network's uuid names it to libvirtd; virtnet has no use for it (documented).
  net.ignore("uuid");
  ignoreNetworkAttributes(net, raw, name);
  const args: NetworkXmlArgs = { libvirtName: name, ips: [], routes: [] };
  const bridge = net.child("bridge");
  if (bridge) {
    // Only stp='off' disables STP; any other value means on, and so does no attribute (docs/libvirt-behaviour.md §1.2).
    const b: NonNullable<NetworkXmlArgs["bridge"]> = {};
    const stp = bridge.attr("stp");
    if (stp !== undefined) b.stp = stp !== "off";
    const bridgeName = bridge.attr("name");
    if (bridgeName !== undefined) b.name = bridgeName;
    const delay = numberOrText(bridge.attr("delay"));
    if (delay !== undefined) b.delay = delay;
    const mtm = bridge.attr("macTableManager");
    if (mtm !== undefined) b.macTableManager = mtm;
    bridge.finish();
    args.bridge = b;
  }
  const mac = net.child("mac");
  if (mac) {
    args.mac = mac.attr("address");
    mac.finish();
  }
  const mtu = net.child("mtu");
  if (mtu) {
    args.mtu = numberOrText(mtu.attr("size"));
    mtu.finish();
  }
  for (const ip of net.children("ip")) args.ips.push(readIp(ip));
  for (const route of net.children("route")) {
    args.routes.push(readAddressing(route));
    route.finish();
  }
  args.bandwidth = readBandwidth(net.child("bandwidth"));
  const forward = net.child("forward");
  if (forward) args.forward = readForward(forward, name, unsupported);
  const domain = net.child("domain");
  if (domain) {
    const d = readDomain(domain);
    if (d) args.domain = d;
  }
  const dns = net.child("dns");
  if (dns) args.dns = readDns(dns, asArray(raw.dns)[0]);
  else if (args.ips.length > 0) args.dns = {};
  const options = readDnsmasqOptions(net, raw, name);
  if (options) args.dnsmasqOptions = options;
  net.finish();
  if (unsupported.length > 0) {
    throw new Error(`libvirt network '${name}' uses what virtnet does not implement (yet): ${unsupported.join("; ")}`);
  }
  return args;
}

function rateXml(tag: string, r: Rate | undefined): string {
  if (!r) return "";
  const attrs = (["average", "peak", "burst", "floor"] as const).filter((k) => r[k] !== undefined).map((k) => ` ${k}='${r[k]}'`);
  return `    <${tag}${attrs.join("")}/>\n`;
}

function bandwidthXml(b: Bandwidth | undefined): string {
  if (!b || (!b.inbound && !b.outbound)) return "";
  return `  <bandwidth>\n${rateXml("inbound", b.inbound)}${rateXml("outbound", b.outbound)}  </bandwidth>\n`;
}

/** The attributes that are there, in the given order, as ` key='value'` each. */
function attrList(a: object, order: readonly string[]): string {
  const values = a as Record<string, unknown>;
  return order
    .filter((k) => values[k] !== undefined)
    .map((k) => ` ${k}='${escapeAttr(String(values[k]))}'`)
    .join("");
}

const yesNoAttr = (name: string, v: boolean | undefined): string => (v === undefined ? "" : ` ${name}='${v ? "yes" : "no"}'`);

function addressingXml(tag: string, a: object, order: string[]): string {
  return `  <${tag}${attrList(a, order)}/>\n`;
}

/** A network's forward as a document states it (a checked forward: the mode always there). */
export interface ForwardDocument {
  mode: "nat" | "route" | "open" | "bridge";
  dev?: string;
  nat?: { address?: { start?: string; end?: string }; port?: { start?: number; end?: number }; ipv6?: boolean };
}

/** A DHCP lease time: an expiry of 0 is an infinite lease; the unit is minutes when absent. */
export interface LeaseDocument {
  expiry: number;
  unit?: "seconds" | "minutes" | "hours";
}

/** An <ip> with what the network's dnsmasq serves on its subnet (a Network's checked ips have this shape). */
export interface IpDocument {
  family?: string;
  address: string;
  netmask?: string;
  prefix?: number;
  dhcp?: {
    ranges?: readonly { start?: string; end?: string; lease?: LeaseDocument }[];
    hosts?: readonly { mac?: string; id?: string; name?: string; ip?: string; lease?: LeaseDocument }[];
    bootp?: { file?: string; server?: string };
  };
  tftp?: { root: string };
  localPtr?: boolean;
}

/** <dns> as a Network's checked inputs give it. */
export interface DnsDocument {
  enable?: boolean;
  forwardPlainNames?: boolean;
  forwarders?: readonly { addr?: string; domain?: string }[];
  hosts?: readonly { ip?: string; hostnames?: readonly string[] }[];
  txts?: readonly { name?: string; value?: string }[];
  srvs?: readonly { service?: string; protocol?: string; domain?: string; target?: string; port?: number; priority?: number; weight?: number }[];
}

/** The part of a Network's recorded state a <network> document covers (a Network's outputs have this shape). */
export interface NetworkDocument {
  bridge: { name: string; stp: boolean; delay: number; macTableManager?: string };
  mac: string;
  mtu?: number;
  ips: readonly IpDocument[];
  routes: readonly object[];
  bandwidth?: Bandwidth;
  /** Absent: an isolated network. */
  forward?: ForwardDocument;
  domain?: { name: string; localOnly?: boolean };
  /** Absent: DNS is on when the network's dnsmasq runs at all (see networkToXml). */
  dns?: DnsDocument;
  dnsmasqOptions?: readonly string[];
}

/** <nat> as virNetworkForwardNatDefFormat writes it: nothing when it says nothing, a bare element for ipv6 alone. */
function natXml(nat: ForwardDocument["nat"]): string {
  if (!nat) return "";
  const ipv6 = nat.ipv6 === undefined ? "" : ` ipv6='${nat.ipv6 ? "yes" : "no"}'`;
  const a = nat.address;
  const p = nat.port;
  const address = a?.start !== undefined ? `      <address start='${escapeAttr(a.start)}'${a.end !== undefined ? ` end='${escapeAttr(a.end)}'` : ""}/>\n` : "";
  const port = p?.start !== undefined || p?.end !== undefined ? `      <port start='${p.start ?? 0}'${p.end ? ` end='${p.end}'` : ""}/>\n` : "";
  if (!address && !port) return ipv6 ? `    <nat${ipv6}/>\n` : "";
  return `    <nat${ipv6}>\n${address}${port}    </nat>\n`;
}

/** <forward> as libvirt formats it: dev before mode, the dev repeated as the first <interface>, short form when empty. */
function forwardXml(f: ForwardDocument | undefined): string {
  if (!f) return "";
  const dev = f.dev !== undefined ? ` dev='${escapeAttr(f.dev)}'` : "";
  const inner = (f.mode === "nat" ? natXml(f.nat) : "") + (f.dev !== undefined ? `    <interface dev='${escapeAttr(f.dev)}'/>\n` : "");
  return inner ? `  <forward${dev} mode='${f.mode}'>\n${inner}  </forward>\n` : `  <forward${dev} mode='${f.mode}'/>\n`;
}

/** libvirt's test for an <ip> that serves DHCP: a range or a reservation; a <bootp> alone does nothing. */
function servesDhcp(ip: IpDocument): boolean {
  return (ip.dhcp?.ranges?.length ?? 0) > 0 || (ip.dhcp?.hosts?.length ?? 0) > 0;
}

/** <lease> as virNetworkIPDefFormat writes it: no unit for an infinite lease. */
function leaseXml(lease: LeaseDocument, indent: string): string {
  return lease.expiry === 0 ? `${indent}<lease expiry='0'/>\n` : `${indent}<lease expiry='${lease.expiry}' unit='${lease.unit ?? "minutes"}'/>\n`;
}

/** A <range> or <host> of <dhcp>: a short element, or one holding its <lease>. */
function dhcpEntryXml(tag: string, entry: { lease?: LeaseDocument }, order: readonly string[]): string {
  const open = `      <${tag}${attrList(entry, order)}`;
  return entry.lease ? `${open}>\n${leaseXml(entry.lease, "        ")}      </${tag}>\n` : `${open}/>\n`;
}

/**
 * <ip> as virNetworkIPDefFormat writes it: localPtr after the addressing, then <tftp>, then <dhcp> with its ranges,
 * reservations and <bootp>. libvirt writes <dhcp> only when it serves DHCP, so a <bootp> alone is dropped, as there.
 */
function ipXml(ip: IpDocument): string {
  const open = `  <ip${attrList(ip, ["family", "address", "netmask", "prefix"])}${yesNoAttr("localPtr", ip.localPtr)}`;
  let inner = ip.tftp !== undefined ? `    <tftp root='${escapeAttr(ip.tftp.root)}'/>\n` : "";
  if (ip.dhcp && servesDhcp(ip)) {
    const { ranges = [], hosts = [], bootp } = ip.dhcp;
    inner += "    <dhcp>\n";
    for (const r of ranges) inner += dhcpEntryXml("range", r, ["start", "end"]);
    for (const h of hosts) inner += dhcpEntryXml("host", h, ["mac", "id", "name", "ip"]);
    if (bootp?.file !== undefined) inner += `      <bootp${attrList(bootp, ["file", "server"])}/>\n`;
    inner += "    </dhcp>\n";
  }
  return inner ? `${open}>\n${inner}  </ip>\n` : `${open}/>\n`;
}

/**
 * Whether the network's dnsmasq runs when its inputs say nothing of DNS: for DHCP or TFTP on one of its addresses,
 * or for a domain or dnsmasq options. It then serves DNS as well.
 */
function runsDnsmasqWithoutDns(o: NetworkDocument): boolean {
  return o.ips.some((ip) => servesDhcp(ip) || ip.tftp !== undefined) || o.domain !== undefined || (o.dnsmasqOptions?.length ?? 0) > 0;
}

/**
 * <dns> as virNetworkDNSDefFormat writes it: enable and forwardPlainNames when set, then the forwarders (domain
 * before addr), TXT records, SRV records (those with a service and a protocol; port, priority and weight only when
 * not 0) and host records; nothing at all when it says nothing. Inputs without dns give `<dns enable='no'/>` for
 * a network with addresses whose dnsmasq would not run otherwise (virtnet starts none for it, and libvirt would
 * serve DNS without it), and no <dns> when dnsmasq runs, which then serves DNS, as libvirt's does.
 */
function dnsXml(o: NetworkDocument): string {
  const d = o.dns;
  if (d === undefined) return o.ips.length > 0 && !runsDnsmasqWithoutDns(o) ? "  <dns enable='no'/>\n" : "";
  const attributes = yesNoAttr("enable", d.enable) + yesNoAttr("forwardPlainNames", d.forwardPlainNames);
  let inner = "";
  for (const f of d.forwarders ?? []) inner += `    <forwarder${attrList(f, ["domain", "addr"])}/>\n`;
  for (const t of d.txts ?? []) inner += `    <txt${attrList(t, ["name", "value"])}/>\n`;
  for (const srv of d.srvs ?? []) {
    if (srv.service === undefined || srv.protocol === undefined) continue;
    const nonZero = { port: srv.port || undefined, priority: srv.priority || undefined, weight: srv.weight || undefined };
    inner += `    <srv${attrList(srv, ["service", "protocol", "domain", "target"])}${attrList(nonZero, ["port", "priority", "weight"])}/>\n`;
  }
  for (const h of d.hosts ?? []) {
    inner += `    <host${attrList(h, ["ip"])}>\n`;
    for (const name of h.hostnames ?? []) inner += `      <hostname>${escapeAttr(name)}</hostname>\n`;
    inner += "    </host>\n";
  }
  if (inner) return `  <dns${attributes}>\n${inner}  </dns>\n`;
  return attributes ? `  <dns${attributes}/>\n` : "";
}

/** <dnsmasq:options>, last in the document as libvirt writes its namespace's data; the prefix is bound on <network>. */
function dnsmasqOptionsXml(options: readonly string[]): string {
  if (options.length === 0) return "";
  return `  <dnsmasq:options>\n${options.map((v) => `    <dnsmasq:option value='${escapeAttr(v)}'/>\n`).join("")}  </dnsmasq:options>\n`;
}

/**
 * A Network's state as a libvirt <network> document, formatted as virsh net-dumpxml does (virNetworkDefFormatBuf):
 * name, forward, bridge, mtu, mac, domain, dns, bandwidth, the ips with their tftp and dhcp, the routes, and the
 * dnsmasq options, whose namespace is declared on <network>. Without a forward it is an isolated network. A network
 * on a host bridge (forward mode 'bridge') has no STP settings and no MAC of its own, as in libvirt. For <dns>, see
 * dnsXml: a network that runs no dnsmasq says <dns enable='no'/>.
 */
export function networkToXml(libvirtName: string, o: NetworkDocument): string {
  const b = o.bridge;
  const hostBridge = o.forward?.mode === "bridge";
  const mtm = b.macTableManager !== undefined ? ` macTableManager='${b.macTableManager}'` : "";
  const stp = hostBridge ? "" : ` stp='${b.stp ? "on" : "off"}' delay='${b.delay}'`;
  const options = o.dnsmasqOptions ?? [];
  const ns = options.length > 0 ? ` xmlns:dnsmasq='${DNSMASQ_NAMESPACE}'` : "";
  let xml = `<network${ns}>\n  <name>${escapeAttr(libvirtName)}</name>\n`;
  xml += forwardXml(o.forward);
  xml += `  <bridge name='${escapeAttr(b.name)}'${stp}${mtm}/>\n`;
  if (o.mtu !== undefined) xml += `  <mtu size='${o.mtu}'/>\n`;
  if (!hostBridge) xml += `  <mac address='${o.mac}'/>\n`;
  if (o.domain !== undefined) xml += `  <domain name='${escapeAttr(o.domain.name)}'${yesNoAttr("localOnly", o.domain.localOnly)}/>\n`;
  xml += dnsXml(o);
  xml += bandwidthXml(o.bandwidth);
  for (const ip of o.ips) xml += ipXml(ip);
  for (const r of o.routes) xml += addressingXml("route", r, ["family", "address", "netmask", "prefix", "gateway", "metric"]);
  xml += dnsmasqOptionsXml(options);
  return xml + "</network>\n";
}
