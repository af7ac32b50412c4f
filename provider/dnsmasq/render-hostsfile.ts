// The dhcp-hostsfile of a network: one static reservation per line, in the format libvirt writes
// (hostsfileAdd and dnsmasqDhcpHostsToString, docs/libvirt-behaviour.md §10.3). dnsmasq re-reads this file on
// SIGHUP, which is why reservations live here and not in the configuration.
import { addressFamily, normalizeAddress } from "../net/ip-address";
import type { DhcpStaticHost, DnsmasqConfig } from "./dnsmasq-config";
import { dhcpIps } from "./dhcp-ips";
import { renderLeaseTime } from "./lease-time";

/** The network's own reservations in libvirt's order: those of the IPv4 DHCP entry, then the IPv6 one's. */
export function networkDhcpHosts(config: DnsmasqConfig): DhcpStaticHost[] {
  const { ipv4, ipv6 } = dhcpIps(config.ips);
  return [...(ipv4?.dhcp?.hosts ?? []), ...(ipv6?.dhcp?.hosts ?? [])];
}

/** One line: `MAC,IP,NAME` style for IPv4, `id:ID,NAME,[IP]` style for IPv6, then `,LEASE` if any. */
export function renderHostsfileLine(host: DhcpStaticHost): string {
  const ip = normalizeAddress(host.ip);
  let line: string;
  if (addressFamily(ip) === "ipv6") {
    const key = [host.id === undefined ? undefined : `id:${host.id}`, host.name].filter((k) => k !== undefined);
    line = `${key.join(",")},[${ip}]`;
  } else if (host.name !== undefined && host.mac !== undefined) {
    line = `${host.mac},${ip},${host.name}`;
  } else if (host.name !== undefined) {
    line = `${host.name},${ip}`;
  } else {
    line = `${host.mac},${ip}`;
  }
  return host.lease ? `${line},${renderLeaseTime(host.lease)}` : line;
}

/** The whole file; empty when there is no reservation (dnsmasq still wants the file to exist). */
export function renderHostsfile(hosts: readonly DhcpStaticHost[]): string {
  return hosts.map((h) => renderHostsfileLine(h) + "\n").join("");
}
