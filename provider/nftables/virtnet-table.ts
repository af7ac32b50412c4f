// virtnet's nftables table: its name and its chains, as data that the renderer writes and drift compares
// (docs/libvirt-behaviour.md §9.1). libvirt's layout, under a name of virtnet's own so that virtnet never shares
// a chain with a libvirtd on the same host.
import type { NftChain } from "../net/firewall-rule";

export const VIRTNET_TABLE = "virtnet_network";

export interface BaseChainSpec {
  type: "filter" | "nat";
  hook: "forward" | "postrouting";
  priority: number;
  policy: "accept";
}

export interface TableChain {
  name: "forward" | NftChain;
  /** Set for a base chain: one the kernel runs on a hook. */
  base?: BaseChainSpec;
  /** The base chain that jumps to this one. */
  jumpFrom?: "forward";
}

/** In libvirt's creation order, which also fixes the order of the jumps it inserts. */
export const TABLE_CHAINS: readonly TableChain[] = [
  { name: "forward", base: { type: "filter", hook: "forward", priority: 0, policy: "accept" } },
  { name: "guest_output", jumpFrom: "forward" },
  { name: "guest_input", jumpFrom: "forward" },
  { name: "guest_cross", jumpFrom: "forward" },
  { name: "guest_nat", base: { type: "nat", hook: "postrouting", priority: 100, policy: "accept" } },
];
