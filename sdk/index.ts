// pulumi-virtnet: libvirt-style virtual networks (Linux bridges) managed over SSH.
export { Network, type NetworkArgs, type BridgeArgs, type IpArgs, type RouteArgs, type RateArgs, type BandwidthArgs, type Bridge, type Ip, type Route, type Rate, type Bandwidth, type Substitution, type ForwardArgs, type NatArgs, type DhcpArgs, type DnsArgs, type LeaseArgs, type DhcpLease } from "./network";
export { DhcpHost, type DhcpHostArgs } from "./dhcp-host";
export { StaticRoute, type StaticRouteArgs } from "./static-route";
export { GuestInterface, type GuestInterfaceArgs, type GuestPort } from "./guest-interface";
export type { ConnectionArgs, Connection } from "./connection";
