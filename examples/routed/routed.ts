// A routed lab, as libvirt's dhcp6host-routed-network: inline routes for both families, and one route
// managed on its own by another team (a StaticRoute attached to the network).
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export interface RoutedOptions {
  /** Gateway of the inline IPv4 route. */
  gateway?: string;
  /** Metric of the standalone route. */
  metric?: number;
  /** Gateway of the standalone route. */
  standaloneGateway?: string;
  /** Leave the standalone route out. */
  withoutStandalone?: boolean;
}

export function defineRoutedLab(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, o: RoutedOptions = {}) {
  const net = new sdk.Network("routed", {
    connection,
    bridge: { name: "virbr1" },
    ips: [
      { address: "192.168.122.1", netmask: "255.255.255.0" },
      { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" },
    ],
    routes: [
      { address: "192.168.222.0", netmask: "255.255.255.0", gateway: o.gateway ?? "192.168.122.10" },
      { address: "2001:db8:ac10:fc00::", prefix: 64, family: "ipv6", gateway: "2001:db8:ac10:fd01::1:24" },
    ],
  });
  const vpn = o.withoutStandalone
    ? undefined
    : new sdk.StaticRoute("vpn", { network: net, address: "10.8.0.0", prefix: 16, gateway: o.standaloneGateway ?? "192.168.122.2", metric: o.metric ?? 1 });
  return { bridge: net.bridge, routes: net.routes, vpnGateway: vpn?.gateway };
}
