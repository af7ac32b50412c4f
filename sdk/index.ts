// pulumi-virtnet: libvirt-style virtual networks (Linux bridges) managed over SSH.
export { Network, type NetworkArgs, type BridgeArgs, type IpArgs, type Bridge, type Ip, type Substitution } from "./network";
export type { ConnectionArgs, Connection } from "./connection";
