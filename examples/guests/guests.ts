// Two VMs' host-side NICs on a libvirt-mode network: virtnet, not the kernel, manages the bridge's MAC table.
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export interface GuestsOptions {
  bridgeName?: string;
  macTableManager?: "kernel" | "libvirt";
  /** MAC of the first guest. */
  webMac?: string;
  /** Leave the second guest out. */
  onlyWeb?: boolean;
}

export function defineGuests(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, o: GuestsOptions = {}) {
  const net = new sdk.Network("guests", {
    connection,
    bridge: { name: o.bridgeName ?? "virbr30", stp: false, macTableManager: o.macTableManager ?? "libvirt" },
    mtu: 9000,
    ips: [{ address: "192.168.130.1", prefix: 24 }],
  });
  const web = new sdk.GuestInterface("web", { network: net, mac: o.webMac ?? "52:54:00:00:30:01" });
  const db = o.onlyWeb ? undefined : new sdk.GuestInterface("db", { network: net, mac: "fe:54:00:00:30:02", isolated: true });
  return { bridge: net.bridge, webTap: web.name, webTapMac: web.tapMac, dbTap: db?.name, substitutions: net.substitutions };
}
