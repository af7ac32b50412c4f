// Network: a libvirt-style virtual network, i.e. a Linux bridge with its addresses, on a host over SSH.
import * as pulumi from "@pulumi/pulumi";
import type { Connection, ConnectionArgs } from "./connection";
import { networkArgsFromXml } from "../provider/libvirt/network-xml";
import type { Bandwidth } from "../provider/resources/bandwidth/schema";
import type { ForwardInputs } from "../provider/resources/network/schema";
import type { DnsmasqLease } from "../provider/dnsmasq/parse-leases";
import { ownerOf } from "./owner";
import { VirtnetResource } from "./virtnet-resource";

export interface BridgeArgs {
  /** Bridge name (≤ 15 characters), or a template with one %d. Default: the first free virbrN. Replaces. */
  name?: pulumi.Input<string>;
  /** Spanning tree. Default true (libvirt: on unless stp='off'). */
  stp?: pulumi.Input<boolean>;
  /** STP forward delay in seconds. Default 0 (the kernel holds it at 2–30 while STP is on). */
  delay?: pulumi.Input<number>;
  /** "kernel" (default) or "libvirt": virtnet manages the MAC table of guest ports. */
  macTableManager?: pulumi.Input<"kernel" | "libvirt">;
}

export interface IpArgs {
  address: pulumi.Input<string>;
  /** Prefix length; absent (or 0) means the netmask, else the natural class (IPv4) or /64 (IPv6). */
  prefix?: pulumi.Input<number>;
  /** IPv4 dotted netmask, instead of prefix. */
  netmask?: pulumi.Input<string>;
  /** Required ("ipv6") for IPv6 addresses, as in libvirt. */
  family?: pulumi.Input<"ipv4" | "ipv6">;
  /** DHCP on this subnet, served by the network's dnsmasq; at most one ip of each family has it. */
  dhcp?: pulumi.Input<DhcpArgs>;
  /** dnsmasq's TFTP server for this subnet, serving `root` (IPv4 only). */
  tftp?: pulumi.Input<{ root: pulumi.Input<string> }>;
  /** Answer reverse (PTR) lookups for the subnet locally instead of forwarding them. */
  localPtr?: pulumi.Input<boolean>;
}

/** A lease time: `expiry` in `unit` (default minutes); 0 means infinite, otherwise at least 2 minutes. */
export interface LeaseArgs {
  expiry: pulumi.Input<number>;
  unit?: pulumi.Input<"seconds" | "minutes" | "hours">;
}

/** One reservation: an IPv4 one by `mac` and/or `name`, an IPv6 one by `id` (the client's DUID) and/or `name`. */
export interface DhcpHostArgs {
  mac?: pulumi.Input<string>;
  id?: pulumi.Input<string>;
  name?: pulumi.Input<string>;
  ip: pulumi.Input<string>;
  lease?: pulumi.Input<LeaseArgs>;
}

export interface DhcpArgs {
  /** The addresses handed out, each range inside the subnet (IPv4: not its network or broadcast address). */
  ranges?: pulumi.Input<pulumi.Input<{ start: pulumi.Input<string>; end: pulumi.Input<string>; lease?: pulumi.Input<LeaseArgs> }>[]>;
  /** Static reservations written into the network's own dnsmasq files; see also the DhcpHost resource. */
  hosts?: pulumi.Input<pulumi.Input<DhcpHostArgs>[]>;
  /** PXE boot: the boot file and the TFTP server to get it from (IPv4 only). */
  bootp?: pulumi.Input<{ file: pulumi.Input<string>; server?: pulumi.Input<string> }>;
}

export interface DnsArgs {
  /** false: dnsmasq serves no DNS (libvirt's <dns enable='no'/>). Default: on whenever dnsmasq runs. */
  enable?: pulumi.Input<boolean>;
  /** false: names without a dot are never forwarded upstream. */
  forwardPlainNames?: pulumi.Input<boolean>;
  /** Upstream servers: `addr` for all queries, or for `domain` only; a `domain` alone is never forwarded. */
  forwarders?: pulumi.Input<pulumi.Input<{ addr?: pulumi.Input<string>; domain?: pulumi.Input<string> }>[]>;
  /** Names the network's DNS answers with `ip`. */
  hosts?: pulumi.Input<pulumi.Input<{ ip: pulumi.Input<string>; hostnames: pulumi.Input<pulumi.Input<string>[]> }>[]>;
  txts?: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; value: pulumi.Input<string> }>[]>;
  srvs?: pulumi.Input<
    pulumi.Input<{
      service: pulumi.Input<string>;
      protocol: pulumi.Input<string>;
      domain?: pulumi.Input<string>;
      target?: pulumi.Input<string>;
      port?: pulumi.Input<number>;
      priority?: pulumi.Input<number>;
      weight?: pulumi.Input<number>;
    }>[]
  >;
}

/** One lease of the network's dnsmasq, as `virsh net-dhcp-leases` lists it. */
export type { DnsmasqLease as DhcpLease } from "../provider/dnsmasq/parse-leases";

export interface NetworkArgs {
  connection: pulumi.Input<ConnectionArgs>;
  /** The network's name in its libvirt XML (the libvirtXml output). Default: the resource's name. */
  libvirtName?: pulumi.Input<string>;
  bridge?: pulumi.Input<BridgeArgs>;
  /** Bridge MAC, unicast. Default: a random 52:54:00:xx:xx:xx chosen once and kept. */
  mac?: pulumi.Input<string>;
  /** Bridge MTU in bytes. Absent or 0: the kernel's. */
  mtu?: pulumi.Input<number>;
  ips?: pulumi.Input<pulumi.Input<IpArgs>[]>;
  /** Static routes through the bridge (libvirt's <route>); they change in place. */
  routes?: pulumi.Input<pulumi.Input<RouteArgs>[]>;
  /** Network-wide QoS (libvirt's <bandwidth>): inbound caps traffic to guests, outbound traffic from them. */
  bandwidth?: pulumi.Input<BandwidthArgs>;
  /**
   * Where guests' traffic goes beyond the bridge (libvirt's <forward>). Absent: an isolated network, whose guests
   * reach only the host and each other. `{}` is nat, like libvirt's `<forward/>`.
   */
  forward?: pulumi.Input<ForwardArgs>;
  /** The guests' DNS domain: handed out by DHCP, and with `localOnly` never forwarded upstream. */
  domain?: pulumi.Input<{ name: pulumi.Input<string>; localOnly?: pulumi.Input<boolean> }>;
  /** dnsmasq's DNS service and records. */
  dns?: pulumi.Input<DnsArgs>;
  /** Raw dnsmasq configuration lines appended to the network's configuration (libvirt's <dnsmasq:options>). */
  dnsmasqOptions?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Converge the network, and the StaticRoutes and GuestInterfaces attached through this object, at boot (libvirt's
   * net-autostart): a boot script and a systemd unit on the host. Needs systemd as the host's init. Default false.
   */
  autostart?: pulumi.Input<boolean>;
  /**
   * Take over an existing bridge of this name that no virtnet resource marks (one made by hand or by libvirt): it is
   * converged to these arguments, marked as this resource's, and deleted with it. Default false: such a bridge is
   * refused.
   */
  adopt?: pulumi.Input<boolean>;
}

export interface ForwardArgs {
  /**
   * "nat" (default): guests reach beyond the host, masqueraded. "route": routed with their own addresses. "open": the
   * bridge is routed and virtnet adds no firewall rules. "bridge": `bridge.name` names an existing host bridge that
   * virtnet neither creates nor deletes; such a network has no ips, routes, mac, mtu, stp or delay. libvirt's
   * private, vepa, passthrough and hostdev modes are not supported.
   */
  mode?: pulumi.Input<"nat" | "route" | "open" | "bridge">;
  /** The host interface traffic leaves by (nat and route only); it need not exist yet. Default: any. */
  dev?: pulumi.Input<string>;
  /** NAT settings; only with mode "nat". */
  nat?: pulumi.Input<NatArgs>;
}

export interface NatArgs {
  /** Source-NAT to this IPv4 range (at most 65536 addresses) instead of masquerading to the outgoing address. */
  address?: pulumi.Input<{ start: pulumi.Input<string>; end: pulumi.Input<string> }>;
  /** The source ports NAT uses for tcp and udp, start < end. Default 1024-65535; 0-0 means the default. */
  port?: pulumi.Input<{ start: pulumi.Input<number>; end: pulumi.Input<number> }>;
  /** Masquerade IPv6 as well. Default false: a nat network routes its IPv6 subnets. */
  ipv6?: pulumi.Input<boolean>;
}

/** average, peak and floor in KB/s; burst in KB (libvirt's units). */
export interface RateArgs {
  average?: pulumi.Input<number>;
  peak?: pulumi.Input<number>;
  burst?: pulumi.Input<number>;
  /** Only on a GuestInterface's inbound: a guaranteed rate within its network's inbound QoS. */
  floor?: pulumi.Input<number>;
}

export interface BandwidthArgs {
  inbound?: pulumi.Input<RateArgs>;
  outbound?: pulumi.Input<RateArgs>;
}

/** Bandwidth as recorded in outputs: libvirt's units (KB/s, KB). */
export type { Bandwidth, Rate } from "../provider/resources/bandwidth/schema";

export interface RouteArgs {
  /** Destination network address (host bits clear), or 0.0.0.0 / :: for the default route. */
  address: pulumi.Input<string>;
  /** Destination prefix length; give this or netmask for every route but the default route. */
  prefix?: pulumi.Input<number>;
  /** IPv4 dotted netmask instead of prefix. */
  netmask?: pulumi.Input<string>;
  /** Required ("ipv6") for IPv6 routes, as in libvirt. */
  family?: pulumi.Input<"ipv4" | "ipv6">;
  /** Next hop, directly reachable in one of the network's subnets. */
  gateway: pulumi.Input<string>;
  /** Route metric, ≥ 1. Default 1. A change adds the new route before removing the old one. */
  metric?: pulumi.Input<number>;
}

export interface Route {
  address: string;
  prefix?: number;
  netmask?: string;
  family?: "ipv4" | "ipv6";
  gateway: string;
  metric: number;
}

export interface Bridge {
  name: string;
  stp: boolean;
  delay: number;
  macTableManager?: "kernel" | "libvirt";
}

export interface Ip {
  address: string;
  prefix?: number;
  netmask?: string;
  family?: "ipv4" | "ipv6";
}

/** A setting the host's kernel cannot apply, and what virtnet did instead. */
export interface Substitution {
  property: string;
  wanted: string;
  applied: string;
  reason: string;
}

const NETWORK_OUTPUTS = {
  libvirtXml: undefined, bridge: undefined, mac: undefined, mtu: undefined, ips: undefined, routes: undefined, bandwidth: undefined, up: undefined,
  substitutions: undefined, schemaVersion: undefined, forward: undefined, firewallRules: undefined, forwardDrift: undefined, hostWarnings: undefined,
  dhcpLeases: undefined, dnsmasqDrift: undefined, autostart: undefined, autostartDrift: undefined,
};

export class Network extends VirtnetResource {
  declare readonly connection: pulumi.Output<Connection>;
  declare readonly bridge: pulumi.Output<Bridge>;
  declare readonly mac: pulumi.Output<string>;
  declare readonly mtu: pulumi.Output<number | undefined>;
  declare readonly ips: pulumi.Output<Ip[]>;
  declare readonly routes: pulumi.Output<Route[]>;
  /** The bandwidth the kernel holds: the inputs when they agree, else what tc shows. */
  declare readonly bandwidth: pulumi.Output<Bandwidth | undefined>;
  /** Whether the bridge is up, as last observed. */
  declare readonly up: pulumi.Output<boolean>;
  declare readonly substitutions: pulumi.Output<Substitution[]>;
  declare readonly schemaVersion: pulumi.Output<number>;
  /** The network's state as a libvirt <network> document (virsh net-define accepts it). */
  declare readonly libvirtXml: pulumi.Output<string>;
  /** The forward mode as given (absent: isolated). */
  declare readonly forward: pulumi.Output<ForwardInputs | undefined>;
  /** The network's rules in virtnet's nftables table, `FAMILY CHAIN rule` as nft lists them. */
  declare readonly firewallRules: pulumi.Output<string[] | undefined>;
  /** What the host lacked of the forward mode at the last read (rules, forwarding); the next update restores it. */
  declare readonly forwardDrift: pulumi.Output<string[] | undefined>;
  /** What else on the host decides the guests' traffic (another table's forward drop, firewalld). */
  declare readonly hostWarnings: pulumi.Output<string[] | undefined>;
  /** The leases the network's dnsmasq has handed out, read from its lease file at every refresh. */
  declare readonly dhcpLeases: pulumi.Output<DnsmasqLease[] | undefined>;
  /** What the host lacked of the network's dnsmasq at the last read (the process, its files); the next update restores it. */
  declare readonly dnsmasqDrift: pulumi.Output<string[] | undefined>;
  /** Whether the host converges the network at boot, as last read (its unit enabled and its boot script in place). */
  declare readonly autostart: pulumi.Output<boolean | undefined>;
  /** What the host lacked of the network's autostart at the last read; the next update restores it. */
  declare readonly autostartDrift: pulumi.Output<string[] | undefined>;

  /**
   * A Network from a libvirt <network> document (virsh net-dumpxml). The third argument carries what XML cannot,
   * the connection, and may override any argument. Elements virtnet does not implement are an error listing each.
   */
  static fromLibvirtXml(name: string, xml: string, args: { connection: pulumi.Input<ConnectionArgs> } & Partial<NetworkArgs>, opts?: pulumi.CustomResourceOptions): Network {
    const fromXml = networkArgsFromXml(xml);
    const { libvirtName, ...rest } = fromXml;
    const parsed = { ...rest, libvirtName } as unknown as NetworkArgs;
    return new Network(name, { ...parsed, ...args }, opts);
  }

  constructor(name: string, args: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    // Every output must be a key here to exist on the resource, even when the user leaves it out. State must keep
    // the connection for delete.
    super("network", name, opts, () => ({ ...NETWORK_OUTPUTS, libvirtName: name, ...args, owner: ownerOf(name), connection: pulumi.secret(args.connection) }));
    this.autostartArg = pulumi.output(args.autostart ?? false);
  }

  /**
   * The `autostart` argument as given, for the resources attached through this object: unlike the `autostart`
   * output, it is known in a preview even while the network itself changes, so their previews show no update that
   * is not there.
   */
  readonly autostartArg: pulumi.Output<boolean>;
}
