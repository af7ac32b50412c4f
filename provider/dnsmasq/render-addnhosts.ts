// The addn-hosts file of a network: its DNS host records in /etc/hosts form, as libvirt writes them
// (addnhostsAdd and addnhostsWrite, docs/libvirt-behaviour.md §10.3). Like the hostsfile, dnsmasq re-reads it
// on SIGHUP.
import { normalizeAddress } from "../net/ip-address";
import type { DnsHostRecord } from "./dnsmasq-config";

/**
 * One line per distinct address, in the order addresses first appear, holding every name given to that
 * address across records. Each name is followed by a tab, the last one too: that is libvirt's writer, and
 * dnsmasq reads the trailing tab as blank space.
 */
export function renderAddnhosts(records: readonly DnsHostRecord[]): string {
  const names = new Map<string, string[]>();
  for (const record of records) {
    // libvirt adds an address only together with a name, so a record without names leaves no line.
    for (const hostname of record.hostnames) {
      const ip = normalizeAddress(record.ip);
      const list = names.get(ip) ?? [];
      list.push(hostname);
      names.set(ip, list);
    }
  }
  return [...names].map(([ip, list]) => `${ip}\t${list.map((n) => `${n}\t`).join("")}\n`).join("");
}
