// A lease time as dnsmasq reads it at the end of a dhcp-range or hostsfile line (libvirt's
// networkBuildDnsmasqLeaseTime): "infinite" for 0, else the number and the unit's first letter.
import type { LeaseTime } from "./dnsmasq-config";

export function renderLeaseTime(lease: LeaseTime): string {
  return lease.expiry === 0 ? "infinite" : `${lease.expiry}${lease.unit[0]}`;
}
