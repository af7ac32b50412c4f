// A network's dnsmasq configuration file, line for line as libvirt 11 writes it (networkDnsmasqConfContents,
// docs/libvirt-behaviour.md §10.2), with virtnet's paths. Keeping libvirt's exact text, header included, means
// a guest sees the same DHCP and DNS behaviour as under libvirt, and the golden tests can hold libvirt's own
// expected files with only the paths changed.
import * as ipaddr from "ipaddr.js";
import { normalizeAddress } from "../net/ip-address";
import type { DnsmasqConfig, DnsmasqIp, DnsSrvRecord } from "./dnsmasq-config";
import type { DnsmasqPaths } from "./dnsmasq-paths";
import { dhcpIps, familyOf, servesDhcp } from "./dhcp-ips";
import { dhcpRangeSize } from "./dhcp-range-size";
import { renderLeaseTime } from "./lease-time";
import { ptrDomain, ptrDomainError } from "./ptr-domain";

/**
 * The paths the configuration names. `pidFile` is optional because libvirt writes `pid-file=` only when it is
 * given one, and its own test files are rendered without: leaving it out reproduces them exactly.
 */
export type DnsmasqConfPaths = Pick<DnsmasqPaths, "hostsfile" | "addnhosts"> & Partial<Pick<DnsmasqPaths, "pidFile">>;

/** The configuration text, every line ending in a newline. Throws libvirt's message where libvirt fails. */
export function renderDnsmasqConf(config: DnsmasqConfig, paths: DnsmasqConfPaths): string {
  const dns = config.dns ?? {};
  const wantDns = dns.enable !== false;
  const lines: string[] = [
    "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE",
    "##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:",
    `##    virsh net-edit ${config.networkName}`,
    "## or other application using the libvirt API.",
    "##",
    "## dnsmasq conf file created by libvirt",
    // Query upstream servers in resolv.conf's order, as glibc does.
    "strict-order",
  ];

  // Port 0 keeps dnsmasq from serving DNS while it still serves DHCP.
  if (!wantDns) lines.push("port=0");

  if (wantDns && dns.forwarders) {
    // The host's resolv.conf is only dropped when some forwarder takes every query not claimed by a domain.
    let noResolv = false;
    for (const fwd of dns.forwarders) {
      const domain = fwd.domain === undefined ? "" : `/${fwd.domain}/`;
      if (fwd.addr !== undefined) {
        lines.push(`server=${domain}${normalizeAddress(fwd.addr)}`);
        if (fwd.domain === undefined) noResolv = true;
      } else {
        // "#" means: answer this domain from local data only, never forward it.
        lines.push(`server=${domain}#`);
      }
    }
    if (noResolv) lines.push("no-resolv");
  }

  // Unlike the other DNS lines, the domain is written even when DNS is off: DHCP hands it to clients too.
  if (config.domain) {
    if (config.domain.localOnly === true) lines.push(`local=/${config.domain.name}/`);
    lines.push(`domain=${config.domain.name}`, "expand-hosts");
  }

  if (wantDns) {
    for (const ip of config.ips) {
      if (ip.localPtr !== true) continue;
      const zone = ptrDomain(ip.address, ip.prefix);
      if (zone === undefined) throw new Error(ptrDomainError(ip.address, ip.prefix));
      lines.push(`local=/${zone}/`);
    }
  }

  if (wantDns && dns.forwardPlainNames === false) lines.push("domain-needed", "local=//");

  if (paths.pidFile !== undefined) lines.push(`pid-file=${paths.pidFile}`);

  // dnsmasq listens on loopback unless told not to; bind-dynamic with only interface= answers only queries that
  // arrive on the bridge (libvirt's fix for CVE-2012-3411).
  lines.push("except-interface=lo", "bind-dynamic", `interface=${config.bridge}`);

  if (config.isolated) {
    // An isolated network has no way out: no default route for DHCP clients, no upstream DNS, and router
    // advertisements whose implicit default route has a lifetime of 0.
    lines.push("dhcp-option=3", "no-resolv", "ra-param=*,0,0");
  }

  if (wantDns) {
    for (const txt of dns.txts ?? []) lines.push(`txt-record=${txt.name},${txt.value}`);
    for (const srv of dns.srvs ?? []) lines.push(srvLine(srv));
  }

  let tftpEnabled = false;
  for (const ip of config.ips) {
    if (familyOf(ip) !== "ipv4" || ip.tftpRoot === undefined) continue;
    if (!tftpEnabled) lines.push("enable-tftp");
    tftpEnabled = true;
    lines.push(`tftp-root=${ip.tftpRoot}`);
  }

  const { ipv4, ipv6 } = dhcpIps(config.ips);
  let leaseMax = 0;
  for (const ip of [ipv4, ipv6]) {
    if (ip) leaseMax += dhcpLines(ip, lines);
  }
  if (leaseMax > 0) lines.push(`dhcp-lease-max=${leaseMax}`);

  // Written even with no reservation yet, so that reservations can be added at run time with a SIGHUP.
  if (ipv4 || ipv6) lines.push(`dhcp-hostsfile=${paths.hostsfile}`);
  if (wantDns) lines.push(`addn-hosts=${paths.addnhosts}`);

  if (config.mtu !== undefined && config.mtu > 0) lines.push(`dhcp-option=option:mtu,${config.mtu}`);

  if (ipv6) {
    lines.push("enable-ra");
  } else {
    // Without DHCPv6, each IPv6 subnet is still announced so that guests configure themselves (SLAAC).
    for (const ip of config.ips) {
      if (familyOf(ip) === "ipv6" && !servesDhcp(ip)) lines.push(`dhcp-range=${normalizeAddress(ip.address)},ra-only`);
    }
  }

  lines.push(...(config.dnsmasqOptions ?? []));
  return lines.map((l) => l + "\n").join("");
}

/**
 * `srv-host=_SERVICE._PROTOCOL[.DOMAIN][,TARGET[,PORT[,PRIORITY[,WEIGHT]]]]`. The fields are positional, so a
 * field left out before one that is given takes dnsmasq's default (port 1, priority 0). A target of "." means
 * the service is not offered, and then nothing follows it.
 */
function srvLine(srv: DnsSrvRecord): string {
  let line = `srv-host=_${srv.service}._${srv.protocol}`;
  if (srv.domain !== undefined) line += `.${srv.domain}`;
  if (srv.target !== undefined && srv.target !== ".") {
    // libvirt tests for non-zero values, so an explicit 0 counts as absent.
    const port = srv.port ?? 0;
    const priority = srv.priority ?? 0;
    const weight = srv.weight ?? 0;
    line += `,${srv.target}`;
    if (port || priority || weight) line += `,${port || 1}`;
    if (priority || weight) line += `,${priority}`;
    if (weight) line += `,${weight}`;
  }
  return line;
}

/** Appends one DHCP entry's lines (networkDnsmasqConfDHCP) and returns how many addresses its ranges hold. */
function dhcpLines(ip: DnsmasqIp, lines: string[]): number {
  const ipv6 = familyOf(ip) === "ipv6";
  const ranges = ip.dhcp?.ranges ?? [];
  const hosts = ip.dhcp?.hosts ?? [];
  let size = 0;
  for (const range of ranges) {
    // dnsmasq wants a netmask for IPv4 and a prefix length for IPv6.
    const mask = ipv6 ? String(ip.prefix) : ipaddr.IPv4.subnetMaskFromPrefixLength(ip.prefix).toString();
    const lease = range.lease ? `,${renderLeaseTime(range.lease)}` : "";
    lines.push(`dhcp-range=${normalizeAddress(range.start)},${normalizeAddress(range.end)},${mask}${lease}`);
    size += dhcpRangeSize(range.start, range.end);
  }
  if (ranges.length === 0 && hosts.length > 0) {
    // Reservations without a range still need a dhcp-range, or dnsmasq serves no DHCP on the subnet at all.
    lines.push(`dhcp-range=${normalizeAddress(ip.address)},static${ipv6 ? `,${ip.prefix}` : ""}`);
  }
  if (!ipv6) {
    lines.push("dhcp-no-override", "dhcp-authoritative");
    const bootp = ip.dhcp?.bootp;
    if (bootp) lines.push(bootp.server === undefined ? `dhcp-boot=${bootp.file}` : `dhcp-boot=${bootp.file},,${normalizeAddress(bootp.server)}`);
  }
  return size;
}
