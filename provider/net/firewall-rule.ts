// The forward modes' firewall as data: which of libvirt's nftables rules a network needs, in libvirt's order
// (docs/libvirt-behaviour.md §9.2, §9.3), and which observed rules are a network's own (§9.5). A rule is kept
// as libvirt's own text so that a plan, a golden file and a parsed listing compare as plain strings; the nft
// syntax around it (table, insert, delete, JSON) belongs to provider/nftables/.
import { networkAddress, normalizeAddress } from "./ip-address";

export type NftFamily = "ip" | "ip6";
export type NftChain = "guest_output" | "guest_input" | "guest_cross" | "guest_nat";

/** The filter chains; a rule in one of them names the bridge by `iif`/`oif`. */
export const FILTER_CHAINS: readonly NftChain[] = ["guest_output", "guest_input", "guest_cross"];

export interface NftRule {
  family: NftFamily;
  chain: NftChain;
  /** What libvirt writes after `insert rule FAMILY <table> CHAIN`, with `!=` unquoted. */
  rule: string;
}

/** A rule of either origin, planned or observed (an observed rule may sit in any chain of the table). */
export interface NftRuleLike {
  family: NftFamily;
  chain: string;
  rule: string;
}

export interface ForwardRules {
  mode: "isolated" | "nat" | "route" | "open";
  dev?: string;
  nat?: {
    address?: { start: string; end: string };
    port?: { start: number; end: number };
    ipv6?: boolean;
  };
}

export interface FirewallSubnet {
  family: "ipv4" | "ipv6";
  /** The network's address masked by its prefix, e.g. 192.168.122.0/24. */
  cidr: string;
}

/** libvirt keeps guests off the privileged source ports unless told otherwise (§9.2). */
export const DEFAULT_NAT_PORTS = { start: 1024, end: 65535 } as const;

const IPV4_BROADCAST = "255.255.255.255/32";
const IPV4_LOCAL_MULTICAST = "224.0.0.0/24";
const IPV6_LOCAL_MULTICAST = "ff02::/16";

/**
 * The rules of one network in the order libvirt inserts them (nftablesAddFirewallRules): the IPv4 isolation
 * trio always, the IPv6 trio when there is an IPv6 subnet, then per subnet in the given order its masquerading
 * or routing set. Input is assumed valid (check.ts refuses what libvirt refuses); open networks get nothing.
 */
export function planNetworkRules(bridge: string, forward: ForwardRules, subnets: FirewallSubnet[]): NftRule[] {
  if (forward.mode === "open") return [];
  const rules = isolationRules("ip", bridge);
  // libvirt writes the IPv4 trio even for an IPv6-only network, and the IPv6 trio only when it has IPv6.
  if (subnets.some((s) => s.family === "ipv6")) rules.push(...isolationRules("ip6", bridge));
  if (forward.mode === "isolated") return rules;
  for (const subnet of subnets) {
    const family: NftFamily = subnet.family === "ipv4" ? "ip" : "ip6";
    const net = canonicalCidr(subnet.cidr, true);
    // IPv6 has no NAT in libvirt's model unless nat.ipv6 asks for it: a nat network routes its IPv6 subnets.
    const masquerade = forward.mode === "nat" && (family === "ip" || forward.nat?.ipv6 === true);
    rules.push(...(masquerade ? masqueradingSet(family, net, bridge, forward) : routingSet(family, net, bridge, forward.dev)));
  }
  return rules;
}

function isolationRules(family: NftFamily, bridge: string): NftRule[] {
  return [
    { family, chain: "guest_output", rule: `iif ${bridge} counter reject` },
    { family, chain: "guest_input", rule: `oif ${bridge} counter reject` },
    { family, chain: "guest_cross", rule: `iif ${bridge} oif ${bridge} counter accept` },
  ];
}

function allowOut(family: NftFamily, net: string, bridge: string, dev?: string): NftRule {
  return { family, chain: "guest_output", rule: join(`${family} saddr ${net}`, `iif ${bridge}`, dev && `oifname ${dev}`, "counter accept") };
}

function routingSet(family: NftFamily, net: string, bridge: string, dev?: string): NftRule[] {
  // No conntrack match: a routed network accepts every inbound connection, as libvirt's does.
  const allowIn = join(`${family} daddr ${net}`, dev && `iifname ${dev}`, `oif ${bridge}`, "counter accept");
  return [allowOut(family, net, bridge, dev), { family, chain: "guest_input", rule: allowIn }];
}

function masqueradingSet(family: NftFamily, net: string, bridge: string, forward: ForwardRules): NftRule[] {
  const dev = forward.dev;
  const relatedIn = join(dev && `iifname ${dev}`, `oif ${bridge}`, `${family} daddr ${net}`, "ct state related,established counter accept");
  const port = forward.nat?.port;
  // {0,0} is libvirt's "no <port>": the default range applies.
  const ports = port === undefined || (port.start === 0 && port.end === 0) ? DEFAULT_NAT_PORTS : port;
  // The SNAT pool is IPv4; libvirt uses it only for subnets of its family, so IPv6 keeps masquerade.
  const pool = family === "ip" ? forward.nat?.address : undefined;
  const translate = (protocol?: "udp" | "tcp"): NftRule => {
    // nft refuses a port map without a protocol match, so only the tcp and udp rules carry ports.
    const portRange = protocol ? `:${ports.start}-${ports.end}` : "";
    const action = pool ? `snat to ${pool.start}-${pool.end}${portRange}` : protocol ? `masquerade to ${portRange}` : "masquerade";
    const rule = join(protocol && `meta l4proto ${protocol}`, `${family} saddr ${net} ${family} daddr != ${net}`, dev && `oifname ${dev}`, `counter ${action}`);
    return { family, chain: "guest_nat", rule };
  };
  const dontMasquerade = (destination: string): NftRule => ({
    family,
    chain: "guest_nat",
    rule: join(dev && `oifname ${dev}`, `${family} saddr ${net} ${family} daddr ${destination}`, "counter return"),
  });
  return [
    allowOut(family, net, bridge, dev),
    { family, chain: "guest_input", rule: relatedIn },
    translate(),
    translate("udp"),
    translate("tcp"),
    ...(family === "ip" ? [dontMasquerade(IPV4_BROADCAST)] : []),
    dontMasquerade(family === "ip" ? IPV4_LOCAL_MULTICAST : IPV6_LOCAL_MULTICAST),
  ];
}

function join(...parts: (string | undefined | false | "")[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p !== "").join(" ");
}

/**
 * The texts of one chain's planned rules in the order nft lists them: each insert goes to the head of its chain,
 * so a chain reads in the reverse of libvirt's order. This is what the rules a network owns in that chain must
 * equal for the network to show no drift.
 */
export function listedOrder(rules: readonly NftRule[], family: NftFamily, chain: NftChain): string[] {
  return rules.filter((r) => r.family === family && r.chain === chain).map((r) => r.rule).reverse();
}

/**
 * Whether an observed or planned rule is this network's: a filter-chain rule naming the bridge by `iif` or
 * `oif`, or a guest_nat rule whose source is one of `subnets` (pass the old and the new ones, so that a
 * subnet change finds the rules it replaces). Rules in the forward chain (the jumps) are nobody's.
 */
export function belongsToNetwork(rule: NftRuleLike, bridge: string, subnets: string[]): boolean {
  const words = rule.rule.split(" ");
  if ((FILTER_CHAINS as readonly string[]).includes(rule.chain)) {
    return words.some((w, i) => (w === "iif" || w === "oif") && words[i + 1] === bridge);
  }
  if (rule.chain !== "guest_nat") return false;
  const wanted = new Set(subnets.map((s) => canonicalCidr(s, true)));
  return words.some((w, i) => w === rule.family && words[i + 1] === "saddr" && wanted.has(canonicalCidr(words[i + 2] ?? "", false)));
}

/**
 * An address/prefix in the form nft prints it: compressed lowercase IPv6, host bits cleared (when `mask`).
 * Text that is not a CIDR comes back unchanged, so it can only ever equal itself.
 */
export function canonicalCidr(text: string, mask: boolean): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return text;
  try {
    const prefix = Number(m[2]);
    return `${mask ? networkAddress(m[1]!, prefix) : normalizeAddress(m[1]!)}/${prefix}`;
  } catch {
    return text;
  }
}
