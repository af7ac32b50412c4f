// What a host must offer before virtnet starts a network's dnsmasq (docs/libvirt-behaviour.md §10.6): dnsmasq itself
// in a version libvirt accepts, port 53 not taken on every address, and DHCP ranges no other network serves. Probed
// in one exec, only when a plan is about to start dnsmasq.
import * as ipaddr from "ipaddr.js";
import type { Host } from "./host";
import type { DnsmasqConfig } from "../dnsmasq/dnsmasq-config";
import type { ObservedDnsmasq } from "../dnsmasq/observe-dnsmasq";
import { dhcpIps } from "../dnsmasq/dhcp-ips";

/** libvirt's minimum (DNSMASQ_MIN_MAJOR/MINOR): older ones lack bind-dynamic. */
const MIN_VERSION = [2, 67] as const;
/** Where libvirt keeps its networks' dnsmasq configuration, whose ranges a virtnet network must not overlap. */
const LIBVIRT_DNSMASQ_DIR = "/var/lib/libvirt/dnsmasq";

export interface DnsmasqProbe {
  /** The installed version, or undefined when dnsmasq is not installed. */
  version?: [number, number];
  /** Listeners on port 53 bound to every address (which keep bind-dynamic from binding the bridge's). */
  wildcard53: { address: string; process?: string; pid?: number }[];
  /** DHCP ranges of libvirt's own networks, with the file that has each. */
  libvirtRanges: { source: string; start: string; end: string }[];
}

const SCRIPT = [
  `if command -v dnsmasq >/dev/null 2>&1; then dnsmasq --version 2>/dev/null | head -n 1; else echo none; fi`,
  `printf '@@port53\\n'; ss -H -l -n -u -t -p 'sport = :53' 2>/dev/null`,
  `printf '@@ranges\\n'; for f in ${LIBVIRT_DNSMASQ_DIR}/*.conf; do [ -f "$f" ] && sed -n "s|^dhcp-range=\\([^,]*\\),\\([^,]*\\),.*|$f \\1 \\2|p" "$f"; done; :`,
].join("\n");

export async function probeDnsmasq(host: Host): Promise<DnsmasqProbe> {
  const r = await host.run(SCRIPT);
  if (r.code !== 0) throw new Error(`cannot probe ${host.label} for dnsmasq: ${r.stderr.trim() || `exit ${r.code}`}`);
  return parseDnsmasqProbe(r.stdout);
}

export function parseDnsmasqProbe(text: string): DnsmasqProbe {
  const [head = "", rest = ""] = text.split(/^@@port53\n/m);
  const [port53 = "", ranges = ""] = rest.split(/^@@ranges\n/m);
  const v = /version (\d+)\.(\d+)/i.exec(head);
  const wildcard53 = port53
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^(0\.0\.0\.0|\*|\[::\]|::):53$/.test(f[4]!))
    .map((f) => {
      const users = /\(\("([^"]+)",pid=(\d+)/.exec(f.slice(6).join(" "));
      return { address: f[4]!, ...(users ? { process: users[1], pid: Number(users[2]) } : {}) };
    });
  const libvirtRanges = ranges
    .split("\n")
    .map((l) => l.trim().split(" "))
    .filter((f) => f.length === 3 && ipaddr.isValid(f[1]!) && ipaddr.isValid(f[2]!))
    .map(([source, start, end]) => ({ source: source!, start: start!, end: end! }));
  return { ...(v ? { version: [Number(v[1]), Number(v[2])] as [number, number] } : {}), wildcard53, libvirtRanges };
}

const asNumber = (a: string): bigint => ipaddr.parse(a).toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
const overlaps = (a: { start: string; end: string }, b: { start: string; end: string }) =>
  ipaddr.parse(a.start).kind() === ipaddr.parse(b.start).kind() && asNumber(a.start) <= asNumber(b.end) && asNumber(b.start) <= asNumber(a.end);

/** The DHCP ranges in another virtnet network's configuration as observed. */
function virtnetRanges(bridge: string, others: ReadonlyMap<string, ObservedDnsmasq>): DnsmasqProbe["libvirtRanges"] {
  return [...others].filter(([b]) => b !== bridge).flatMap(([b, o]) =>
    [...(o.files.conf ?? "").matchAll(/^dhcp-range=([^,\n]+),([^,\n]+),/gm)].filter((m) => ipaddr.isValid(m[1]!) && ipaddr.isValid(m[2]!)).map((m) => ({ source: `virtnet's network on ${b}`, start: m[1]!, end: m[2]! })),
  );
}

/** Why dnsmasq cannot be started for `config` on the host, each naming the host and the remedy. */
export function dnsmasqPreflightProblems(config: DnsmasqConfig, probe: DnsmasqProbe, others: ReadonlyMap<string, ObservedDnsmasq>, hostLabel: string): string[] {
  if (!probe.version) {
    return [`dnsmasq is not installed on ${hostLabel}; networks with DHCP or DNS need it (Debian/Ubuntu: apt-get install dnsmasq-base; Fedora/RHEL: dnf install dnsmasq)`];
  }
  const problems: string[] = [];
  const [major, minor] = probe.version;
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    problems.push(`dnsmasq version >= ${MIN_VERSION[0]}.${MIN_VERSION[1]} required but ${major}.${minor} found on ${hostLabel}; upgrade dnsmasq`);
  }
  if (config.dns?.enable !== false) {
    // ss lists a DNS server once for UDP and once for TCP: one problem per address and process.
    const seen = new Set<string>();
    for (const l of probe.wildcard53) {
      const key = `${l.address} ${l.pid ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const who = l.process ? ` (${l.process}${l.pid !== undefined ? `, pid ${l.pid}` : ""})` : "";
      problems.push(`a DNS server already listens on ${l.address} on ${hostLabel}${who} and keeps dnsmasq from binding ${config.bridge}; make it bind only its own interfaces, or set dns.enable: false`);
    }
  }
  const { ipv4, ipv6 } = dhcpIps(config.ips);
  const taken = [...probe.libvirtRanges, ...virtnetRanges(config.bridge, others)];
  for (const ip of [ipv4, ipv6]) {
    for (const range of ip?.dhcp?.ranges ?? []) {
      const clash = taken.find((t) => overlaps(range, t));
      if (clash) problems.push(`DHCP range ${range.start} - ${range.end} overlaps ${clash.start} - ${clash.end} of ${clash.source} on ${hostLabel}; two DHCP servers would hand out the same addresses: choose another range`);
    }
  }
  return problems;
}
