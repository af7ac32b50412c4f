// The one typed language for every change virtnet makes on a host (docs/architecture.md §3.2). Each kind mirrors one
// iproute2 (or sysctl, or file) verb and carries what its inverse needs: `from` is the value it replaces, `restore`
// what a deletion takes away. Without them the change goes away with the object it was made on (a fresh bridge's
// settings are undone by deleting the bridge). Only provider/iproute2 turns operations into commands.
import type { IpFamily } from "./ip-address";
import type { FilterSpec, HtbClassSpec, QdiscSpec } from "./tc";
import type { NftRule } from "./firewall-rule";

/** The files of one network's dnsmasq that virtnet renders (docs/libvirt-behaviour.md §10.4); leases are dnsmasq's. */
export interface DnsmasqFiles {
  conf: string;
  hostsfile: string;
  addnhosts: string;
  /** Only in a stop's `from`, which the stop removes and its undo writes back: the lease file. */
  leases?: string;
  /** Likewise the DhcpHost reservations of the hosts directory, by file name. */
  hosts?: Record<string, string>;
}

export type Ipv6SysctlKey = "disable_ipv6" | "accept_ra" | "autoconf";
export type PortSetting = "learning" | "flood" | "isolated";

export interface RouteSpec {
  family: IpFamily;
  address: string;
  prefix: number;
  gateway: string;
  metric: number;
}

export interface AddressSpec {
  family: IpFamily;
  address: string;
  prefix: number;
}

export type Operation =
  // Links.
  | { op: "linkAddBridge"; name: string; mac: string }
  | { op: "ifbAdd"; name: string }
  | { op: "tapAdd"; name: string }
  | { op: "linkDel"; name: string; restore?: Operation[] }
  | { op: "tapDel"; name: string; restore?: Operation[] }
  | { op: "linkSetUp"; name: string; from?: boolean }
  | { op: "linkSetDown"; name: string; from?: boolean }
  | { op: "linkSetMtu"; name: string; mtu: number; from?: number }
  | { op: "linkSetAddress"; name: string; mac: string; from?: string }
  | { op: "linkSetAlias"; name: string; alias: string; from?: string }
  | { op: "linkSetMaster"; name: string; master: string; from?: string }
  // Bridge settings and ports.
  | { op: "bridgeSetForwardDelay"; name: string; centiseconds: number; from?: number }
  | { op: "bridgeSetStp"; name: string; on: boolean; from?: boolean }
  | { op: "bridgeSetVlanFiltering"; name: string; on: boolean; from?: boolean }
  | { op: "bridgePortSet"; name: string; setting: PortSetting; on: boolean; from?: boolean }
  | { op: "fdbAdd"; name: string; mac: string }
  | { op: "fdbDel"; name: string; mac: string }
  // Per-device IPv6 sysctls.
  | { op: "ipv6Sysctl"; name: string; key: Ipv6SysctlKey; value: 0 | 1; from?: 0 | 1 }
  // Addresses and routes.
  | ({ op: "addrAdd" | "addrDel"; name: string } & AddressSpec)
  | ({ op: "routeAdd" | "routeDel"; name: string } & RouteSpec)
  // A replace takes over the kernel route of the same destination and metric whatever it was: `fromGateway`, and for a
  // route that was on another device or not virtnet's (an adoption, a legacy re-mark) `fromDev` and `fromProtocol`,
  // say what it was, so that the inverse puts it back. `protocol` is the one to write (absent: virtnet's).
  | ({ op: "routeReplace"; name: string; fromGateway?: string; fromDev?: string; fromProtocol?: string; protocol?: string } & RouteSpec)
  // Traffic control. Deletes of qdiscs, classes and filters are tolerant of absence, as libvirt's are (docs/libvirt-behaviour.md §5.1).
  | { op: "qdiscAdd"; dev: string; qdisc: QdiscSpec }
  // A leaf qdisc is deleted by its parent class and handle; libvirt's Unplug names the handle alone, which the
  // kernel refuses ("Classid cannot be zero"), and relies on the class delete that follows.
  | { op: "qdiscDel"; dev: string; target: "root" | "ingress" | { handle: string; parent?: string }; restore?: Operation[] }
  | { op: "classAdd"; dev: string; cls: HtbClassSpec }
  | { op: "classChange"; dev: string; cls: HtbClassSpec; from?: HtbClassSpec }
  | { op: "classDel"; dev: string; classId: string; from?: HtbClassSpec }
  | { op: "filterAdd"; dev: string; filter: FilterSpec }
  | { op: "filterDelFloor"; dev: string; id: number; from?: FilterSpec }
  // The forward modes' firewall (docs/libvirt-behaviour.md §9): one network's rules in virtnet's nftables table made
  // exactly `rules`, in one atomic nft batch. The network's rules are found on the host when it runs (by the bridge
  // and `subnets`, old and new), so the operation needs no rule handles and its inverse is the same with `from`.
  | { op: "firewallReplace"; bridge: string; subnets: string[]; rules: NftRule[]; from?: NftRule[] }
  // Host-wide forwarding (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding); only an undo ever turns it off again.
  | { op: "forwardingSysctl"; family: IpFamily; value: 0 | 1; from?: 0 | 1 }
  // A network's dnsmasq (docs/libvirt-behaviour.md §10.4). A start writes the files and (re)starts the process; `from`
  // is the files it replaces, null when there was no dnsmasq. A stop ends the process and removes every file. A reload
  // rewrites the host files and sends SIGHUP, which keeps the process and its leases. A DhcpHost's reservation is one
  // file of the network's hosts directory (`line` null: absent), also followed by a SIGHUP.
  | { op: "dnsmasqStart"; bridge: string; files: DnsmasqFiles; from?: DnsmasqFiles | null }
  | { op: "dnsmasqStop"; bridge: string; from?: DnsmasqFiles }
  | { op: "dnsmasqReload"; bridge: string; hostsfile: string; addnhosts: string; from?: { hostsfile: string; addnhosts: string } }
  | { op: "dhcpHostSet"; bridge: string; key: string; line: string | null; from?: string | null }
  // A network's autostart unit instance (docs/libvirt-behaviour.md §11): enabled and started, or stopped and disabled.
  | { op: "unitEnable"; unit: string; on: boolean; from?: boolean }
  // Files (autostart units, dnsmasq configuration): `from` is the previous content, null when there was none.
  // `prune` (with `from: null`): the undo removes the directories the write may have made, up to and including it.
  | { op: "fileWrite"; path: string; content: string; mode: number; from?: string | null; fromMode?: number; prune?: string }
  // `prune`: the removal also removes the file's now empty directories up to and including this one.
  | { op: "fileRemove"; path: string; from?: { content: string; mode: number }; prune?: string };

export type OperationKind = Operation["op"];

const TC_KINDS = ["qdiscAdd", "qdiscDel", "classAdd", "classChange", "classDel", "filterAdd", "filterDelFloor"] as const;
const TC_KIND_SET: ReadonlySet<OperationKind> = new Set(TC_KINDS);

/** A traffic-control operation: one device's qdiscs, classes or filters, rendered by tc. */
export type TcOperation = Extract<Operation, { op: (typeof TC_KINDS)[number] }>;

export function isTcOperation(o: Operation): o is TcOperation {
  return TC_KIND_SET.has(o.op);
}
