// One observation of a host's network state, taken in one exec and shared by every resource (docs/architecture.md §3).
import { CLASSES_SECTION, READ_BACK_SECTION, SNAPSHOT_SCRIPT, SNAPSHOT_SECTION as SECTION } from "../iproute2/observe-script";
import { parseIpAddr, type ObservedLink } from "../iproute2/parse-ip-addr";
import { parseIpRoute, type ObservedRoute } from "../iproute2/parse-ip-route";
import { parseBridgeFdbByPort } from "../iproute2/parse-bridge-fdb";
import { isVirtnetAlias } from "../net/owner-alias";
import { parseTcClasses, parseTcFilters, parseTcQdiscs, splitTcDeviceReport } from "../iproute2/parse-tc";
import { NO_TC, type DeviceTc } from "../net/tc";
import { forwardDropChains, hasTable, parseNftTable, type ForwardDropChain, type ObservedNftTable } from "../nftables/parse-nft";
import type { NftFamily } from "../net/firewall-rule";
import { networkAddress, type IpFamily } from "../net/ip-address";
import { parseDnsmasqSection, type ObservedDnsmasq } from "../dnsmasq/observe-dnsmasq";
import { NO_AUTOSTART, parseAutostartSection, type AutostartObservation } from "../systemd/observe-autostart";
import { parseSshAccess, type SshAccess } from "../iproute2/parse-ssh-access";

/** virtnet's nftables tables as observed: `nft` false when the host has no nft; a family's table absent or flushed. */
export interface FirewallObservation {
  nft: boolean;
  tables: Partial<Record<NftFamily, ObservedNftTable>>;
  /** Other tables' forward chains whose policy is drop (Docker, ufw), which an accept of virtnet's cannot undo. */
  forwardDrops?: ForwardDropChain[];
  /** Whether firewalld's table is loaded (it rejects forwarding for interfaces in no zone). */
  firewalld?: boolean;
}

/**
 * What libvirt checks before it turns IPv6 forwarding on: the interfaces with kernel-autoconfigured routes and
 * their accept_ra (forwarding makes the kernel flush those routes unless accept_ra is 2).
 */
export interface RouterAdvertisementObservation {
  readable: boolean;
  allAcceptRa: number;
  autoconfigured: { dev: string; acceptRa: number }[];
}

/** Host-wide forwarding (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding). */
export interface ForwardingObservation {
  ipv4: 0 | 1;
  ipv6: 0 | 1;
}


export { SNAPSHOT_SCRIPT };

/** A route's destination as the kernel identifies it: family, network address and prefix length. */
const destinationKey = (d: { family: IpFamily; address: string; prefix: number }) => `${d.family} ${networkAddress(d.address, d.prefix)}/${d.prefix}`;

export class HostSnapshot {
  readonly links: ReadonlyMap<string, ObservedLink>;

  constructor(
    links: ObservedLink[],
    /** Main-table routes of both families. */
    readonly routes: readonly ObservedRoute[] = [],
    /** Added fdb entries (guest MACs) of virtnet's bridge ports, by port. */
    readonly fdb: ReadonlyMap<string, readonly string[]> = new Map(),
    /** Traffic control of virtnet's devices, by device. */
    readonly tc: ReadonlyMap<string, DeviceTc> = new Map(),
    readonly firewall: FirewallObservation = { nft: true, tables: {} },
    readonly forwarding: ForwardingObservation = { ipv4: 0, ipv6: 0 },
    readonly routerAdvertisement: RouterAdvertisementObservation = { readable: true, allAcceptRa: 1, autoconfigured: [] },
    /** virtnet's dnsmasq instances, by bridge. */
    readonly dnsmasq: ReadonlyMap<string, ObservedDnsmasq> = new Map(),
    /** virtnet's autostart files and units. */
    readonly autostart: AutostartObservation = NO_AUTOSTART,
    /** How this connection reaches the host; undefined when it is not SSH (a local shell). */
    readonly access?: SshAccess,
  ) {
    this.links = new Map(links.map((l) => [l.name, l]));
  }

  link(name: string): ObservedLink | undefined {
    return this.links.get(name);
  }

  tcOf(dev: string): DeviceTc {
    return this.tc.get(dev) ?? NO_TC;
  }

  /**
   * Main-table routes to the destination of `d`, on any device. The index is built once per snapshot: each of a wave's
   * route resources looks up its own destination, so the wave costs O(routes), not O(resources × routes).
   */
  routesTo(d: { family: IpFamily; address: string; prefix: number }): readonly ObservedRoute[] {
    if (!this.byDestination) {
      this.byDestination = new Map();
      for (const r of this.routes) {
        const key = destinationKey(r);
        const list = this.byDestination.get(key);
        if (list) list.push(r);
        else this.byDestination.set(key, [r]);
      }
    }
    return this.byDestination.get(destinationKey(d)) ?? [];
  }

  private byDestination?: Map<string, ObservedRoute[]>;

  /**
   * This snapshot with a read-back's sections in place of its own: the main-table routes when they were read; the
   * traffic control of `tcDevices` (a device without an entry now shapes nothing); the classes and filters of
   * `classDevices`, whose qdiscs, and so whether they shape, are as before (one that did not shape still does not:
   * no plan changes classes on a device it does not see shaping). Linear in what was read plus one copy of the tc
   * map's entries (not of their contents).
   */
  private patched(sections: ReadonlyMap<string, string>, tcDevices: readonly string[], classDevices: readonly string[]): HostSnapshot {
    const route4 = sections.get("route4");
    const route6 = sections.get("route6");
    const routes = route4 !== undefined && route6 !== undefined ? parseRoutes(route4, route6) : this.routes;
    const section = (name: string) => {
      const text = sections.get(name);
      if (text === undefined) throw new Error("the host's reply has no complete read-back in it");
      return text;
    };
    const tc = new Map(this.tc);
    if (tcDevices.length > 0) {
      const read = parseDeviceTc(section("qdisc"), section("tc"));
      for (const dev of tcDevices) {
        const now = read.get(dev);
        if (now) tc.set(dev, now);
        else tc.delete(dev);
      }
    }
    if (classDevices.length > 0) {
      const read = parseDeviceTc("[]", section(CLASSES_SECTION));
      for (const dev of classDevices) {
        const before = tc.get(dev);
        if (before) tc.set(dev, { ...before, ...read.get(dev), qdiscs: before.qdiscs });
      }
    }
    return new HostSnapshot([...this.links.values()], routes, this.fdb, tc, this.firewall, this.forwarding, this.routerAdvertisement, this.dnsmasq, this.autostart, this.access);
  }

  /**
   * The snapshot an observation's output shows. A read-back (iproute2/observe-script.ts `renderReadBack`) holds only
   * some sections: they are patched into `base`, the snapshot before the apply, and the rest is kept from it.
   */
  static parse(stdout: string, base?: HostSnapshot): HostSnapshot {
    const sections = new Map<string, string>();
    const parts = stdout.split(new RegExp(`^${SECTION} `, "m")).slice(1);
    for (const part of parts) {
      const newline = part.indexOf("\n");
      sections.set(part.slice(0, newline), part.slice(newline + 1));
    }
    const readBack = sections.get(READ_BACK_SECTION);
    if (readBack !== undefined) {
      if (!base) throw new Error("a read-back of the host's state came before any observation of it");
      const [tcDevices = "", classDevices = ""] = readBack.split("\n");
      return base.patched(sections, tcDevices.split(" ").filter(Boolean), classDevices.split(" ").filter(Boolean));
    }
    const addr = sections.get("addr");
    const vlan = sections.get("vlan-filtering");
    const route4 = sections.get("route4");
    const route6 = sections.get("route6");
    const fdb = sections.get("fdb");
    const qdisc = sections.get("qdisc");
    const tc = sections.get("tc");
    const nft = sections.get("nft");
    const forwarding = sections.get("forwarding");
    const ra = sections.get("ra");
    if ([addr, vlan, route4, route6, fdb, qdisc, tc, nft, forwarding, ra].includes(undefined)) throw new Error("the host's reply has no complete observation in it");
    const vlanCapable = new Set(vlan!.split("\n").filter(Boolean));
    const links = parseIpAddr(addr!).map((l) =>
      l.bridge && !vlanCapable.has(l.name) ? { ...l, bridge: { ...l.bridge, vlanFiltering: undefined } } : l,
    );
    const ours = new Set(links.filter((l) => isVirtnetAlias(l.alias)).map((l) => l.name));
    const entries = new Map([...parseBridgeFdbByPort(fdb!)].filter(([port]) => ours.has(port)));
    const [ipv4, ipv6] = forwarding!.trim().split("\n").map((v) => (v.trim() === "1" ? 1 : 0));
    return new HostSnapshot(
      links,
      parseRoutes(route4!, route6!),
      entries,
      parseDeviceTc(qdisc!, tc!),
      parseFirewall(nft!),
      { ipv4: ipv4 ?? 0, ipv6: ipv6 ?? 0 },
      parseRouterAdvertisement(ra!),
      // Observations recorded before dnsmasq was observed have no such section: no dnsmasq of virtnet's.
      parseDnsmasqSection(sections.get("dnsmasq") ?? ""),
      parseAutostartSection(sections.get("autostart") ?? ""),
      parseSshAccess(sections.get("ssh") ?? ""),
    );
  }
}

/** The route4 and route6 sections: main-table routes of both families. */
function parseRoutes(route4: string, route6: string): ObservedRoute[] {
  return [...parseIpRoute(route4, "ipv4"), ...parseIpRoute(route6, "ipv6")];
}

/** The ra section: "unreadable", or all/accept_ra then one "DEV ACCEPT_RA" line per autoconfigured interface. */
function parseRouterAdvertisement(text: string): RouterAdvertisementObservation {
  const lines = text.trim().split("\n").filter(Boolean);
  if (lines[0] === "unreadable") return { readable: false, allAcceptRa: 1, autoconfigured: [] };
  const autoconfigured = lines.slice(1).map((l) => l.trim().split(/\s+/)).map(([dev, value]) => ({ dev: dev!, acceptRa: Number(value) }));
  return { readable: true, allAcceptRa: Number(lines[0] ?? 1), autoconfigured };
}

/** The nft section: "none" without nft, else one `@@family F` part per family holding its table's JSON ({} absent). */
function parseFirewall(text: string): FirewallObservation {
  if (text.trim() === "none") return { nft: false, tables: {} };
  const [families, chains = "{}"] = text.split(/^@@chains\n/m);
  const tables: FirewallObservation["tables"] = {};
  for (const part of families!.split(/^@@family /m).slice(1)) {
    const family = part.slice(0, part.indexOf("\n")) as NftFamily;
    const json = part.slice(family.length + 1).trim();
    const table = json === "{}" ? undefined : parseNftTable(json);
    if (table) tables[family] = table;
  }
  const listed = chains.trim();
  return {
    nft: true,
    tables,
    forwardDrops: listed === "{}" ? [] : forwardDropChains(listed),
    firewalld: listed !== "{}" && hasTable(listed, "inet", "firewalld"),
  };
}

function parseDeviceTc(qdiscJson: string, details: string): Map<string, DeviceTc> {
  const byDev = new Map<string, DeviceTc>();
  const qdiscs = JSON.parse(qdiscJson.trim() === "" ? "[]" : qdiscJson) as Array<{ dev?: string }>;
  // Grouped once, so that reading N devices stays linear in the host's qdiscs.
  const qdiscsOf = new Map<string | undefined, object[]>();
  for (const q of qdiscs) {
    const list = qdiscsOf.get(q.dev);
    if (list) list.push(q);
    else qdiscsOf.set(q.dev, [q]);
  }
  for (const chunk of details.split(/^@@dev /m).slice(1)) {
    const dev = chunk.slice(0, chunk.indexOf("\n"));
    const { classes, filters, ingress } = splitTcDeviceReport(chunk.slice(dev.length + 1));
    byDev.set(dev, {
      qdiscs: parseTcQdiscs(JSON.stringify(qdiscsOf.get(dev) ?? [])),
      classes: parseTcClasses(classes),
      filters: parseTcFilters(filters),
      ingressFilters: parseTcFilters(ingress ?? ""),
    });
  }
  return byDev;
}
