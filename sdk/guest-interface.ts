// GuestInterface: the host side of a VM's NIC (a tap on a bridge), with libvirt's MAC and MAC-table rules.
import * as pulumi from "@pulumi/pulumi";
import type { Connection, ConnectionArgs } from "./connection";
import { Network, type Bandwidth, type BandwidthArgs, type Substitution } from "./network";
import { interfaceArgsFromXml } from "../provider/libvirt/interface-xml";
import { attachment } from "./attachment";
import { ownerOf } from "./owner";
import { VirtnetResource } from "./virtnet-resource";

export interface GuestInterfaceArgs {
  /** The Network to plug into, or the name of an existing bridge. A new bridge moves the tap in place. */
  network: Network | pulumi.Input<string>;
  /** Defaults to the Network's connection; required when `network` is a bridge name. */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Tap name (≤ 15 characters) or a template with one %d. Default: the first free vnetN. Replaces. */
  name?: pulumi.Input<string>;
  /** The guest's MAC. Default: a random 52:54:00:xx:xx:xx chosen once and kept. Changes in place. */
  mac?: pulumi.Input<string>;
  /** Tap MTU in bytes. Default: the bridge's MTU when the tap is created. */
  mtu?: pulumi.Input<number>;
  /** An isolated port talks only to non-isolated ports. Default false. */
  isolated?: pulumi.Input<boolean>;
  /** Only for a bridge given by name: "libvirt" manages the port's MAC table. A Network's own setting is used otherwise. */
  macTableManager?: pulumi.Input<"kernel" | "libvirt">;
  /**
   * libvirt's <bandwidth> for the guest: inbound (to the guest) shaped on the tap, outbound (from it) limited on
   * the tap's ingress; inbound.floor guarantees a rate within the Network's inbound QoS.
   */
  bandwidth?: pulumi.Input<BandwidthArgs>;
  /** Take over an existing tap of this name that no virtnet resource marks; default false (refused). */
  adopt?: pulumi.Input<boolean>;
}

export interface GuestPort {
  learning: boolean;
  flood: boolean;
  guestFdbEntry: boolean;
}

export class GuestInterface extends VirtnetResource {
  declare readonly connection: pulumi.Output<Connection>;
  declare readonly bridge: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly mac: pulumi.Output<string>;
  /** The tap's own MAC: the guest's with the first byte 0xFE (0xFA when the guest's is 0xFE). */
  declare readonly tapMac: pulumi.Output<string>;
  declare readonly mtu: pulumi.Output<number | undefined>;
  declare readonly isolated: pulumi.Output<boolean>;
  declare readonly macTableManager: pulumi.Output<"kernel" | "libvirt">;
  /** The bridge port as observed: learning, flooding, and whether the guest's fdb entry is there. */
  declare readonly port: pulumi.Output<GuestPort>;
  /** Whether the tap is up, as last observed. */
  declare readonly up: pulumi.Output<boolean>;
  /** The bandwidth the kernel holds: the inputs when they agree, else what tc shows. */
  declare readonly bandwidth: pulumi.Output<Bandwidth | undefined>;
  /** The guest's floor class id on the bridge (1:<hex>), allocated from 3 as libvirt does. */
  declare readonly floorClassId: pulumi.Output<number | undefined>;
  declare readonly substitutions: pulumi.Output<Substitution[]>;
  declare readonly schemaVersion: pulumi.Output<number>;

  /**
   * A GuestInterface from a domain's <interface type='network'|'bridge'> element. The third argument gives the
   * Network for type='network' (XML names it only by its libvirt name), or the connection for type='bridge', and
   * may override any argument. Elements virtnet does not implement are an error listing each.
   */
  static fromLibvirtXml(name: string, xml: string, args: Partial<GuestInterfaceArgs>, opts?: pulumi.CustomResourceOptions): GuestInterface {
    const { type, source, ...fromXml } = interfaceArgsFromXml(xml);
    if (type === "network" && !(args.network instanceof Network)) {
      throw new Error(`GuestInterface ${name}: <interface type='network'> names libvirt network '${source}'; pass that Network as network`);
    }
    const network = args.network ?? source;
    return new GuestInterface(name, { ...(fromXml as Partial<GuestInterfaceArgs>), ...args, network } as GuestInterfaceArgs, opts);
  }

  constructor(name: string, args: GuestInterfaceArgs, opts?: pulumi.CustomResourceOptions) {
    super("guestInterface", name, opts, () => {
      const { network, connection, macTableManager, ...rest } = args;
      const { net, connection: conn } = attachment("GuestInterface", name, network, connection);
      if (net && macTableManager !== undefined) {
        throw new Error(`GuestInterface ${name}: macTableManager comes from its Network (bridge.macTableManager); leave it out, or attach to the bridge by name`);
      }
      return {
        // Every output must be a key here to exist on the resource, even when the user leaves it out.
        name: undefined,
        mac: undefined,
        tapMac: undefined,
        mtu: undefined,
        isolated: undefined,
        port: undefined,
        up: undefined,
        bandwidth: undefined,
        floorClassId: undefined,
        floorBridge: undefined,
        substitutions: undefined,
        schemaVersion: undefined,
        ...rest,
        owner: ownerOf(name),
        connection: pulumi.secret(conn),
        bridge: net ? net.bridge.apply((b) => b.name) : network,
        macTableManager: net ? net.bridge.apply((b) => b.macTableManager ?? "kernel") : (macTableManager ?? "kernel"),
        // A floor needs the network's inbound QoS (and must not overcommit it).
        networkBandwidth: net ? net.bandwidth : undefined,
        // Its boot fragment follows the Network's autostart; attached by bridge name, it persists nothing.
        networkAutostart: net ? net.autostartArg : undefined,
      };
    });
  }
}
