// A network's forward mode on the host (docs/libvirt-behaviour.md §9): which of libvirt's nftables rules it needs,
// whether the host holds exactly those, the one operation that makes it so, and host-wide forwarding. Pure.
import { FILTER_CHAINS, belongsToNetwork, listedOrder, planNetworkRules, type FirewallSubnet, type NftChain, type NftFamily, type NftRule } from "../../net/firewall-rule";
import { networkAddress } from "../../net/ip-address";
import type { ObservedDnsmasq } from "../../dnsmasq/observe-dnsmasq";
import type { Operation } from "../../net/operation";
import type { FirewallObservation, ForwardingObservation, RouterAdvertisementObservation } from "../../host/snapshot";
import type { ObservedNftRule } from "../../nftables/parse-nft";
import { networkDesired, type DesiredIp, type NetworkDesired, type NetworkOutputs, type ObservedForward, type Substitution } from "./model";

/** What the forward modes read of the host: virtnet's nftables tables and host-wide forwarding. */
export interface HostForwarding {
  firewall: FirewallObservation;
  forwarding: ForwardingObservation;
  routerAdvertisement?: RouterAdvertisementObservation;
  /** virtnet's dnsmasq instances, by bridge (absent: none). */
  dnsmasq?: ReadonlyMap<string, ObservedDnsmasq>;
}

const CHAINS: readonly NftChain[] = ["guest_output", "guest_input", "guest_cross", "guest_nat"];
const FAMILIES: readonly NftFamily[] = ["ip", "ip6"];

/** Each address's subnet as nft prints it (the address masked by its prefix). */
export function firewallSubnets(ips: readonly DesiredIp[]): FirewallSubnet[] {
  return ips.map((ip) => ({ family: ip.family, cidr: `${networkAddress(ip.address, ip.prefix)}/${ip.prefix}` }));
}

/** The subnets alone, as a network's rules name them. */
export function subnetCidrs(ips: readonly DesiredIp[]): string[] {
  return firewallSubnets(ips).map((s) => s.cidr);
}

/**
 * The rules the network needs. An isolated network on a host without nft gets none: it needs no firewall while the
 * host does not forward, and says so in a substitution (firewallSubstitutions).
 */
export function plannedRules(d: NetworkDesired, firewall: FirewallObservation): NftRule[] {
  if (!firewall.nft && d.forward.mode === "isolated") return [];
  return planNetworkRules(d.name, d.forward, firewallSubnets(d.ips));
}

/** The observed rules that are this network's, by family and chain in the order nft lists them. */
export function observedNetworkRules(firewall: FirewallObservation, bridge: string, subnets: readonly string[]): ObservedNftRule[] {
  return FAMILIES.flatMap((f) => (firewall.tables[f]?.chains ?? []).flatMap((c) => c.rules.filter((r) => belongsToNetwork(r, bridge, [...subnets]))));
}

/** Whether the host holds exactly the planned rules, in order, and the jumps that make its chains run. */
export function firewallInPlace(planned: readonly NftRule[], observed: readonly ObservedNftRule[], firewall: FirewallObservation): boolean {
  for (const family of FAMILIES) {
    const has = planned.some((r) => r.family === family);
    if (has && FILTER_CHAINS.some((c) => !firewall.tables[family]?.jumps.includes(c))) return false;
    for (const chain of CHAINS) {
      const seen = observed.filter((r) => r.family === family && r.chain === chain).map((r) => r.rule);
      const wanted = listedOrder(planned, family, chain);
      if (seen.length !== wanted.length || seen.some((r, i) => r !== wanted[i])) return false;
    }
  }
  return true;
}

/**
 * The operation that gives the network exactly its rules, or none when the host already has them. `subnets`
 * are every subnet the network's rules may name (the recorded ones and the desired ones). The undo re-inserts
 * what was there, in insert order (the reverse of the listing).
 */
export function planFirewall(bridge: string, planned: NftRule[], firewall: FirewallObservation, subnets: readonly string[]): Operation[] {
  const observed = observedNetworkRules(firewall, bridge, subnets);
  if (firewallInPlace(planned, observed, firewall)) return [];
  if (planned.length === 0 && observed.length === 0) return [];
  const from = [...observed].reverse().filter((r) => (CHAINS as readonly string[]).includes(r.chain)).map((r) => ({ family: r.family, chain: r.chain as NftChain, rule: r.rule }));
  return [{ op: "firewallReplace", bridge, subnets: [...new Set(subnets)], rules: planned, from }];
}

/**
 * libvirt turns forwarding on for every family the network has, unless it is isolated, and never turns it off.
 * Before IPv6 forwarding it runs its router-advertisement check (virNetDevIPCheckIPv6Forwarding,
 * docs/libvirt-behaviour.md §9.7): forwarding makes the kernel flush the routes it learned from router
 * advertisements on every interface whose accept_ra is not 2, which can cut the host off its own network.
 */
export function planForwarding(d: NetworkDesired, forwarding: ForwardingObservation, ra?: RouterAdvertisementObservation): Operation[] {
  if (d.forward.mode === "isolated") return [];
  const families = (["ipv4", "ipv6"] as const).filter((f) => d.ips.some((ip) => ip.family === f) && forwarding[f] !== 1);
  if (families.includes("ipv6") && ra) {
    if (!ra.readable) throw new Error("forward: Unable to read /proc/net/ipv6_route for ipv6 forwarding checks");
    const flushed = ra.autoconfigured.find((i) => i.acceptRa === 1 || (i.acceptRa === 0 && ra.allAcceptRa === 1));
    if (flushed) {
      throw new Error(
        `forward: Check the host setup: interface ${flushed.dev} has kernel autoconfigured IPv6 routes and enabling forwarding without accept_ra set to 2 will cause the kernel to flush them, breaking networking. ` +
          `(On the host: sysctl -w net.ipv6.conf.${flushed.dev}.accept_ra=2, and make it permanent; then run the update again.)`,
      );
    }
  }
  return families.map((family) => ({ op: "forwardingSysctl", family, value: 1, from: 0 }));
}

/**
 * What else on the host decides the guests' traffic (docs/libvirt-behaviour.md §9.6): nftables runs every table's
 * chains on a hook, so another table's forward drop wins over virtnet's accept, and firewalld rejects forwarding
 * for interfaces in no zone. Warnings only: the host's firewall is its owner's.
 */
export function hostWarnings(d: NetworkDesired, host: HostForwarding): { hostWarnings?: string[] } {
  const warnings: string[] = [];
  if (d.forward.mode !== "isolated") {
    for (const c of host.firewall.forwardDrops ?? []) {
      warnings.push(`table ${c.family} ${c.table} chain ${c.chain} (hook forward, policy drop) drops guest traffic that virtnet_network accepts; allow ${d.name} there (Docker: DOCKER-USER)`);
    }
    if (host.firewall.firewalld) {
      warnings.push(`firewalld is loaded (table inet firewalld) and rejects forwarding for interfaces in no zone; put ${d.name} in a zone (firewall-cmd --zone=trusted --add-interface=${d.name})`);
    }
  } else if (!host.firewall.nft && (host.forwarding.ipv4 === 1 || host.forwarding.ipv6 === 1)) {
    warnings.push(`the host forwards packets and has no nft: guests of this isolated network can be routed out; install nftables so virtnet can write its isolation rules`);
  }
  return warnings.length > 0 ? { hostWarnings: warnings } : {};
}

/** What a host without nft means for a network that would have rules. */
export function firewallSubstitutions(d: NetworkDesired, firewall: FirewallObservation): Substitution[] {
  if (firewall.nft || d.forward.mode !== "isolated") return [];
  return [
    {
      property: "forward",
      wanted: "libvirt's isolation rules in nftables (reject what leaves or enters the bridge)",
      applied: "no firewall rules",
      reason: "the host has no nft: isolation relies on host forwarding staying off (install nftables to have the rules)",
    },
  ];
}

/**
 * The forward mode as observed: the inputs' forward (rules cannot tell a mode back), the network's rules as nft
 * lists them, and what the host lacks of what the mode needs, which shows as a change to `forward`.
 */
export function observedForward(previous: NetworkOutputs, host: HostForwarding): ObservedForward {
  const d = networkDesired(previous);
  const planned = plannedRules(d, host.firewall);
  const observed = observedNetworkRules(host.firewall, d.name, subnetCidrs(d.ips));
  const drift: string[] = [];
  if (!firewallInPlace(planned, observed, host.firewall)) {
    const seen = new Set(observed.map((r) => `${r.family} ${r.chain} ${r.rule}`));
    const wanted = new Set(planned.map((r) => `${r.family} ${r.chain} ${r.rule}`));
    const missing = [...wanted].filter((r) => !seen.has(r));
    const extra = [...seen].filter((r) => !wanted.has(r));
    drift.push(missing.length + extra.length > 0 ? `${missing.length} of the network's rules missing, ${extra.length} not its own on its bridge or subnets` : "the network's rules out of order or not jumped to");
  }
  for (const op of planForwarding(d, host.forwarding)) if (op.op === "forwardingSysctl") drift.push(`host forwarding for ${op.family} is off`);
  return {
    ...(previous.forward !== undefined ? { forward: previous.forward } : {}),
    ...(observed.length > 0 ? { firewallRules: observed.map((r) => `${r.family} ${r.chain} ${r.rule}`) } : {}),
    ...(drift.length > 0 ? { forwardDrift: drift } : {}),
    ...hostWarnings(d, host),
    substitutions: firewallSubstitutions(d, host.firewall),
  };
}
