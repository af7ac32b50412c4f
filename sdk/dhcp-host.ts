// DhcpHost: one DHCP reservation (libvirt's <host> in <dhcp>) as a resource of its own, on a Network with DHCP.
import * as pulumi from "@pulumi/pulumi";
import type { Connection, ConnectionArgs } from "./connection";
import { Network, type LeaseArgs } from "./network";
import { attachment } from "./attachment";
import { VirtnetResource } from "./virtnet-resource";

export interface DhcpHostArgs {
  /** The Network whose dnsmasq hands the address out, or the name of its bridge. Replaces. */
  network: Network | pulumi.Input<string>;
  /** Defaults to the Network's connection; required when `network` is a bridge name. */
  connection?: pulumi.Input<ConnectionArgs>;
  /** The guest's MAC (IPv4 reservations: give mac, name or both). */
  mac?: pulumi.Input<string>;
  /** The guest's DHCPv6 client DUID, libvirt's <host id> (IPv6 reservations: give duid, name or both). */
  duid?: pulumi.Input<string>;
  /** The host name dnsmasq hands out and answers DNS queries for. */
  name?: pulumi.Input<string>;
  /** The reserved address, inside the subnet of the Network's DHCP entry of its family. Replaces. */
  ip: pulumi.Input<string>;
  /** The reservation's own lease time. */
  lease?: pulumi.Input<LeaseArgs>;
}

export class DhcpHost extends VirtnetResource {
  declare readonly connection: pulumi.Output<Connection>;
  declare readonly bridge: pulumi.Output<string>;
  declare readonly mac: pulumi.Output<string | undefined>;
  declare readonly duid: pulumi.Output<string | undefined>;
  declare readonly name: pulumi.Output<string | undefined>;
  declare readonly ip: pulumi.Output<string>;
  /** The line dnsmasq reads for the reservation, as found on the host at the last read. */
  declare readonly reservation: pulumi.Output<string>;
  declare readonly schemaVersion: pulumi.Output<number>;

  constructor(name: string, args: DhcpHostArgs, opts?: pulumi.CustomResourceOptions) {
    super("dhcpHost", name, opts, () => {
      const { network, connection, ...reservation } = args;
      const { net, connection: conn } = attachment("DhcpHost", name, network, connection);
      return {
        // Every output must be a key here to exist on the resource, even when the user leaves it out.
        mac: undefined,
        duid: undefined,
        name: undefined,
        lease: undefined,
        reservation: undefined,
        schemaVersion: undefined,
        ...reservation,
        connection: pulumi.secret(conn),
        bridge: net ? net.bridge.apply((b) => b.name) : network,
        // The Network's addresses let preview find the DHCP entry of the reservation's family and check the address.
        networkIps: net ? net.ips : undefined,
        networkName: net ? net.libvirtXml.apply((x) => /<name>([^<]*)<\/name>/.exec(x)?.[1]) : undefined,
      };
    });
  }
}
