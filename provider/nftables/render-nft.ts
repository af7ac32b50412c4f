// nft syntax for virtnet's firewall: the table's base lines, one atomic `nft -f -` batch replacing a network's
// rules, and libvirt's logged argv form of a rule for golden comparison (docs/libvirt-behaviour.md §9.1, §9.4).
import type { NftFamily, NftRule } from "../net/firewall-rule";
import { TABLE_CHAINS, VIRTNET_TABLE } from "./virtnet-table";

export interface NftDeletion {
  family: NftFamily;
  chain: string;
  handle: number;
}

export interface NftBatch {
  /** The families whose table and chains the batch ensures (libvirt ensures both on every change). */
  families: readonly NftFamily[];
  /** Per family, the chains the observed forward chain already jumps to; a missing family means none. */
  jumpsPresent: Partial<Record<NftFamily, readonly string[]>>;
  deletions: readonly NftDeletion[];
  /** In libvirt's order; each goes to the head of its chain, as libvirt's own inserts do. */
  inserts: readonly NftRule[];
}

/**
 * The lines that make sure a family's table and chains exist. `add` is idempotent for tables and chains, so
 * they are written every time; a jump is not (a second one would run the chain twice), so it is written only
 * when the observed forward chain lacks it.
 */
export function renderNftBase(family: NftFamily, jumpsPresent: readonly string[]): string[] {
  const lines = [`add table ${family} ${VIRTNET_TABLE}`];
  for (const chain of TABLE_CHAINS) {
    const spec = chain.base
      ? ` { type ${chain.base.type} hook ${chain.base.hook} priority ${chain.base.priority}; policy ${chain.base.policy}; }`
      : "";
    lines.push(`add chain ${family} ${VIRTNET_TABLE} ${chain.name}${spec}`);
    if (chain.jumpFrom && !jumpsPresent.includes(chain.name)) {
      lines.push(`insert rule ${family} ${VIRTNET_TABLE} ${chain.jumpFrom} counter jump ${chain.name}`);
    }
  }
  return lines;
}

export function renderNftDeletion(d: NftDeletion): string {
  return `delete rule ${d.family} ${VIRTNET_TABLE} ${d.chain} handle ${d.handle}`;
}

const INTERFACE_KEYWORDS = new Set(["iif", "oif", "iifname", "oifname"]);

/**
 * An insert line. Interface names are written as quoted strings: unquoted, nft reads a name such as `accept`,
 * `tcp` or `fwd` as a keyword and `0x1` as an interface index.
 */
export function renderNftInsert(rule: NftRule): string {
  const words = rule.rule.split(" ").map((w, i, all) => (i > 0 && INTERFACE_KEYWORDS.has(all[i - 1]!) ? quoteInterface(w) : w));
  return `insert rule ${rule.family} ${VIRTNET_TABLE} ${rule.chain} ${words.join(" ")}`;
}

function quoteInterface(name: string): string {
  // Interface names are validated long before this point; a name nft cannot hold in a string never gets here.
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`interface name '${name}' cannot be written into an nft rule`);
  return `"${name}"`;
}

/** One `nft -f -` input: nft applies a file as one transaction, so a failure anywhere changes nothing. */
export function renderNftBatch(batch: NftBatch): string {
  const lines = [
    ...batch.families.flatMap((f) => renderNftBase(f, batch.jumpsPresent[f] ?? [])),
    ...batch.deletions.map(renderNftDeletion),
    ...batch.inserts.map(renderNftInsert),
  ];
  return lines.join("\n") + "\n";
}

/**
 * The rule as libvirt's log and test data show it: one `nft -ae insert rule …` per rule, the shell-quoted `'!='`
 * being the only quoted word.
 */
export function renderLibvirtArgv(rule: NftRule): string {
  const words = rule.rule.split(" ").map((w) => (w === "!=" ? "'!='" : w));
  return ["nft", "-ae", "insert", "rule", rule.family, VIRTNET_TABLE, rule.chain, ...words].join(" ");
}
