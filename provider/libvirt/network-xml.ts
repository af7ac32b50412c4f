// libvirt <network> documents to Network arguments and back (docs/libvirt-behaviour.md §1, §2, §7).
import type { Bandwidth, Rate } from "../net/bandwidth";
import { ElementReader, escapeAttr, numberOrText, parseXml } from "./xml";

/** What a <network> document says, as Network arguments (all but the connection, which XML cannot carry). */
export interface NetworkXmlArgs {
  libvirtName: string;
  bridge?: { name?: string; stp: boolean; delay?: number | string; macTableManager?: string };
  mac?: string;
  mtu?: number | string;
  ips: Array<Record<string, unknown>>;
  routes: Array<Record<string, unknown>>;
  bandwidth?: Record<string, unknown>;
}

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

/**
 * Parses a libvirt <network> document. Anything virtnet does not implement (forward modes, dhcp, dns beyond
 * enable='no', portgroups, virtualport, …) is an error that lists every such element and attribute.
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
    // Only stp='off' disables STP; a missing or other value means on (docs/libvirt-behaviour.md §1.2).
    const b: NetworkXmlArgs["bridge"] = { stp: bridge.attr("stp") !== "off" };
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

/** The part of a Network's recorded state a <network> document covers (a Network's outputs have this shape). */
export interface NetworkDocument {
  bridge: { name: string; stp: boolean; delay: number; macTableManager?: string };
  mac: string;
  mtu?: number;
  ips: readonly object[];
  routes: readonly object[];
  bandwidth?: Bandwidth;
}

/**
 * A Network's state as a libvirt <network> document, formatted as virsh net-dumpxml does. It has no <forward>
 * (an isolated network) and, when it has addresses, <dns enable='no'/>, because virtnet runs no DNS or DHCP.
 */
export function networkToXml(libvirtName: string, o: NetworkDocument): string {
  const b = o.bridge;
  const mtm = b.macTableManager !== undefined ? ` macTableManager='${b.macTableManager}'` : "";
  let xml = `<network>\n  <name>${escapeAttr(libvirtName)}</name>\n`;
  xml += `  <bridge name='${escapeAttr(b.name)}' stp='${b.stp ? "on" : "off"}' delay='${b.delay}'${mtm}/>\n`;
  xml += `  <mac address='${o.mac}'/>\n`;
  if (o.mtu !== undefined) xml += `  <mtu size='${o.mtu}'/>\n`;
  if (o.ips.length > 0) xml += `  <dns enable='no'/>\n`;
  xml += bandwidthXml(o.bandwidth);
  for (const ip of o.ips) xml += addressingXml("ip", ip as Record<string, unknown>, ["family", "address", "netmask", "prefix"]);
  for (const r of o.routes) xml += addressingXml("route", r as Record<string, unknown>, ["family", "address", "netmask", "prefix", "gateway", "metric"]);
  return xml + "</network>\n";
}
