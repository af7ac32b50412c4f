// What one network's dnsmasq needs to know, as resolved data: the input to the renderers of its configuration,
// hostsfile and addnhosts (docs/libvirt-behaviour.md §10). Types only. The shape follows libvirt's network XML
// (<ip><dhcp>, <tftp>, <domain>, <dns>, <dnsmasq:options>) in virtnet's camelCase; every value is already
// checked and every default already applied, so a renderer never guesses and fails only where libvirt's own
// writer fails.

/** The unit of a lease's expiry, as libvirt's `<lease unit>` names it. */
export type LeaseUnit = "seconds" | "minutes" | "hours";

/** A DHCP lease time. An expiry of 0 means infinite, as in libvirt. */
export interface LeaseTime {
  expiry: number;
  /** Always present here: the default (minutes) is the schema's business, not the renderer's. */
  unit: LeaseUnit;
}

/** One `<range>`: first and last address handed out, both inside the ip's subnet. */
export interface DhcpRange {
  start: string;
  end: string;
  lease?: LeaseTime;
}

/**
 * One `<host>`: a static reservation. An IPv4 one is keyed by `mac` and/or `name`; an IPv6 one by `id` (the
 * client's DUID, hex digits and colons) and/or `name`. Its family is its `ip`'s, which virtnet's checks make
 * the same as the family of the ip entry that holds it.
 */
export interface DhcpStaticHost {
  mac?: string;
  id?: string;
  name?: string;
  ip: string;
  lease?: LeaseTime;
}

/** `<bootp file server>`: the boot file for PXE clients and the TFTP server to fetch it from (IPv4 only). */
export interface Bootp {
  file: string;
  server?: string;
}

/** `<dhcp>` of one ip entry. DHCP is on for the entry when it has ranges or hosts. */
export interface DhcpSettings {
  ranges?: readonly DhcpRange[];
  hosts?: readonly DhcpStaticHost[];
  bootp?: Bootp;
}

/** One `ips[i]` of the network: the bridge's address and what dnsmasq serves on its subnet. */
export interface DnsmasqIp {
  address: string;
  /** The effective prefix (libvirt's virNetworkIPDefPrefix: given, from the netmask, or the natural one). */
  prefix: number;
  dhcp?: DhcpSettings;
  /** `<tftp root>`, the directory dnsmasq's TFTP server serves (IPv4 only). */
  tftpRoot?: string;
  /** `localPtr='yes'`: answer reverse lookups for the subnet locally instead of forwarding them. */
  localPtr?: boolean;
}

/** `<domain name localOnly>`. */
export interface NetworkDomain {
  name: string;
  /** true: queries for the domain are never forwarded upstream. */
  localOnly?: boolean;
}

/** `<forwarder addr domain>`: at least one of the two. A domain without an address means "never forward it". */
export interface DnsForwarder {
  addr?: string;
  domain?: string;
}

/** `<host ip><hostname>…</host>`: names the network's DNS answers with `ip`. */
export interface DnsHostRecord {
  ip: string;
  hostnames: readonly string[];
}

/** `<txt name value>`. */
export interface DnsTxtRecord {
  name: string;
  value: string;
}

/** `<srv>`. `port`, `priority` and `weight` only mean something with a `target`. */
export interface DnsSrvRecord {
  service: string;
  protocol: string;
  domain?: string;
  target?: string;
  port?: number;
  priority?: number;
  weight?: number;
}

/** `<dns>`. Absent fields are libvirt's defaults: DNS on, plain names forwarded, no records. */
export interface DnsSettings {
  /** false: dnsmasq serves no DNS at all (libvirt's `<dns enable='no'>`). */
  enable?: boolean;
  /** false: names without a dot are never forwarded upstream. */
  forwardPlainNames?: boolean;
  forwarders?: readonly DnsForwarder[];
  hosts?: readonly DnsHostRecord[];
  txts?: readonly DnsTxtRecord[];
  srvs?: readonly DnsSrvRecord[];
}

/** Everything one network's dnsmasq configuration is made of. */
export interface DnsmasqConfig {
  /** The network's libvirt name; it only appears in the header comment, as libvirt writes it. */
  networkName: string;
  /** The bridge dnsmasq serves (`interface=`). */
  bridge: string;
  /** No forward mode: guests get no default route and no upstream DNS. */
  isolated: boolean;
  /** The network's MTU in bytes, announced to DHCP clients. */
  mtu?: number;
  /** In the network's order; the order decides which lines come first, as in libvirt. */
  ips: readonly DnsmasqIp[];
  domain?: NetworkDomain;
  dns?: DnsSettings;
  /** Raw configuration lines appended at the end (`<dnsmasq:options>`), one per entry, without line breaks. */
  dnsmasqOptions?: readonly string[];
}
