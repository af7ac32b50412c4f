import { describe, expect, it } from "vitest";
import { planNetworkRules, listedOrder, type NftRule } from "../../../../provider/net/firewall-rule";
import type { FirewallObservation } from "../../../../provider/host/snapshot";
import type { ObservedNftTable } from "../../../../provider/nftables/parse-nft";
import { firewallSubstitutions, hostWarnings, planFirewall, planForwarding, plannedRules } from "../../../../provider/resources/network/firewall-plan";
import type { NetworkDesired } from "../../../../provider/resources/network/model";

const desired = (forward: NetworkDesired["forward"]): NetworkDesired => ({
  name: "virbr7", alias: "virtnet:x", mac: "52:54:00:00:00:07", stp: false, delaySeconds: 0, macTableManager: "kernel",
  ips: [{ family: "ipv4", address: "192.168.122.1", prefix: 24 }], routes: [], forward,
});
const SUBNETS = ["192.168.122.0/24"];

/** A host holding exactly `rules` (and the jumps), as nft would list them. */
function holding(rules: NftRule[], jumps = ["guest_output", "guest_input", "guest_cross"]): FirewallObservation {
  let handle = 10;
  const table = (family: "ip" | "ip6"): ObservedNftTable => ({
    family, name: "virtnet_network", jumps,
    chains: (["guest_output", "guest_input", "guest_cross", "guest_nat"] as const).map((chain) => ({
      name: chain, rules: listedOrder(rules, family, chain).map((rule) => ({ family, chain, rule, handle: handle++, staleIfindexes: [] })),
    })),
  });
  return { nft: true, tables: { ip: table("ip"), ip6: table("ip6") } };
}

/** Rules by family and chain in listing order: what inserting them produces, whatever the order across chains. */
const byChain = (rules: NftRule[]) =>
  Object.fromEntries((["ip", "ip6"] as const).flatMap((f) => (["guest_output", "guest_input", "guest_cross", "guest_nat"] as const).map((c) => [`${f} ${c}`, listedOrder(rules, f, c)])));

describe("a network's firewall plan", () => {
  const nat = desired({ mode: "nat" });
  const natRules = planNetworkRules("virbr7", { mode: "nat" }, [{ family: "ipv4", cidr: "192.168.122.0/24" }]);

  it("plans nothing when the host holds exactly the network's rules and jumps", () => {
    expect(planFirewall("virbr7", plannedRules(nat, holding(natRules)), holding(natRules), SUBNETS)).toEqual([]);
  });
  it("replaces the set when a rule was deleted by hand, restoring what was there on undo", () => {
    const host = holding(natRules.filter((r) => r.chain !== "guest_nat"));
    const [op] = planFirewall("virbr7", natRules, host, SUBNETS);
    expect(op).toMatchObject({ op: "firewallReplace", bridge: "virbr7", subnets: SUBNETS, rules: natRules });
    expect(op.op === "firewallReplace" && byChain(op.from!)).toEqual(byChain(natRules.filter((r) => r.chain !== "guest_nat")));
  });
  it("replaces the set when the table's jumps were flushed", () => {
    expect(planFirewall("virbr7", natRules, holding(natRules, []), SUBNETS)).toHaveLength(1);
  });
  it("switches nat to route in place: one replace whose inverse is the nat set", () => {
    const route = plannedRules(desired({ mode: "route" }), holding(natRules));
    const [op] = planFirewall("virbr7", route, holding(natRules), SUBNETS);
    expect(op).toMatchObject({ op: "firewallReplace", rules: route });
    expect(op.op === "firewallReplace" && byChain(op.from!)).toEqual(byChain(natRules));
  });
  it("gives an open network no rules at all, removing the ones it had", () => {
    expect(plannedRules(desired({ mode: "open" }), holding([]))).toEqual([]);
    const [op] = planFirewall("virbr7", [], holding(natRules), SUBNETS);
    expect(op).toMatchObject({ rules: [] });
    expect(op.op === "firewallReplace" && byChain(op.from!)).toEqual(byChain(natRules));
    expect(planFirewall("virbr7", [], holding([]), SUBNETS)).toEqual([]);
  });
  it("leaves another network's rules out of the set", () => {
    const other = planNetworkRules("virbr8", { mode: "nat" }, [{ family: "ipv4", cidr: "10.8.0.0/24" }]);
    expect(planFirewall("virbr7", natRules, holding([...natRules, ...other]), SUBNETS)).toEqual([]);
  });
  it("gives an isolated network on a host without nft no rules, and says so", () => {
    const noNft: FirewallObservation = { nft: false, tables: {} };
    expect(plannedRules(desired({ mode: "isolated" }), noNft)).toEqual([]);
    expect(firewallSubstitutions(desired({ mode: "isolated" }), noNft)).toMatchObject([{ property: "forward", applied: "no firewall rules" }]);
    // A nat network still plans its rules: the host's missing nft is then the apply's error, naming the package.
    expect(plannedRules(nat, noNft)).toEqual(natRules);
    expect(firewallSubstitutions(nat, noNft)).toEqual([]);
  });
  it("turns forwarding on for the families the network has, unless isolated, and never off", () => {
    expect(planForwarding(nat, { ipv4: 0, ipv6: 0 })).toEqual([{ op: "forwardingSysctl", family: "ipv4", value: 1, from: 0 }]);
    expect(planForwarding(nat, { ipv4: 1, ipv6: 0 })).toEqual([]);
    expect(planForwarding(desired({ mode: "isolated" }), { ipv4: 0, ipv6: 0 })).toEqual([]);
    expect(planForwarding(desired({ mode: "open" }), { ipv4: 0, ipv6: 0 })).toHaveLength(1);
  });
  it("warns of other tables' forward drops and of firewalld for a forwarding network, and of an unprotected isolated one", () => {
    const firewall: FirewallObservation = { nft: true, tables: {}, forwardDrops: [{ family: "ip", table: "filter", chain: "FORWARD" }], firewalld: true };
    expect(hostWarnings(nat, { firewall, forwarding: { ipv4: 1, ipv6: 0 } }).hostWarnings).toEqual([
      "table ip filter chain FORWARD (hook forward, policy drop) drops guest traffic that virtnet_network accepts; allow virbr7 there (Docker: DOCKER-USER)",
      "firewalld is loaded (table inet firewalld) and rejects forwarding for interfaces in no zone; put virbr7 in a zone (firewall-cmd --zone=trusted --add-interface=virbr7)",
    ]);
    // An isolated network forwards nothing, so others' drops cannot hurt it; without nft, forwarding can.
    expect(hostWarnings(desired({ mode: "isolated" }), { firewall, forwarding: { ipv4: 1, ipv6: 0 } })).toEqual({});
    expect(hostWarnings(desired({ mode: "isolated" }), { firewall: { nft: false, tables: {} }, forwarding: { ipv4: 1, ipv6: 0 } }).hostWarnings).toHaveLength(1);
    expect(hostWarnings(desired({ mode: "isolated" }), { firewall: { nft: false, tables: {} }, forwarding: { ipv4: 0, ipv6: 0 } })).toEqual({});
  });
  it("refuses IPv6 forwarding, before any change, where the kernel would flush routes learned from router advertisements", () => {
    const dual = { ...desired({ mode: "nat" }), ips: [...nat.ips, { family: "ipv6" as const, address: "2001:db8:ca2:2::1", prefix: 64 }] };
    const off = { ipv4: 0 as const, ipv6: 0 as const };
    const ra = (acceptRa: number, allAcceptRa = 1) => ({ readable: true, allAcceptRa, autoconfigured: [{ dev: "eth0", acceptRa }] });
    expect(() => planForwarding(dual, off, ra(1))).toThrow(
      "forward: Check the host setup: interface eth0 has kernel autoconfigured IPv6 routes and enabling forwarding without accept_ra set to 2 will cause the kernel to flush them, breaking networking.",
    );
    expect(() => planForwarding(dual, off, ra(0, 1))).toThrow(/interface eth0 has kernel autoconfigured IPv6 routes/);
    expect(planForwarding(dual, off, ra(0, 0))).toHaveLength(2);
    expect(planForwarding(dual, off, ra(2))).toEqual([
      { op: "forwardingSysctl", family: "ipv4", value: 1, from: 0 },
      { op: "forwardingSysctl", family: "ipv6", value: 1, from: 0 },
    ]);
    expect(() => planForwarding(dual, off, { readable: false, allAcceptRa: 1, autoconfigured: [] })).toThrow("forward: Unable to read /proc/net/ipv6_route for ipv6 forwarding checks");
    // Nothing to check where IPv6 forwarding is on already, or the network has no IPv6.
    expect(planForwarding(dual, { ipv4: 0, ipv6: 1 }, ra(1))).toEqual([{ op: "forwardingSysctl", family: "ipv4", value: 1, from: 0 }]);
    expect(planForwarding(nat, off, ra(1))).toHaveLength(1);
  });
});
