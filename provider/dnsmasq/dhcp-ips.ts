// Which ip entries serve DHCP: at most one per family, the one with ranges or hosts (libvirt's
// networkDnsmasqConfContents, docs/libvirt-behaviour.md §10.1). The configuration and the hostsfile both start
// from this choice, so they always agree on it.
import { addressFamily, type IpFamily } from "../net/ip-address";
import type { DnsmasqIp } from "./dnsmasq-config";

export interface DhcpIps {
  ipv4?: DnsmasqIp;
  ipv6?: DnsmasqIp;
}

/** True when the entry serves DHCP. */
export function servesDhcp(ip: DnsmasqIp): boolean {
  return (ip.dhcp?.ranges?.length ?? 0) > 0 || (ip.dhcp?.hosts?.length ?? 0) > 0;
}

/** The family of an entry, from its address. */
export function familyOf(ip: DnsmasqIp): IpFamily {
  const family = addressFamily(ip.address);
  if (!family) throw new Error(`'${ip.address}' is not an IP address`);
  return family;
}

/** The DHCP entry of each family; throws libvirt's message when a family has two. */
export function dhcpIps(ips: readonly DnsmasqIp[]): DhcpIps {
  const chosen: DhcpIps = {};
  for (const ip of ips) {
    if (!servesDhcp(ip)) continue;
    const family = familyOf(ip);
    if (chosen[family]) {
      const name = family === "ipv4" ? "IPv4" : "IPv6";
      throw new Error(`For ${name}, multiple DHCP definitions cannot be specified.`);
    }
    chosen[family] = ip;
  }
  return chosen;
}
