// A network's dnsmasq: whether it runs, the files it is given, and the least action that takes the host there
// (docs/libvirt-behaviour.md §10.4). Pure: from the recorded (or intended) outputs and the observed instance.
import { renderDnsmasqConf } from "../../dnsmasq/render-dnsmasq-conf";
import { networkDhcpHosts, renderHostsfile } from "../../dnsmasq/render-hostsfile";
import { renderAddnhosts } from "../../dnsmasq/render-addnhosts";
import { dnsmasqPaths } from "../../dnsmasq/dnsmasq-paths";
import { servesDhcp } from "../../dnsmasq/dhcp-ips";
import type { DnsmasqConfig, DnsmasqIp } from "../../dnsmasq/dnsmasq-config";
import type { ObservedDnsmasq } from "../../dnsmasq/observe-dnsmasq";
import { parseDnsmasqLeases } from "../../dnsmasq/parse-leases";
import { effectivePrefix, normalizeAddress } from "../../net/ip-address";
import { parseMac } from "../../net/mac";
import type { DnsmasqFiles, Operation } from "../../net/operation";
import { stripUndefined } from "../../strip-undefined";
import type { Known } from "../../known";
import type { ForwardInputs, IpInputs } from "./schema";
import type { DnsInputs, DomainInputs } from "./dnsmasq-schema";
import type { DnsmasqLease } from "../../dnsmasq/parse-leases";

/** What of a network's recorded outputs (or intended inputs) its dnsmasq depends on. */
export interface DnsmasqNetwork {
  bridge: { name: string };
  libvirtName?: string;
  forward?: Known<ForwardInputs>;
  mtu?: number;
  ips: Known<IpInputs>[];
  domain?: Known<DomainInputs>;
  dns?: Known<DnsInputs>;
  dnsmasqOptions?: string[];
}

/** The network's outputs that concern its dnsmasq. */
export interface DnsmasqOutputs {
  domain?: Known<DomainInputs>;
  dns?: Known<DnsInputs>;
  dnsmasqOptions?: string[];
  dhcpLeases?: DnsmasqLease[];
  dnsmasqDrift?: string[];
}

/** The network's ip entry as dnsmasq's configuration sees it: effective prefix, canonical MACs, units filled in. */
function dnsmasqIp(ip: Known<IpInputs>): DnsmasqIp {
  const dhcp = ip.dhcp && {
    ranges: ip.dhcp.ranges?.map((r) => stripUndefined({ start: r.start!, end: r.end!, lease: r.lease })),
    hosts: ip.dhcp.hosts?.map((h) => stripUndefined({ ...h, mac: h.mac === undefined ? undefined : (parseMac(h.mac) ?? h.mac), ip: h.ip! })),
    bootp: ip.dhcp.bootp && stripUndefined({ file: ip.dhcp.bootp.file!, server: ip.dhcp.bootp.server }),
  };
  return stripUndefined({
    address: normalizeAddress(ip.address),
    prefix: effectivePrefix(ip.address, ip.prefix, ip.netmask)!,
    dhcp: dhcp && stripUndefined(dhcp),
    tftpRoot: ip.tftp?.root,
    localPtr: ip.localPtr,
  });
}

/**
 * The network's dnsmasq configuration, or undefined when it runs none: a network needs dnsmasq for DHCP or TFTP on
 * one of its addresses, or for DNS when it asks for any (`dns`, `domain`, `dnsmasqOptions`) without `dns.enable:
 * false`. A network that says nothing of it runs none, as virtnet's networks always did (docs/libvirt-behaviour.md §10.1).
 */
export function dnsmasqConfigOf(n: DnsmasqNetwork): DnsmasqConfig | undefined {
  if (n.forward?.mode === "bridge" || n.ips.length === 0) return undefined;
  const ips = n.ips.map(dnsmasqIp);
  const serves = ips.some((ip) => servesDhcp(ip) || ip.tftpRoot !== undefined);
  const asksForDns = n.dns !== undefined || n.domain !== undefined || (n.dnsmasqOptions?.length ?? 0) > 0;
  if (!serves && !(asksForDns && n.dns?.enable !== false)) return undefined;
  return stripUndefined({
    networkName: n.libvirtName ?? n.bridge.name,
    bridge: n.bridge.name,
    isolated: n.forward === undefined,
    mtu: n.mtu,
    ips,
    domain: n.domain,
    dns: n.dns && stripUndefined({ ...n.dns, hosts: n.dns.hosts?.map((h) => ({ ip: h.ip!, hostnames: h.hostnames ?? [] })) }),
    dnsmasqOptions: n.dnsmasqOptions,
  }) as DnsmasqConfig;
}

/** The files virtnet writes for the configuration. */
export function dnsmasqFilesOf(config: DnsmasqConfig): DnsmasqFiles {
  const paths = dnsmasqPaths(config.bridge);
  return {
    conf: renderDnsmasqConf(config, paths),
    hostsfile: renderHostsfile(networkDhcpHosts(config)),
    addnhosts: renderAddnhosts(config.dns?.enable === false ? [] : (config.dns?.hosts ?? [])),
  };
}

/** The files of the network's dnsmasq, or undefined when it runs none. */
export function wantedDnsmasqFiles(n: DnsmasqNetwork): DnsmasqFiles | undefined {
  const config = dnsmasqConfigOf(n);
  return config && dnsmasqFilesOf(config);
}

/** The configuration without its comment lines: a change of those alone (the header's network name) needs no restart. */
const settings = (conf: string) => conf.split("\n").filter((l) => !l.startsWith("#")).join("\n");

/** The files as observed, when virtnet's configuration is there. */
function observedFiles(o: ObservedDnsmasq | undefined): DnsmasqFiles | undefined {
  if (o?.files.conf === undefined) return undefined;
  return { conf: o.files.conf, hostsfile: o.files.hostsfile ?? "", addnhosts: o.files.addnhosts ?? "" };
}

/**
 * The least action from the observed instance to the wanted files (docs/libvirt-behaviour.md §10.4): a restart when a
 * setting differs or the process is not running, a SIGHUP when only reservations or DNS host records differ, a plain
 * rewrite when only a comment does, a stop when the network no longer needs dnsmasq.
 */
export function planDnsmasq(bridge: string, wanted: DnsmasqFiles | undefined, observed: ObservedDnsmasq | undefined): Operation[] {
  const from = observedFiles(observed);
  if (!wanted) {
    if (!observed || (!from && !observed.running)) return [];
    // The stop removes the leases and the DhcpHosts' files too: its undo must be able to put them back.
    const kept = from && { ...from, ...(observed.files.leases !== undefined ? { leases: observed.files.leases } : {}), ...(observed.hosts.size > 0 ? { hosts: Object.fromEntries(observed.hosts) } : {}) };
    return [{ op: "dnsmasqStop", bridge, ...(kept ? { from: kept } : {}) }];
  }
  if (!from || !observed!.running || settings(from.conf) !== settings(wanted.conf)) return [{ op: "dnsmasqStart", bridge, files: wanted, from: from ?? null }];
  const ops: Operation[] = [];
  if (from.conf !== wanted.conf) ops.push({ op: "fileWrite", path: dnsmasqPaths(bridge).conf, content: wanted.conf, mode: 0o600, from: from.conf });
  // A missing file is rewritten even where the network renders it empty: dnsmasq is told to read it.
  const missing = observed!.files.hostsfile === undefined || observed!.files.addnhosts === undefined;
  if (missing || from.hostsfile !== wanted.hostsfile || from.addnhosts !== wanted.addnhosts) {
    ops.push({ op: "dnsmasqReload", bridge, hostsfile: wanted.hostsfile, addnhosts: wanted.addnhosts, from: { hostsfile: from.hostsfile, addnhosts: from.addnhosts } });
  }
  return ops;
}

/** What the host lacks of the wanted dnsmasq, in words (the dnsmasqDrift output); empty when it matches. */
export function dnsmasqDrift(bridge: string, wanted: DnsmasqFiles | undefined, observed: ObservedDnsmasq | undefined): string[] {
  const paths = dnsmasqPaths(bridge);
  if (!wanted) return observed?.running ? [`dnsmasq runs for ${bridge} (pid ${observed.pid}) though the network needs none`] : [];
  if (!observed?.running) return [observed?.pid !== undefined ? `dnsmasq for ${bridge} is not running (pid ${observed.pid} is gone)` : `dnsmasq for ${bridge} is not running`];
  const drift: string[] = [];
  for (const f of ["conf", "hostsfile", "addnhosts"] as const) {
    if (observed.files[f] !== wanted[f]) drift.push(`${paths[f]} ${observed.files[f] === undefined ? "is missing" : "differs from what the network renders"}`);
  }
  return drift;
}

/** The dnsmasq outputs as observed: the inputs it serves, its leases, and what the host lacks of it. */
export function observedDnsmasq(previous: DnsmasqNetwork, host: { dnsmasq?: ReadonlyMap<string, ObservedDnsmasq> }): DnsmasqOutputs {
  const bridge = previous.bridge.name;
  const wanted = wantedDnsmasqFiles(previous);
  const observed = host.dnsmasq?.get(bridge);
  const drift = dnsmasqDrift(bridge, wanted, observed);
  const leases = observed?.files.leases;
  return stripUndefined({
    domain: previous.domain,
    dns: previous.dns,
    dnsmasqOptions: previous.dnsmasqOptions,
    dhcpLeases: wanted && leases !== undefined ? parseDnsmasqLeases(leases) : undefined,
    dnsmasqDrift: drift.length > 0 ? drift : undefined,
  });
}
