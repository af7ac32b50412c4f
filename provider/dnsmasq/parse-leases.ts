// dnsmasq's lease database (`--dhcp-leasefile`), read back into the leases a network reports
// (docs/libvirt-behaviour.md §10.5). virtnet lets dnsmasq keep this file itself instead of libvirt's lease
// helper, so this is dnsmasq's own format: one lease per line, fields separated by a space.
import { addressFamily, normalizeAddress } from "../net/ip-address";
import { parseMac } from "../net/mac";

export interface DnsmasqLease {
  /** The client's Ethernet address (IPv4 leases only; DHCPv6 identifies clients by DUID and IAID). */
  mac?: string;
  /** The identity association of a DHCPv6 lease. */
  iaid?: number;
  ip: string;
  hostname?: string;
  /** The DHCPv4 client identifier or the DHCPv6 client's DUID, hex bytes separated by colons. */
  clientId?: string;
  /** When the lease ends, as an ISO 8601 time; absent for an infinite lease. */
  expiresAt?: string;
}

/**
 * The leases of a lease file, in the file's order. Lines are
 * `EXPIRY MAC IP HOSTNAME CLIENTID` (IPv4) and `EXPIRY [T]IAID IP HOSTNAME CLIENTDUID` (IPv6), where EXPIRY is
 * seconds since the epoch (0: infinite) and `*` stands for an absent hostname or client id. The
 * `duid SERVERDUID` line that precedes the IPv6 leases is dnsmasq's own identity, not a lease. A line that
 * does not fit is skipped, as dnsmasq's own reader skips it, so one damaged line never hides the others.
 */
export function parseDnsmasqLeases(text: string): DnsmasqLease[] {
  const leases: DnsmasqLease[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 5 || fields[0] === "duid") continue;
    const [expiry, hw, address, hostname, clientId] = fields;
    const family = addressFamily(address);
    if (!family || !/^\d+$/.test(expiry)) continue;
    const lease: DnsmasqLease = { ip: normalizeAddress(address) };
    if (family === "ipv4") {
      // dnsmasq prefixes the hardware type ("TT-") only when it is not Ethernet or the address is empty; such a
      // client has no MAC in the Ethernet sense and is known by its client id alone.
      const mac = hw.includes("-") ? undefined : parseMac(hw);
      if (mac) lease.mac = mac;
    } else {
      // A "T" marks a temporary address (IA_TA); the number after it is the IAID either way.
      const iaid = /^T?(\d+)$/.exec(hw);
      if (!iaid) continue;
      lease.iaid = Number(iaid[1]);
    }
    if (hostname !== "*") lease.hostname = hostname;
    if (clientId !== "*") lease.clientId = clientId.toLowerCase();
    const seconds = Number(expiry);
    if (seconds !== 0) lease.expiresAt = new Date(seconds * 1000).toISOString();
    leases.push(lease);
  }
  return leases;
}
