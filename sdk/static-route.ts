// StaticRoute: libvirt's <route> as its own resource, on a Network or on an existing host bridge.
import * as pulumi from "@pulumi/pulumi";
import type { Connection, ConnectionArgs } from "./connection";
import { Network, type Ip } from "./network";
import { providerShim } from "./shim";

export interface StaticRouteArgs {
  /** The Network the route goes through, or the name of an existing bridge virtnet does not manage. Replaces. */
  network: Network | pulumi.Input<string>;
  /** Defaults to the Network's connection; required when `network` is a bridge name. */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Destination network address (host bits clear), or 0.0.0.0 / :: for the default route. Replaces. */
  address: pulumi.Input<string>;
  /** Destination prefix length; give this or netmask for every route but the default route. Replaces. */
  prefix?: pulumi.Input<number>;
  /** IPv4 dotted netmask instead of prefix. Replaces. */
  netmask?: pulumi.Input<string>;
  /** Required ("ipv6") for IPv6 routes, as in libvirt. Replaces. */
  family?: pulumi.Input<"ipv4" | "ipv6">;
  /** Next hop, directly reachable in one of the network's subnets. Changes in place. */
  gateway: pulumi.Input<string>;
  /** Route metric, ≥ 1. Default 1. Changes in place, adding the new route before removing the old one. */
  metric?: pulumi.Input<number>;
}

export class StaticRoute extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<Connection>;
  declare readonly bridge: pulumi.Output<string>;
  declare readonly networkIps: pulumi.Output<Ip[] | undefined>;
  declare readonly address: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<number | undefined>;
  declare readonly netmask: pulumi.Output<string | undefined>;
  declare readonly family: pulumi.Output<"ipv4" | "ipv6" | undefined>;
  declare readonly gateway: pulumi.Output<string>;
  declare readonly metric: pulumi.Output<number>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: StaticRouteArgs, opts?: pulumi.CustomResourceOptions) {
    const { network, connection, ...route } = args;
    const net = network instanceof Network ? network : undefined;
    const conn = connection ?? net?.connection;
    if (conn === undefined) {
      throw new Error(`StaticRoute ${name}: connection is required when network is a bridge name`);
    }
    super(
      providerShim("staticRoute"),
      name,
      {
        // Every output must be a key here to exist on the resource, even when the user leaves it out.
        prefix: undefined,
        netmask: undefined,
        family: undefined,
        metric: undefined,
        schemaVersion: undefined,
        ...route,
        connection: pulumi.secret(conn),
        bridge: net ? net.bridge.apply((b) => b.name) : network,
        // The Network's addresses let preview check that the gateway is reachable (spec §2.1 rule 7).
        networkIps: net ? net.ips : undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] },
      "virtnet",
      "StaticRoute",
    );
  }
}
