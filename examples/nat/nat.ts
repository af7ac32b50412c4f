// A NAT network like libvirt's `default`: virbr0 with 192.168.122.1/24, guests masqueraded to the host's outgoing
// address and unreachable from outside, with one guest's NIC on it. This network has no DHCP (examples/nat-dhcp has):
// give the guest a static address in 192.168.122.2–254 with 192.168.122.1 as its gateway. On a host where libvirt's
// own default network runs, virbr0 and 192.168.122.0/24 are taken: pass another bridge name and address.
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export interface NatOptions {
  bridgeName?: string;
  /** The bridge's address; the network is its /24. */
  address?: string;
  /** "route" or "open" instead of nat: the same network, changed in place. */
  mode?: "nat" | "route" | "open";
  /** The host interface guests' traffic leaves by. Default: any. */
  dev?: string;
  /** Source-NAT to this IPv4 pool instead of masquerading to the outgoing address (nat only). */
  natAddress?: virtnet.NatArgs["address"];
  /** The guest's MAC. */
  guestMac?: string;
}

export function defineNat(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, o: NatOptions = {}) {
  const mode = o.mode ?? "nat";
  const forward: virtnet.ForwardArgs = { mode };
  if (o.dev !== undefined) forward.dev = o.dev;
  if (o.natAddress !== undefined && mode === "nat") forward.nat = { address: o.natAddress };
  const net = new sdk.Network("default", {
    connection,
    bridge: { name: o.bridgeName ?? "virbr0" },
    ips: [{ address: o.address ?? "192.168.122.1", netmask: "255.255.255.0" }],
    forward,
  });
  const vm = new sdk.GuestInterface("vm1", { network: net, mac: o.guestMac ?? "52:54:00:7a:00:01" });
  return { bridge: net.bridge, tap: vm.name, libvirtXml: net.libvirtXml, substitutions: net.substitutions };
}
