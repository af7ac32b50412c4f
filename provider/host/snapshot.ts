// One observation of a host's network state, taken in one command and shared by every resource (design §3).
import { parseIpAddr, type ObservedLink } from "../iproute2/parse-ip-addr";
import { parseIpRoute, type ObservedRoute } from "../iproute2/parse-ip-route";
import { parseBridgeFdb } from "../iproute2/parse-bridge-fdb";
import { OWNER_ALIAS } from "../net/owner-alias";
import { parseTcClasses, parseTcFilters, parseTcQdiscs, type TcClass, type TcFilter, type TcQdisc } from "../iproute2/parse-tc";

const SECTION = "@@virtnet-snapshot";

/**
 * Appended to every apply so the result is observed in the same exec. Netlink reports vlan_filtering 0
 * even on kernels without CONFIG_BRIDGE_VLAN_FILTERING, so support is read from sysfs (design §4).
 */
export const SNAPSHOT_SCRIPT = [
  `printf '%s\\n' '${SECTION} addr'; ip -j -d addr show`,
  `printf '\\n%s\\n' '${SECTION} route4'; ip -j -d -4 route show table main`,
  `printf '\\n%s\\n' '${SECTION} route6'; ip -j -d -6 route show table main 2>/dev/null || echo '[]'`,
  // fdb entries only of the bridge ports virtnet made (its alias marker): a busy host's learned table stays out.
  `printf '\\n%s\\n' '${SECTION} fdb'; for f in /sys/class/net/*/ifalias; do read -r a < "$f" || continue; [ "$a" = ${OWNER_ALIAS} ] || continue; d=\${f%/ifalias}; d=\${d##*/}; [ -d "/sys/class/net/$d/brport" ] || continue; printf '%s ' "$d"; bridge -j fdb show brport "$d"; echo; done`,
  // One qdisc listing for the host; classes and filters only of virtnet's devices that shape (HTB or ingress).
  `printf '\\n%s\\n' '${SECTION} qdisc'; tc -j qdisc show`,
  `printf '\\n%s\\n' '${SECTION} tc'; for d in $(tc qdisc show | awk '$2=="htb"||$2=="ingress"{print $5}' | sort -u); do read -r a < "/sys/class/net/$d/ifalias" || continue; [ "$a" = ${OWNER_ALIAS} ] || continue; printf '@@dev %s\\n' "$d"; tc -d class show dev "$d"; printf '@@filter\\n'; tc filter show dev "$d"; printf '@@ingress\\n'; tc filter show dev "$d" parent ffff:; done`,
  `printf '\\n%s\\n' '${SECTION} vlan-filtering'; for f in /sys/class/net/*/bridge/vlan_filtering; do [ -e "$f" ] || continue; d=\${f%/bridge/vlan_filtering}; echo "\${d##*/}"; done`,
].join("\n");

/** A device's qdiscs, HTB classes and u32 filters (egress and ingress). */
export interface DeviceTc {
  qdiscs: TcQdisc[];
  classes: TcClass[];
  filters: TcFilter[];
  ingressFilters: TcFilter[];
}

const NO_TC: DeviceTc = { qdiscs: [], classes: [], filters: [], ingressFilters: [] };

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
  ) {
    this.links = new Map(links.map((l) => [l.name, l]));
  }

  link(name: string): ObservedLink | undefined {
    return this.links.get(name);
  }

  tcOf(dev: string): DeviceTc {
    return this.tc.get(dev) ?? NO_TC;
  }

  routesOn(dev: string): ObservedRoute[] {
    return this.routes.filter((r) => r.dev === dev);
  }

  static parse(stdout: string): HostSnapshot {
    const sections = new Map<string, string>();
    const parts = stdout.split(new RegExp(`^${SECTION} `, "m")).slice(1);
    for (const part of parts) {
      const newline = part.indexOf("\n");
      sections.set(part.slice(0, newline), part.slice(newline + 1));
    }
    const addr = sections.get("addr");
    const vlan = sections.get("vlan-filtering");
    const route4 = sections.get("route4");
    const route6 = sections.get("route6");
    const fdb = sections.get("fdb");
    const qdisc = sections.get("qdisc");
    const tc = sections.get("tc");
    if ([addr, vlan, route4, route6, fdb, qdisc, tc].includes(undefined)) throw new Error("the host's reply has no complete observation in it");
    const vlanCapable = new Set(vlan!.split("\n").filter(Boolean));
    const links = parseIpAddr(addr!).map((l) =>
      l.bridge && !vlanCapable.has(l.name) ? { ...l, bridge: { ...l.bridge, vlanFiltering: undefined } } : l,
    );
    const entries = new Map(
      fdb!
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => {
          const space = line.indexOf(" ");
          return [line.slice(0, space), parseBridgeFdb(line.slice(space + 1))] as const;
        }),
    );
    return new HostSnapshot(links, [...parseIpRoute(route4!, "ipv4"), ...parseIpRoute(route6!, "ipv6")], entries, parseDeviceTc(qdisc!, tc!));
  }
}

function parseDeviceTc(qdiscJson: string, details: string): Map<string, DeviceTc> {
  const byDev = new Map<string, DeviceTc>();
  const qdiscs = JSON.parse(qdiscJson.trim() === "" ? "[]" : qdiscJson) as Array<{ dev?: string }>;
  for (const chunk of details.split(/^@@dev /m).slice(1)) {
    const dev = chunk.slice(0, chunk.indexOf("\n"));
    const [classes, rest] = chunk.slice(dev.length + 1).split(/^@@filter\n/m);
    const [filters, ingress] = (rest ?? "").split(/^@@ingress\n/m);
    byDev.set(dev, {
      qdiscs: parseTcQdiscs(JSON.stringify(qdiscs.filter((q) => q.dev === dev))),
      classes: parseTcClasses(classes),
      filters: parseTcFilters(filters),
      ingressFilters: parseTcFilters(ingress ?? ""),
    });
  }
  return byDev;
}
