// Parses nft's JSON listings: virtnet's table back into libvirt's rule text, so that drift is a string comparison
// with the plan, and the host's other forward chains that drop (docs/libvirt-behaviour.md §9.4, §9.5). Only the
// expressions virtnet writes are understood; anything else renders as text no planned rule can equal.
import { z } from "zod";
import { parseJsonOutput } from "../iproute2/parse-json";
import { canonicalCidr, type NftFamily, type NftRuleLike } from "../net/firewall-rule";
import { networkAddress, normalizeAddress } from "../net/ip-address";
import { VIRTNET_TABLE } from "./virtnet-table";

export interface ObservedNftRule extends NftRuleLike {
  handle: number;
  /**
   * Interfaces an `iif`/`oif` names by a bare number. nft prints an interface index when no interface has it
   * any more, which is what a rule left behind by a deleted bridge looks like. An interface whose name is all
   * digits lists the same way, so a caller confirms that no interface has that name before calling it stale.
   */
  staleIfindexes: number[];
}

export interface ObservedNftChain {
  name: string;
  /** Base chains only. */
  type?: string;
  hook?: string;
  priority?: number;
  policy?: string;
  /** In the chain's order, which for inserted rules is the reverse of the order they were inserted in. */
  rules: ObservedNftRule[];
}

export interface ObservedNftTable {
  family: NftFamily;
  name: string;
  chains: ObservedNftChain[];
  /** The chains that the `forward` chain jumps to with a rule of nothing but a counter and the jump. */
  jumps: string[];
}

const table = z.object({ table: z.object({ family: z.string(), name: z.string() }) });
const chain = z.object({
  chain: z.object({
    family: z.string(),
    table: z.string(),
    name: z.string(),
    type: z.string().optional(),
    hook: z.string().optional(),
    prio: z.number().optional(),
    policy: z.string().optional(),
  }),
});
const rule = z.object({
  rule: z.object({
    family: z.string(),
    table: z.string(),
    chain: z.string(),
    handle: z.number().int(),
    expr: z.array(z.unknown()),
    comment: z.string().optional(),
  }),
});
// Each item is one object kind (metainfo, table, chain, rule, set, …); items are told apart one by one below.
const listing = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) });

type Item = z.output<typeof listing>["nftables"][number];

function items(json: string, command: string): Item[] {
  return parseJsonOutput(json, listing, command).nftables;
}

/**
 * `nft -j -a list table FAMILY virtnet_network`. Empty output (nft prints nothing when the table does not
 * exist, and fails) and a listing without a table give undefined.
 */
export function parseNftTable(json: string): ObservedNftTable | undefined {
  if (json.trim() === "") return undefined;
  const all = items(json, "nft -j -a list table");
  const t = all.map((i) => table.safeParse(i)).find((p) => p.success)?.data;
  if (!t) return undefined;
  const family = t.table.family;
  if (family !== "ip" && family !== "ip6") throw new Error(`'nft -j -a list table' listed a table of family '${family}', not ip or ip6`);
  const ours = (x: { family: string; table: string }) => x.family === family && x.table === t.table.name;
  const chains: ObservedNftChain[] = [];
  const chainNamed = (name: string): ObservedNftChain => {
    let c = chains.find((x) => x.name === name);
    if (!c) chains.push((c = { name, rules: [] }));
    return c;
  };
  for (const item of all) {
    const c = chain.safeParse(item);
    if (c.success && ours(c.data.chain)) {
      const { name, type, hook, prio, policy } = c.data.chain;
      Object.assign(chainNamed(name), { ...(type !== undefined && { type }), ...(hook !== undefined && { hook }), ...(prio !== undefined && { priority: prio }), ...(policy !== undefined && { policy }) });
      continue;
    }
    const r = rule.safeParse(item);
    if (r.success && ours(r.data.rule)) chainNamed(r.data.rule.chain).rules.push(observedRule(family, r.data.rule));
  }
  const forward = chains.find((c) => c.name === "forward");
  const jumps = (forward?.rules ?? []).map((r) => /^(?:counter )?jump (\S+)$/.exec(r.rule)?.[1]).filter((x): x is string => x !== undefined);
  return { family, name: t.table.name, chains, jumps };
}

/** A chain's rules, or none when the chain is absent (a flushed or deleted table lists no chains). */
export function chainRules(t: ObservedNftTable | undefined, name: string): ObservedNftRule[] {
  return t?.chains.find((c) => c.name === name)?.rules ?? [];
}

function observedRule(family: NftFamily, r: z.output<typeof rule>["rule"]): ObservedNftRule {
  const staleIfindexes: number[] = [];
  const words = r.expr.map((e) => {
    const x = renderExpression(family, e);
    if (x.ifindex !== undefined) staleIfindexes.push(x.ifindex);
    return x.text;
  });
  if (r.comment !== undefined) words.push(`comment ${JSON.stringify(r.comment)}`);
  return { family, chain: r.chain, handle: r.handle, rule: words.join(" "), staleIfindexes };
}

interface Rendered {
  text: string;
  ifindex?: number;
}

/** Text a planned rule never contains (libvirt's rules have no angle brackets), so it can never match one. */
function unparsed(e: unknown): Rendered {
  return { text: `<unparsed ${JSON.stringify(e)}>` };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function onlyKey(e: Record<string, unknown>): [string, unknown] | undefined {
  const keys = Object.keys(e);
  return keys.length === 1 ? [keys[0]!, e[keys[0]!]] : undefined;
}

function renderExpression(family: NftFamily, e: unknown): Rendered {
  if (!isRecord(e)) return unparsed(e);
  const kv = onlyKey(e);
  if (!kv) return unparsed(e);
  const [kind, body] = kv;
  switch (kind) {
    case "match":
      return renderMatch(body) ?? unparsed(e);
    case "counter":
      // An anonymous counter lists its packets and bytes (or null); a string names a counter object.
      return body === null || isRecord(body) ? { text: "counter" } : unparsed(e);
    case "accept":
    case "return":
      return body === null ? { text: kind } : unparsed(e);
    case "reject":
      return isDefaultReject(family, body) ? { text: "reject" } : unparsed(e);
    case "jump":
      return isRecord(body) && typeof body.target === "string" && Object.keys(body).length === 1 ? { text: `jump ${body.target}` } : unparsed(e);
    case "masquerade":
      return renderMasquerade(body) ?? unparsed(e);
    case "snat":
      return renderSnat(body) ?? unparsed(e);
    default:
      return unparsed(e);
  }
}

/** A bare `reject` lists as the family's ICMP port-unreachable; any other reject is not the one virtnet writes. */
function isDefaultReject(family: NftFamily, body: unknown): boolean {
  if (body === null) return true;
  if (!isRecord(body) || Object.keys(body).length !== 2) return false;
  return body.type === (family === "ip" ? "icmp" : "icmpv6") && body.expr === "port-unreachable";
}

const INTERFACE_KEYS = new Set(["iif", "oif", "iifname", "oifname"]);

function renderMatch(m: unknown): Rendered | undefined {
  if (!isRecord(m) || !isRecord(m.left) || Object.keys(m).length !== 3) return undefined;
  const left = onlyKey(m.left);
  if (!left || !isRecord(left[1])) return undefined;
  const [kind, key] = left;
  const op = m.op;
  const right = m.right;
  // ct state takes a set: nft lists libvirt's `related,established` as op "in" with a list, `{ … }` as op "==".
  if (kind === "ct" && onlyKey(key)?.[1] === "state" && (op === "in" || op === "==")) {
    const states = ctStates(right);
    return states ? { text: `ct state ${states}` } : undefined;
  }
  if (op !== "==" && op !== "!=") return undefined;
  const not = op === "!=" ? "!= " : "";
  if (kind === "meta") {
    const meta = onlyKey(key)?.[1];
    if (typeof meta !== "string" || (typeof right !== "string" && typeof right !== "number")) return undefined;
    if (INTERFACE_KEYS.has(meta)) {
      const value = String(right);
      // iif/oif match an index; nft prints the interface's name while it exists and the bare index after.
      const ifindex = (meta === "iif" || meta === "oif") && /^\d+$/.test(value) ? Number(value) : undefined;
      return { text: `${meta} ${not}${value}`, ...(ifindex !== undefined && { ifindex }) };
    }
    if (meta === "l4proto" && typeof right === "string") return { text: `meta l4proto ${not}${right}` };
    return undefined;
  }
  if (kind === "payload") {
    const protocol = key.protocol;
    const field = key.field;
    if ((protocol !== "ip" && protocol !== "ip6") || (field !== "saddr" && field !== "daddr") || Object.keys(key).length !== 2) return undefined;
    const net = prefixText(protocol === "ip" ? 32 : 128, right);
    return net === undefined ? undefined : { text: `${protocol} ${field} ${not}${net}` };
  }
  return undefined;
}

/** libvirt writes prefixes; nft lists a full-length one as a bare address, which is read back as ADDR/32 or /128. */
function prefixText(full: number, right: unknown): string | undefined {
  try {
    if (typeof right === "string") return `${normalizeAddress(right)}/${full}`;
    if (isRecord(right) && isRecord(right.prefix) && typeof right.prefix.addr === "string" && typeof right.prefix.len === "number") {
      return canonicalCidr(`${right.prefix.addr}/${right.prefix.len}`, false);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** libvirt's own order first, so that its `related,established` reads back as written. */
const CT_STATE_ORDER = ["related", "established", "new", "invalid", "untracked"];

function ctStates(right: unknown): string | undefined {
  const list = typeof right === "string" ? [right] : Array.isArray(right) ? right : isRecord(right) && Array.isArray(right.set) ? right.set : undefined;
  if (!list || list.length === 0 || !list.every((s): s is string => typeof s === "string")) return undefined;
  const rank = (s: string) => (CT_STATE_ORDER.includes(s) ? CT_STATE_ORDER.indexOf(s) : CT_STATE_ORDER.length);
  return [...list].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(",");
}

function portText(p: unknown): string | undefined {
  if (typeof p === "number") return String(p);
  if (isRecord(p) && Array.isArray(p.range) && p.range.length === 2 && p.range.every((n) => typeof n === "number")) return `${p.range[0]}-${p.range[1]}`;
  return undefined;
}

function renderMasquerade(body: unknown): Rendered | undefined {
  if (body === null) return { text: "masquerade" };
  if (!isRecord(body) || Object.keys(body).length !== 1 || !("port" in body)) return undefined;
  const port = portText(body.port);
  return port === undefined ? undefined : { text: `masquerade to :${port}` };
}

function renderSnat(body: unknown): Rendered | undefined {
  if (!isRecord(body) || !("addr" in body) || Object.keys(body).some((k) => k !== "addr" && k !== "port")) return undefined;
  const addr = poolText(body.addr);
  const port = "port" in body ? portText(body.port) : "";
  if (addr === undefined || port === undefined) return undefined;
  return { text: `snat to ${addr}${port === "" ? "" : `:${port}`}` };
}

/**
 * libvirt writes the pool as START-END; nft lists a range that is exactly a prefix as that prefix (a one-address
 * range as ADDR/32), so an IPv4 prefix is read back as its first and last address.
 */
function poolText(a: unknown): string | undefined {
  try {
    if (typeof a === "string") return normalizeAddress(a);
    if (isRecord(a) && Array.isArray(a.range) && a.range.length === 2 && a.range.every((x) => typeof x === "string")) {
      return `${normalizeAddress(a.range[0])}-${normalizeAddress(a.range[1])}`;
    }
    if (isRecord(a) && isRecord(a.prefix) && typeof a.prefix.addr === "string" && typeof a.prefix.len === "number") {
      const { addr, len } = a.prefix;
      if (!addr.includes(".")) return canonicalCidr(`${addr}/${len}`, false);
      return `${networkAddress(addr, len)}-${lastIpv4(addr, len)}`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function lastIpv4(addr: string, len: number): string {
  const n = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - len);
  const last = Math.floor(n / size) * size + size - 1;
  return [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join(".");
}

export interface ForwardDropChain {
  family: string;
  table: string;
  chain: string;
}

/**
 * From `nft -j list chains`: base chains on the forward hook whose policy is drop, outside virtnet's own tables.
 * nftables runs every table's chains on a hook, so an accept in virtnet_network cannot undo their drop.
 */
export function forwardDropChains(json: string): ForwardDropChain[] {
  const found: ForwardDropChain[] = [];
  for (const item of items(json, "nft -j list chains")) {
    const c = chain.safeParse(item);
    if (!c.success) continue;
    const { family, table: t, name, hook, policy } = c.data.chain;
    if (hook !== "forward" || policy !== "drop") continue;
    if ((family === "ip" || family === "ip6") && t === VIRTNET_TABLE) continue;
    found.push({ family, table: t, chain: name });
  }
  return found;
}

/** From `nft -j list chains`: whether any chain of the table FAMILY NAME is loaded (firewalld's `inet firewalld`). */
export function hasTable(json: string, family: string, name: string): boolean {
  return items(json, "nft -j list chains").some((item) => {
    const c = chain.safeParse(item);
    return c.success && c.data.chain.family === family && c.data.chain.table === name;
  });
}
