// Migration from libvirt: a network from `virsh net-dumpxml`, a guest NIC from a domain's <interface>.
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export const GUEST_INTERFACE_XML = `<interface type='network'>
  <mac address='52:54:00:6d:90:02'/>
  <source network='routed'/>
  <target dev='vnet7'/>
  <model type='virtio'/>
</interface>`;

export function defineFromLibvirt(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, networkXml: string, mtu?: number) {
  // The XML carries everything but the connection; any argument may be overridden, here the MTU.
  const net = sdk.Network.fromLibvirtXml("routed", networkXml, { connection, ...(mtu ? { mtu } : {}) });
  const vm = sdk.GuestInterface.fromLibvirtXml("vm", GUEST_INTERFACE_XML, { network: net });
  return { libvirtXml: net.libvirtXml, tap: vm.name };
}
