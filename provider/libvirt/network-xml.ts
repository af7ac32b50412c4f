// libvirt <network> documents to Network arguments and back (docs/libvirt-behaviour.md §1, §2, §7).
import type { Bandwidth, Rate } from "../net/bandwidth";
import { ElementReader, escapeAttr, numberOrText, parseXml } from "./xml";

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
 * Parses a libvirt <network> document. Anything virtnet does not implement (the macvtap and SR-IOV forward modes,
 * dhcp, dns beyond enable='no', portgroups, virtualport, …) is an error that lists every such element and attribute.
 */
export function networkArgsFromXml(xml: string): NetworkXmlArgs {
  const doc = parseXml(xml);
  if (doc.network === undefined) throw new Error("the document is not a libvirt <network>");
  const unsupported: string[] = [];
  const net = new ElementReader(doc.network, "network", unsupported);
  const name = net.text("name");
  if (!name) throw new Error("<network> has no <name>");
  // A libvirt network's uuid names it to libvirtd; virtnet has no use for it (documented).
  net.ignore("uuid");
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
  for (const ip of net.children("ip")) {
    args.ips.push(readAddressing(ip));
    ip.finish();
  }
  for (const route of net.children("route")) {
    args.routes.push(readAddressing(route));
    route.finish();
  }
  args.bandwidth = readBandwidth(net.child("bandwidth"));
  const forward = net.child("forward");
  if (forward) args.forward = readForward(forward, name, unsupported);
  // virtnet runs no DNS or DHCP server: <dns enable='no'/> says exactly that; any other <dns> is unsupported.
  const dns = net.child("dns");
  if (dns) {
    if (dns.attr("enable") !== "no") unsupported.push("network/dns (virtnet runs no DNS server; only <dns enable='no'/> is accepted)");
    else dns.finish();
  }
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

function addressingXml(tag: string, a: Record<string, unknown>, order: string[]): string {
  const attrs = order.filter((k) => a[k] !== undefined).map((k) => ` ${k}='${escapeAttr(String(a[k]))}'`);
  return `  <${tag}${attrs.join("")}/>\n`;
}

/** A network's forward as a document states it (a checked forward: the mode always there). */
export interface ForwardDocument {
  mode: "nat" | "route" | "open" | "bridge";
  dev?: string;
  nat?: { address?: { start?: string; end?: string }; port?: { start?: number; end?: number }; ipv6?: boolean };
}

/** The part of a Network's recorded state a <network> document covers (a Network's outputs have this shape). */
export interface NetworkDocument {
  bridge: { name: string; stp: boolean; delay: number; macTableManager?: string };
  mac: string;
  mtu?: number;
  ips: readonly object[];
  routes: readonly object[];
  bandwidth?: Bandwidth;
  /** Absent: an isolated network. */
  forward?: ForwardDocument;
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

/**
 * A Network's state as a libvirt <network> document, formatted as virsh net-dumpxml does. Without a forward it is
 * an isolated network. When it has addresses it says <dns enable='no'/>, because virtnet runs no DNS or DHCP. A
 * network on a host bridge (forward mode 'bridge') has no STP settings and no MAC of its own, as in libvirt.
 */
export function networkToXml(libvirtName: string, o: NetworkDocument): string {
  const b = o.bridge;
  const hostBridge = o.forward?.mode === "bridge";
  const mtm = b.macTableManager !== undefined ? ` macTableManager='${b.macTableManager}'` : "";
  const stp = hostBridge ? "" : ` stp='${b.stp ? "on" : "off"}' delay='${b.delay}'`;
  let xml = `<network>\n  <name>${escapeAttr(libvirtName)}</name>\n`;
  xml += forwardXml(o.forward);
  xml += `  <bridge name='${escapeAttr(b.name)}'${stp}${mtm}/>\n`;
  if (!hostBridge) xml += `  <mac address='${o.mac}'/>\n`;
  if (o.mtu !== undefined) xml += `  <mtu size='${o.mtu}'/>\n`;
  if (o.ips.length > 0) xml += `  <dns enable='no'/>\n`;
  xml += bandwidthXml(o.bandwidth);
  for (const ip of o.ips) xml += addressingXml("ip", ip as Record<string, unknown>, ["family", "address", "netmask", "prefix"]);
  for (const r of o.routes) xml += addressingXml("route", r as Record<string, unknown>, ["family", "address", "netmask", "prefix", "gateway", "metric"]);
  return xml + "</network>\n";
}
