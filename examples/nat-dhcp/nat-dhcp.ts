// libvirt's `default` network as `virsh net-dumpxml default` prints it: NAT on virbr0 with 192.168.122.1/24 and DHCP
// handing out .2–.254 from the network's dnsmasq, plus what a lab adds to it: one guest's fixed address and name
// (a DhcpHost, so it comes and goes without touching the Network) and one name in the network's DNS. On a host
// where libvirt's own default network runs, virbr0 and 192.168.122.0/24 are taken: pass another bridge and address.
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export interface NatDhcpOptions {
  bridgeName?: string;
  /** The bridge's address, x.y.z.1: the network is its /24, and the example's addresses are in it. */
  address?: string;
  /** The reserved guest's host name, handed out by DHCP and answered by DNS. */
  webName?: string;
}

/** The reserved guest's MAC, as a domain's <mac address> would give it. */
export const WEB_MAC = "52:54:00:7a:00:01";

export function defineNatDhcp(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, o: NatDhcpOptions = {}) {
  const address = o.address ?? "192.168.122.1";
  const subnet = address.split(".").slice(0, 3).join(".");
  const net = new sdk.Network("default", {
    connection,
    bridge: { name: o.bridgeName ?? "virbr0" },
    forward: { mode: "nat" },
    ips: [{ address, netmask: "255.255.255.0", dhcp: { ranges: [{ start: `${subnet}.2`, end: `${subnet}.254` }] } }],
    // A machine that is not a DHCP guest (a NAS on the host, say) still gets a name guests can look up.
    dns: { hosts: [{ ip: `${subnet}.5`, hostnames: ["files"] }] },
  });
  // Inside the range is fine: dnsmasq never hands a reserved address to another MAC.
  new sdk.DhcpHost("web", { network: net, mac: WEB_MAC, name: o.webName ?? "web", ip: `${subnet}.10` });
  return { bridge: net.bridge.apply((b) => b.name), dhcpLeases: net.dhcpLeases };
}
