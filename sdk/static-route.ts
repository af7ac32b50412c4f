// StaticRoute: libvirt's <route> as its own resource, on a Network or on an existing host bridge.
import * as pulumi from "@pulumi/pulumi";
import type { Connection, ConnectionArgs } from "./connection";
import { Network, type Ip, type RouteArgs } from "./network";
import { attachment } from "./attachment";
import { VirtnetResource } from "./virtnet-resource";

/** A route's fields as on Network.routes; for a StaticRoute, destination changes replace it and gateway or metric change in place. */
export interface StaticRouteArgs extends RouteArgs {
  /** The Network the route goes through, or the name of an existing bridge virtnet does not manage. Replaces. */
  network: Network | pulumi.Input<string>;
  /** Defaults to the Network's connection; required when `network` is a bridge name. */
  connection?: pulumi.Input<ConnectionArgs>;
  /**
   * Take over an existing route to this destination with this metric that virtnet did not create (one added by hand
   * or by another tool): it is converged to these arguments (moved to the bridge, given the gateway), marked with
   * virtnet's route protocol 241, and deleted with the resource. Default false: such a route is refused.
   */
  adopt?: pulumi.Input<boolean>;
}

export class StaticRoute extends VirtnetResource {
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
    super("staticRoute", name, opts, () => {
      const { network, connection, ...route } = args;
      const { net, connection: conn } = attachment("StaticRoute", name, network, connection);
      return {
        // Every output must be a key here to exist on the resource, even when the user leaves it out.
        prefix: undefined,
        netmask: undefined,
        family: undefined,
        metric: undefined,
        schemaVersion: undefined,
        ...route,
        connection: pulumi.secret(conn),
        bridge: net ? net.bridge.apply((b) => b.name) : network,
        // The Network's addresses let preview check that the gateway is reachable (docs/libvirt-behaviour.md §2.1 rule 7).
        networkIps: net ? net.ips : undefined,
        // And its inline routes: one kernel route cannot belong to two resources.
        networkRoutes: net ? net.routes : undefined,
        // Its boot fragment follows the Network's autostart; attached by bridge name, it persists nothing.
        networkAutostart: net ? net.autostartArg : undefined,
      };
    });
  }
}
