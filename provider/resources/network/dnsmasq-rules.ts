// libvirt's rules for a network's DHCP and DNS inputs (docs/libvirt-behaviour.md §10, the rules in §10.7), checked at
// preview with libvirt's own messages so that what the network's dnsmasq would refuse, or libvirt before it, never
// reaches a host. Each failure names the property it is about.
import * as ipaddr from "ipaddr.js";
import { type IpFamily, addressFamily, broadcastAddress, effectivePrefix, maxPrefix, networkAddress, normalizeAddress } from "../../net/ip-address";
import { isMulticastMac, parseMac } from "../../net/mac";
import { ptrDomain, ptrDomainError } from "../../dnsmasq/ptr-domain";
import type { CheckFailure } from "../../schema/check-failures";
import { isUnknown, type Unknown } from "../../unknown";
import { isKnown, type Known } from "../../known";
import type { DhcpHostInputs, DhcpInputs, DnsInputs, LeaseInputs } from "./dnsmasq-schema";
import { isHostBridge, libvirtNameOf, type IpInputs, type NetworkInputs } from "./schema";

/** One problem of one element: `field` is relative to the element, "" for the element as a whole. */
export interface Problem {
  field: string;
  reason: string;
}

/** The <ip> entry a reservation belongs to: its family decides which identifiers a host may have. */
export interface ReservationParent {
  family: IpFamily;
  /** The entry's subnet, when known: a reservation outside it could never be handed out. */
  subnet?: { address: string; prefix: number; label: string };
}

type DhcpRange = NonNullable<Exclude<DhcpInputs["ranges"], Unknown>>[number];
type DnsSrv = NonNullable<Exclude<DnsInputs["srvs"], Unknown>>[number];

/** An <ip> entry's family, address as written and effective prefix; undefined while unknown or wrong (rules.ts says why). */
interface Subnet {
  family: IpFamily;
  address: string;
  prefix: number;
}

/** dnsmasq's minimum lease (its man page: "The minimum lease time is two minutes"), which libvirt enforces. */
const MIN_LEASE_SECONDS = 120;
const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600 } as const;

/** libvirt's DNS_RECORD_LENGTH_SRV: a DNS name's 512 bytes less room for the protocol and domain labels. */
const MAX_SRV_SERVICE_BYTES = 482;
const SERVICE_CHARS = /^[A-Za-z0-9_+/*-]*$/;
const PROTOCOL_CHARS = /^[A-Za-z0-9+/-]*$/;

/** getaddrinfo's answer for text that is no numeric address, which libvirt passes on. */
const notAnAddress = (text: string) => `Cannot parse socket address '${text}': Name or service not known`;

export function dnsmasqRuleFailures(n: NetworkInputs): CheckFailure[] {
  const name = libvirtNameOf(n);
  if (isHostBridge(n.forward)) return hostBridgeFailures(n, name);
  const failures: CheckFailure[] = [];
  if (!isUnknown(n.ips)) failures.push(...ipFailures(n.ips, dnsEnabled(n.dns), name));
  if (n.dns !== undefined && !isUnknown(n.dns)) failures.push(...dnsFailures(n.dns, name));
  return failures;
}

/** virtnet starts no dnsmasq for a bridge it does not own, so nothing that only dnsmasq would serve may be given. */
function hostBridgeFailures(n: NetworkInputs, name: string): CheckFailure[] {
  const reason = `network '${name}' uses a host bridge (forward mode 'bridge'); virtnet runs no dnsmasq there: remove dhcp, tftp, domain, dns and dnsmasqOptions`;
  const fields: [string, unknown][] = [];
  if (!isUnknown(n.ips)) n.ips.forEach((ip, i) => fields.push([`ips[${i}].dhcp`, ip.dhcp], [`ips[${i}].tftp`, ip.tftp]));
  fields.push(["domain", n.domain], ["dns", n.dns], ["dnsmasqOptions", n.dnsmasqOptions]);
  return fields.filter(([, value]) => given(value)).map(([property]) => ({ property, reason }));
}

/** true, false, or undefined while unknown: DNS is on unless turned off (§10.2). */
function dnsEnabled(dns: NetworkInputs["dns"]): boolean | undefined {
  if (dns === undefined) return true;
  if (isUnknown(dns) || isUnknown(dns.enable)) return undefined;
  return dns.enable !== false;
}

function ipFailures(ips: IpInputs[], dns: boolean | undefined, name: string): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const dhcpSeen = new Set<IpFamily>();
  ips.forEach((ip, i) => {
    const subnet = subnetOf(ip);
    if (subnet === undefined) return;
    const where = `ips[${i}]`;
    const family = subnet.family === "ipv4" ? "IPv4" : "IPv6";

    if (ip.dhcp !== undefined && !isUnknown(ip.dhcp)) {
      failures.push(...dhcpFailures(ip.dhcp, subnet, where, name));
      // dnsmasq's DHCP is configured from one <ip> of each family (§10.1); libvirt refuses a second at define.
      if (servesDhcp(ip.dhcp)) {
        if (dhcpSeen.has(subnet.family)) {
          fail(`${where}.dhcp`, `Multiple ${family} dhcp sections found -- dhcp is supported only for a single ${family} address on each network`);
        }
        dhcpSeen.add(subnet.family);
      }
    }
    if (given(ip.tftp) && subnet.family === "ipv6") fail(`${where}.tftp`, `Unsupported <tftp> element in an IPv6 element in network '${name}'`);
    // The zone is only written while DNS is on (§10.2 item 5), and only then can it fail.
    if (ip.localPtr === true && dns === true && ptrDomain(subnet.address, subnet.prefix) === undefined) {
      fail(`${where}.localPtr`, ptrDomainError(subnet.address, subnet.prefix));
    }
  });
  return failures;
}

/**
 * The entry's subnet once its own fields are known and sound; an entry that is not gets its failure from
 * networkRuleFailures, and nothing inside it can be checked against it.
 */
function subnetOf(ip: IpInputs): Subnet | undefined {
  const fields = { address: ip.address, prefix: ip.prefix, netmask: ip.netmask, family: ip.family };
  if (!isKnown(fields)) return undefined;
  const { address, prefix, netmask, family } = fields;
  const actual = addressFamily(address);
  if (actual === undefined || actual !== (family ?? "ipv4")) return undefined;
  if (netmask !== undefined && (prefix !== undefined || actual === "ipv6" || addressFamily(netmask) !== "ipv4")) return undefined;
  if (prefix !== undefined && prefix > maxPrefix(actual)) return undefined;
  const effective = effectivePrefix(address, prefix, netmask);
  return effective === undefined ? undefined : { family: actual, address, prefix: effective };
}

/** libvirt's test: an <ip> serves DHCP when it has a range or a host; bootp alone does nothing. */
function servesDhcp(dhcp: Exclude<DhcpInputs, Unknown>): boolean {
  const some = (list: readonly unknown[] | Unknown | undefined) => list !== undefined && !isUnknown(list) && list.length > 0;
  return some(dhcp.ranges) || some(dhcp.hosts);
}

/** `entry` is the <ip> entry's own path, `ips[i]`. */
function dhcpFailures(dhcp: Exclude<DhcpInputs, Unknown>, subnet: Subnet, entry: string, name: string): CheckFailure[] {
  const where = `${entry}.dhcp`;
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  if (dhcp.ranges !== undefined && !isUnknown(dhcp.ranges)) {
    const seen: string[] = [];
    dhcp.ranges.forEach((range, j) => {
      const at = `${where}.ranges[${j}]`;
      const problem = rangeProblem(range, subnet, name);
      if (problem) return fail(join(at, problem.field), problem.reason);
      if (isUnknown(range.start) || isUnknown(range.end) || range.start === undefined || range.end === undefined) return;
      // net-update refuses to add a range that is already there; in one definition it is the same mistake.
      const start = normalizeAddress(range.start);
      const end = normalizeAddress(range.end);
      const key = `${start} ${end}`;
      if (seen.includes(key)) fail(at, `there is an existing dhcp range entry in network '${name}' that matches "<range start='${start}' end='${end}'/>"`);
      seen.push(key);
    });
  }

  if (dhcp.hosts !== undefined && !isUnknown(dhcp.hosts)) {
    const parent: ReservationParent = { family: subnet.family, subnet: { address: subnet.address, prefix: subnet.prefix, label: entry } };
    const valid: Known<DhcpHostInputs>[] = [];
    dhcp.hosts.forEach((host, k) => {
      const at = `${where}.hosts[${k}]`;
      const problem = dhcpHostProblem(host, parent, name);
      if (problem) return fail(join(at, problem.field), problem.reason);
      if (!isKnown(host)) return;
      const clash = duplicateHost(host, valid, name);
      if (clash) fail(join(at, clash.field), clash.reason);
      valid.push(host);
    });
  }

  // libvirt reads <bootp> only in an IPv4 <ip>; in an IPv6 one it is ignored.
  const bootp = dhcp.bootp;
  if (bootp !== undefined && !isUnknown(bootp) && subnet.family === "ipv4") {
    if (bootp.file === undefined) fail(`${where}.bootp.file`, "Missing required attribute 'file' in element 'bootp'");
    if (bootp.server !== undefined && !isUnknown(bootp.server) && addressFamily(bootp.server) === undefined) {
      fail(`${where}.bootp.server`, notAnAddress(bootp.server));
    }
  }
  return failures;
}

/** The first problem of one <range>, in libvirt's order (virNetworkDHCPRangeDefParseXML, virSocketAddrGetRange). */
function rangeProblem(range: DhcpRange, subnet: Subnet, name: string): Problem | undefined {
  const { start, end } = range;
  if (start === undefined) return { field: "start", reason: `Missing 'start' attribute in dhcp range for network '${name}'` };
  if (!isUnknown(start) && addressFamily(start) === undefined) return { field: "start", reason: notAnAddress(start) };
  if (end === undefined) return { field: "end", reason: `Missing 'end' attribute in dhcp range for network '${name}'` };
  if (!isUnknown(end) && addressFamily(end) === undefined) return { field: "end", reason: notAnAddress(end) };
  if (!isUnknown(start) && !isUnknown(end)) {
    const problem = spanProblem(start, end, subnet);
    if (problem) return problem;
  }
  const lease = leaseProblem(range.lease);
  return lease ? { field: "lease.expiry", reason: lease } : undefined;
}

/** virSocketAddrGetRange with the network given: the range lies inside the subnet, in order, and is small enough. */
function spanProblem(startText: string, endText: string, subnet: Subnet): Problem | undefined {
  const start = normalizeAddress(startText);
  const end = normalizeAddress(endText);
  const range = `${start} - ${end}`;
  const network = `${subnet.address}/${subnet.prefix}`;
  const family = addressFamily(start);
  if (family !== addressFamily(end)) return { field: "end", reason: `mismatch of address family in range ${range}` };
  if (family !== subnet.family) return { field: "start", reason: `mismatch of address family in range ${range} for network ${subnet.address}` };
  const base = networkAddress(subnet.address, subnet.prefix);
  for (const field of ["start", "end"] as const) {
    const address = field === "start" ? start : end;
    if (networkAddress(address, subnet.prefix) !== base) return { field, reason: `range ${range} is not entirely within network ${network}` };
  }
  if (family === "ipv4") {
    // Neither address may be handed to a guest: one names the subnet, the other reaches every host on it.
    if (start === base) return { field: "start", reason: `start of range ${range} in network ${network} is the network address` };
    if (end === broadcastAddress(subnet.address, subnet.prefix)) return { field: "end", reason: `end of range ${range} in network ${network} is the broadcast address` };
    const a = ipaddr.IPv4.parse(start).octets;
    const b = ipaddr.IPv4.parse(end).octets;
    // libvirt's legacy limit: a range may differ from its start only in the last two bytes.
    if (a[0] !== b[0] || a[1] !== b[1]) return { field: "end", reason: `range ${range} is too large (> 65535)` };
    // libvirt's message ends with a space.
    if ((b[2] - a[2]) * 256 + (b[3] - a[3]) < 0) return { field: "end", reason: `range ${range} is reversed ` };
    return undefined;
  }
  const a = ipaddr.IPv6.parse(start).parts;
  const b = ipaddr.IPv6.parse(end).parts;
  // dnsmasq's lease count for IPv6 is taken from the last group alone (§10.2 item 13).
  if (a.slice(0, 7).some((group, i) => group !== b[i])) return { field: "end", reason: `range ${range} is too large (> 65535)` };
  if (b[7] < a[7]) return { field: "end", reason: `range ${range} start larger than end` };
  return undefined;
}

/** libvirt's message for a lease dnsmasq would lengthen to its two-minute minimum; 0 is an infinite lease. */
export function leaseProblem(lease: LeaseInputs | Unknown | undefined): string | undefined {
  if (lease === undefined || isUnknown(lease) || isUnknown(lease.expiry) || isUnknown(lease.unit)) return undefined;
  if (lease.expiry > 0 && lease.expiry * UNIT_SECONDS[lease.unit] < MIN_LEASE_SECONDS) return "The minimum lease time should be greater than 2 minutes";
  return undefined;
}

/**
 * The first problem of one reservation, in libvirt's order (virNetworkDHCPHostDefParseXML), then the checks libvirt
 * makes only in net-update and virtnet's own subnet check. Shared with the DhcpHost resource, which names its network.
 */
export function dhcpHostProblem(host: DhcpHostInputs, parent: ReservationParent, networkName: string): Problem | undefined {
  const { mac, id, name, ip } = host;
  if (mac !== undefined && !isUnknown(mac)) {
    // dnsmasq matches DHCPv6 clients by DUID, never by MAC.
    if (parent.family === "ipv6") return { field: "mac", reason: `Invalid to specify MAC address '${mac}' in network '${networkName}' IPv6 static host definition` };
    const parsed = parseMac(mac);
    if (parsed === undefined) return { field: "mac", reason: `Cannot parse MAC address '${mac}' in network '${networkName}'` };
    if (isMulticastMac(parsed)) return { field: "mac", reason: `expected unicast mac address, found multicast '${mac}' in network '${networkName}'` };
  }
  if (id !== undefined && !isUnknown(id)) {
    const bad = /[^0-9a-fA-F:]/.exec(id);
    if (bad) return { field: "id", reason: `Invalid character '${bad[0]}' in id '${id}' of network '${networkName}'` };
  }
  // dnsmasq tells a hostsfile line's fields apart by their shape (id:…, set:…, wildcard MACs), so libvirt lets a
  // name start only with a letter or a digit.
  if (name !== undefined && !isUnknown(name) && !/^[A-Za-z0-9]/.test(name)) {
    return { field: "name", reason: `Cannot use host name '${name}' in network '${networkName}'` };
  }
  if (ip !== undefined && !isUnknown(ip) && addressFamily(ip) === undefined) {
    return { field: "ip", reason: `Invalid IP address in static host definition for network '${networkName}'` };
  }
  if (parent.family === "ipv6" && id === undefined && name === undefined) {
    return { field: "", reason: `Static host definition in IPv6 network '${networkName}' must have id or name attribute` };
  }
  if (parent.family === "ipv4" && mac === undefined && name === undefined) {
    return { field: "", reason: `Static host definition in IPv4 network '${networkName}' must have mac or name attribute` };
  }
  if (ip === undefined) return { field: "ip", reason: `Missing IP address in static host definition for network '${networkName}'` };
  const lease = leaseProblem(host.lease);
  if (lease) return { field: "lease.expiry", reason: lease };
  if (isUnknown(ip)) return undefined;
  if (addressFamily(ip) !== parent.family) {
    return { field: "ip", reason: "the address family of a host entry IP must match the address family of the dhcp element's parent" };
  }
  const subnet = parent.subnet;
  if (subnet && networkAddress(ip, subnet.prefix) !== networkAddress(subnet.address, subnet.prefix)) {
    return { field: "ip", reason: `host ip '${ip}' is not inside network ${networkAddress(subnet.address, subnet.prefix)}/${subnet.prefix} of ${subnet.label}` };
  }
  return undefined;
}

/** net-update's refusal of a host that shares its MAC, name or address with one already there (libvirt's order). */
export function duplicateHost(host: Known<DhcpHostInputs>, earlier: Known<DhcpHostInputs>[], networkName: string): Problem | undefined {
  const sameMac = (other: Known<DhcpHostInputs>) => host.mac !== undefined && other.mac !== undefined && parseMac(host.mac) === parseMac(other.mac);
  const sameName = (other: Known<DhcpHostInputs>) => host.name !== undefined && host.name === other.name;
  const sameIp = (other: Known<DhcpHostInputs>) => host.ip !== undefined && other.ip !== undefined && normalizeAddress(host.ip) === normalizeAddress(other.ip);
  const field = earlier.some(sameMac) ? "mac" : earlier.some(sameName) ? "name" : earlier.some(sameIp) ? "ip" : undefined;
  if (field === undefined) return undefined;
  const attributes = [
    host.mac !== undefined ? ` mac='${host.mac}'` : "",
    host.name !== undefined ? ` name='${host.name}'` : "",
    host.ip !== undefined ? ` ip='${normalizeAddress(host.ip)}'` : "",
  ].join("");
  return { field, reason: `there is an existing dhcp host entry in network '${networkName}' that matches "<host${attributes}/>"` };
}

/** The <dns> element's rules, in libvirt's order (virNetworkDNSDefParseXML): forwarders, hosts, SRV, then TXT records. */
function dnsFailures(dns: Exclude<DnsInputs, Unknown>, name: string): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  if (dns.forwarders !== undefined && !isUnknown(dns.forwarders)) {
    dns.forwarders.forEach((f, k) => {
      if (f.addr !== undefined && !isUnknown(f.addr) && addressFamily(f.addr) === undefined) {
        return fail(`dns.forwarders[${k}].addr`, `Invalid forwarder IP address '${f.addr}' in network '${name}'`);
      }
      if (f.addr === undefined && f.domain === undefined) fail(`dns.forwarders[${k}]`, "Invalid forwarder element, must contain at least one of addr or domain");
    });
  }

  if (dns.hosts !== undefined && !isUnknown(dns.hosts)) {
    const seen: string[] = [];
    dns.hosts.forEach((h, k) => {
      const at = `dns.hosts[${k}]`;
      const missingName = `Missing hostname in network '${name}' DNS HOST record`;
      if (h.hostnames !== undefined && !isUnknown(h.hostnames)) {
        if (h.hostnames.length === 0) return fail(`${at}.hostnames`, missingName);
        const empty = h.hostnames.indexOf("");
        if (empty >= 0) return fail(`${at}.hostnames[${empty}]`, missingName);
      } else if (h.hostnames === undefined) {
        return fail(`${at}.hostnames`, missingName);
      }
      if (h.ip === undefined) return fail(`${at}.ip`, `Missing IP address in network '${name}' DNS HOST record`);
      if (isUnknown(h.ip)) return;
      if (addressFamily(h.ip) === undefined) return fail(`${at}.ip`, `Invalid IP address in network '${name}' DNS HOST record`);
      // One address, one record: more names for it belong in its hostnames.
      const ip = normalizeAddress(h.ip);
      if (seen.includes(ip)) fail(`${at}.ip`, `there is already at least one DNS HOST record with a matching field in network ${name}`);
      seen.push(ip);
    });
  }

  if (dns.srvs !== undefined && !isUnknown(dns.srvs)) {
    const valid: Known<DnsSrv>[] = [];
    dns.srvs.forEach((srv, k) => {
      const at = `dns.srvs[${k}]`;
      const problem = srvProblem(srv, name);
      if (problem) return fail(join(at, problem.field), problem.reason);
      if (!isKnown(srv)) return;
      if (valid.some((other) => srvMatches(srv, other))) fail(at, `there is already at least one DNS SRV record matching all specified fields in network ${name}`);
      valid.push(srv);
    });
  }

  if (dns.txts !== undefined && !isUnknown(dns.txts)) {
    const seen: string[] = [];
    dns.txts.forEach((txt, k) => {
      const at = `dns.txts[${k}]`;
      if (txt.name === undefined) return fail(`${at}.name`, `missing required name attribute in DNS TXT record of network ${name}`);
      // dnsmasq's txt-record= line separates its fields with commas.
      if (!isUnknown(txt.name) && /[ ,]/.test(txt.name)) return fail(`${at}.name`, `prohibited character in DNS TXT record name '${txt.name}' of network ${name}`);
      if (isUnknown(txt.name)) return;
      if (txt.value === undefined) return fail(`${at}.value`, `missing required value attribute in DNS TXT record named '${txt.name}' of network ${name}`);
      if (seen.includes(txt.name)) fail(`${at}.name`, `there is already a DNS TXT record with name '${txt.name}' in network ${name}`);
      seen.push(txt.name);
    });
  }

  // With DNS off there is nothing to serve the records and forwarders from; libvirt refuses rather than drop them.
  if (dns.enable === false) {
    const lists = ["forwarders", "hosts", "srvs", "txts"] as const;
    const extra = lists.find((list) => {
      const value = dns[list];
      return value !== undefined && !isUnknown(value) && value.length > 0;
    });
    if (extra) fail(`dns.${extra}`, `Extra data in disabled network '${name}'`);
  }
  return failures;
}

/** The first problem of one <srv>, in libvirt's order (virNetworkDNSSrvDefParseXML). */
function srvProblem(srv: DnsSrv, name: string): Problem | undefined {
  const { service, protocol, target } = srv;
  if (service === undefined) return { field: "service", reason: `missing required service attribute in DNS SRV record of network '${name}'` };
  if (!isUnknown(service)) {
    if (Buffer.byteLength(service) > MAX_SRV_SERVICE_BYTES) {
      return { field: "service", reason: `service attribute '${service}' in network '${name}' is too long, limit is ${MAX_SRV_SERVICE_BYTES} bytes` };
    }
    // '.' separates the service, protocol and domain labels of the srv-host= line and cannot be escaped there.
    if (!SERVICE_CHARS.test(service)) return { field: "service", reason: `invalid character in service attribute '${service}' in DNS SRV record of network '${name}'` };
  }
  if (!isUnknown(protocol) && protocol !== undefined && !PROTOCOL_CHARS.test(protocol)) {
    return { field: "protocol", reason: `invalid character in protocol attribute '${protocol}' in DNS SRV record of network '${name}'` };
  }
  // The remaining messages name the service.
  if (isUnknown(service)) return undefined;
  if (protocol === undefined) return { field: "protocol", reason: `missing required protocol attribute in DNS SRV record '${service}' of network '${name}'` };
  // libvirt capitalises only the priority's message.
  const numbers = [
    ["port", srv.port, 1, "invalid"],
    ["priority", srv.priority, 0, "Invalid"],
    ["weight", srv.weight, 0, "invalid"],
  ] as const;
  for (const [field, value, min, invalid] of numbers) {
    if (value === undefined) continue;
    // dnsmasq's srv-host= has no place for these without a target to attach them to.
    if (target === undefined) return { field, reason: `DNS SRV ${field} attribute not permitted without target for service '${service}' in network '${name}'` };
    if (!isUnknown(value) && (value < min || value > 65535)) return { field, reason: `${invalid} DNS SRV ${field} attribute for service '${service}' in network '${name}'` };
  }
  return undefined;
}

/** net-update's duplicate test: every field the new record gives equals the existing record's. */
function srvMatches(srv: Known<DnsSrv>, other: Known<DnsSrv>): boolean {
  return (["domain", "service", "protocol", "target"] as const).every((field) => srv[field] === undefined || srv[field] === other[field]);
}

/** An unknown value may still turn out to be absent. */
function given(value: unknown): boolean {
  return value !== undefined && !isUnknown(value);
}

function join(base: string, field: string): string {
  return field === "" ? base : `${base}.${field}`;
}
