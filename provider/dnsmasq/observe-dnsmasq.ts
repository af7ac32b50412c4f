// What the host has of virtnet's dnsmasq instances (docs/libvirt-behaviour.md §10.4): for each bridge with a
// configuration or a hosts directory, whether its dnsmasq runs, the files virtnet wrote, the lease file and the
// DhcpHost reservations. One section of the host snapshot, read with a constant number of processes per network
// and none at all on a host without virtnet's dnsmasq.
import { DNSMASQ_RUN_DIR, DNSMASQ_STATE_DIR, OWNS_PID } from "./dnsmasq-paths";

export type DnsmasqFileName = "conf" | "hostsfile" | "addnhosts" | "leases";

export interface ObservedDnsmasq {
  /** The pid in the pid file, if any. */
  pid?: number;
  /** That pid is alive and is this bridge's dnsmasq (its command line names the bridge's configuration). */
  running: boolean;
  files: Partial<Record<DnsmasqFileName, string>>;
  /** The hosts directory's files (one per DhcpHost), by file name. */
  hosts: ReadonlyMap<string, string>;
}

/**
 * Each file's lines are printed behind a "|" so that no content can pass for a header. awk ends every line with a
 * newline, so a file whose last line has none reads as if it had one.
 */
export const DNSMASQ_OBSERVE_SCRIPT = [
  `d=${DNSMASQ_STATE_DIR}; if [ -d "$d" ]; then for b in $(ls "$d" | sed -n 's/\\.conf$//p; s/\\.hosts\\.d$//p' | sort -u); do`,
  `p=$(cat "${DNSMASQ_RUN_DIR}/$b.pid" 2>/dev/null); up=0`,
  `if ${OWNS_PID}; then up=1; fi`,
  `printf '@@bridge %s %s %s\\n' "$b" "\${p:--}" "$up"`,
  `for f in conf hostsfile addnhosts leases; do [ -f "$d/$b.$f" ] && printf '@@file %s\\n' "$f" && awk '{ print "|" $0 }' "$d/$b.$f"; done`,
  `for h in "$d/$b.hosts.d"/*; do [ -f "$h" ] && printf '@@host %s\\n' "\${h##*/}" && awk '{ print "|" $0 }' "$h"; done`,
  `done; fi`,
].join("\n");

/** The section's text as observed instances, by bridge. */
export function parseDnsmasqSection(text: string): Map<string, ObservedDnsmasq> {
  const out = new Map<string, ObservedDnsmasq>();
  let current: { files: ObservedDnsmasq["files"]; hosts: Map<string, string> } | undefined;
  let target: ((line: string) => void) | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("|")) {
      target?.(line.slice(1) + "\n");
      continue;
    }
    const header = /^@@(bridge|file|host) (\S+)(?: (\S+) ([01]))?$/.exec(line);
    if (!header) continue;
    const [, kind, name, pid, up] = header;
    if (kind === "bridge") {
      current = { files: {}, hosts: new Map() };
      out.set(name, { ...(pid !== "-" && pid !== undefined ? { pid: Number(pid) } : {}), running: up === "1", files: current.files, hosts: current.hosts });
      target = undefined;
    } else if (current && kind === "file") {
      const files = current.files;
      const file = name as DnsmasqFileName;
      files[file] = "";
      target = (l) => (files[file] += l);
    } else if (current && kind === "host") {
      const hosts = current.hosts;
      hosts.set(name, "");
      target = (l) => hosts.set(name, hosts.get(name) + l);
    }
  }
  return out;
}
