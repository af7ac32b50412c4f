// Reading nft's JSON back into libvirt's rule text (docs/libvirt-behaviour.md §9.4, §9.5), against listings
// captured from nftables 1.0.6 in a network namespace: one renderNftBatch for the four networks below, then by
// hand a cross rule on a bridge deleted afterwards (handle 44), `ct state { established, related }` (46), a
// `reject with tcp reset` (47), a commented reject (48), a drop (49) and a one-address snat (50) in the ip table,
// and forward chains in other tables (chains.json).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { belongsToNetwork, FILTER_CHAINS, listedOrder, planNetworkRules, type NftChain, type NftFamily } from "../../../provider/net/firewall-rule";
import { chainRules, forwardDropChains, parseNftTable } from "../../../provider/nftables/parse-nft";

const fixture = (name: string) => readFileSync(path.join(__dirname, "../fixtures/nftables", name), "utf8");
const ip = parseNftTable(fixture("table-ip.json"))!;
const ip6 = parseNftTable(fixture("table-ip6.json"))!;

// What the fixtures were made from (the same calls, in this order, then one batch).
const networks = [
  { bridge: "virbr0", subnets: ["192.168.122.0/24", "2001:db8:ca2:2::/64"], rules: planNetworkRules("virbr0", { mode: "nat", dev: "enp0s7", nat: { ipv6: true } }, [{ family: "ipv4", cidr: "192.168.122.0/24" }, { family: "ipv6", cidr: "2001:db8:ca2:2::/64" }]) },
  { bridge: "virbr1", subnets: ["192.168.130.0/24"], rules: planNetworkRules("virbr1", { mode: "nat", nat: { address: { start: "10.0.0.4", end: "10.0.0.7" }, port: { start: 500, end: 1000 } } }, [{ family: "ipv4", cidr: "192.168.130.0/24" }]) },
  { bridge: "virbr2", subnets: ["192.168.140.0/24"], rules: planNetworkRules("virbr2", { mode: "nat", nat: { address: { start: "10.0.0.9", end: "10.0.0.9" } } }, [{ family: "ipv4", cidr: "192.168.140.0/24" }]) },
  { bridge: "virbr3", subnets: ["192.168.150.7/32", "2001:db8:99::1/128"], rules: planNetworkRules("virbr3", { mode: "route" }, [{ family: "ipv4", cidr: "192.168.150.7/32" }, { family: "ipv6", cidr: "2001:db8:99::1/128" }]) },
];
const CHAINS: NftChain[] = [...FILTER_CHAINS, "guest_nat"];
/** The handles of the rules added by hand. */
const BY_HAND = new Set([44, 46, 47, 48, 49, 50]);

describe("parseNftTable", () => {
  it("lists the chains with their hooks and policies, and the forward chain's jumps", () => {
    expect(ip.family).toBe("ip");
    expect(ip.name).toBe("virtnet_network");
    expect(ip.chains.map((c) => [c.name, c.hook, c.policy])).toEqual([
      ["forward", "forward", "accept"],
      ["guest_output", undefined, undefined],
      ["guest_input", undefined, undefined],
      ["guest_cross", undefined, undefined],
      ["guest_nat", "postrouting", "accept"],
      ["extra", "forward", "drop"],
    ]);
    expect(ip.chains[0]).toMatchObject({ type: "filter", priority: 0 });
    expect(ip.chains[4]).toMatchObject({ type: "nat", priority: 100 });
    expect(ip.jumps).toEqual(["guest_cross", "guest_input", "guest_output"]);
    expect(ip6.jumps).toEqual(["guest_cross", "guest_input", "guest_output"]);
  });

  it.each(networks.map((n) => [n.bridge, n] as const))("reads %s's rules back as exactly the planned text, in listing order", (_, n) => {
    for (const [family, table] of [["ip", ip], ["ip6", ip6]] as [NftFamily, typeof ip][]) {
      for (const chain of CHAINS) {
        const observed = chainRules(table, chain).filter((r) => !BY_HAND.has(r.handle) && belongsToNetwork(r, n.bridge, n.subnets)).map((r) => r.rule);
        expect(observed, `${family} ${chain}`).toEqual(listedOrder(n.rules, family, chain));
      }
    }
  });

  it("reads nft's rewrites back into libvirt's forms: a full prefix listed bare, a SNAT pool listed as a prefix, ct state's order", () => {
    const nat = chainRules(ip, "guest_nat").map((r) => r.rule);
    expect(nat).toContain("ip saddr 192.168.140.0/24 ip daddr 255.255.255.255/32 counter return");
    expect(nat).toContain("ip saddr 192.168.130.0/24 ip daddr != 192.168.130.0/24 counter snat to 10.0.0.4-10.0.0.7");
    expect(nat).toContain("meta l4proto tcp ip saddr 192.168.140.0/24 ip daddr != 192.168.140.0/24 counter snat to 10.0.0.9-10.0.0.9:1024-65535");
    expect(chainRules(ip6, "guest_output").map((r) => r.rule)).toContain("ip6 saddr 2001:db8:99::1/128 iif virbr3 counter accept");
    // `ct state { established, related }` by hand lists differently from libvirt's but means the same.
    expect(chainRules(ip, "guest_input").find((r) => r.handle === 46)?.rule).toBe("ct state related,established counter accept");
  });

  it("counts a rule added by hand on a network's bridge or subnet as the network's: drift that the next batch replaces", () => {
    const owned = [...chainRules(ip, "guest_output"), ...chainRules(ip, "guest_input"), ...chainRules(ip, "guest_nat")].filter((r) => belongsToNetwork(r, "virbr0", ["192.168.122.0/24"]));
    expect(owned.filter((r) => BY_HAND.has(r.handle)).map((r) => r.handle).sort()).toEqual([47, 48, 49, 50]);
    // The ct state rule names no bridge and no source: it is nobody's, and no batch touches it.
    expect(networks.some((n) => belongsToNetwork(chainRules(ip, "guest_input").find((r) => r.handle === 46)!, n.bridge, n.subnets))).toBe(false);
  });

  it("keeps handles, so that a batch can delete exactly the rules it read", () => {
    expect(chainRules(ip, "guest_output").filter((r) => belongsToNetwork(r, "virbr1", [])).map((r) => r.handle)).toEqual([22, 19]);
  });

  it("exposes an iif/oif listed as a bare number: a deleted bridge's index", () => {
    const stale = chainRules(ip, "guest_cross").filter((r) => r.staleIfindexes.length > 0);
    expect(stale).toEqual([{ family: "ip", chain: "guest_cross", handle: 44, rule: "iif 6 oif 6 counter accept", staleIfindexes: [6, 6] }]);
    expect(chainRules(ip, "guest_cross").filter((r) => r.handle !== 44).every((r) => r.staleIfindexes.length === 0)).toBe(true);
  });

  it("renders what virtnet never writes as text no planned rule equals", () => {
    const byHandle = (h: number) => [...chainRules(ip, "guest_output"), ...chainRules(ip, "guest_input"), ...chainRules(ip, "guest_nat")].find((r) => r.handle === h)!.rule;
    expect(byHandle(47)).toBe('meta l4proto tcp iif virbr0 counter <unparsed {"reject":{"type":"tcp reset"}}>');
    expect(byHandle(49)).toBe("iif virbr0 counter <unparsed {\"drop\":null}>");
    expect(byHandle(48)).toBe('iif virbr0 counter reject comment "by hand"');
    expect(byHandle(50)).toBe("ip saddr 192.168.122.0/24 counter snat to 10.1.1.1");
    const planned = new Set(networks.flatMap((n) => n.rules.map((r) => r.rule)));
    for (const h of [47, 48, 49, 50]) expect(planned.has(byHandle(h))).toBe(false);
  });

  it("reads a rule of unknown shape without failing", () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { table: { family: "ip", name: "virtnet_network", handle: 1 } },
        { chain: { family: "ip", table: "virtnet_network", name: "guest_output", handle: 2 } },
        { rule: { family: "ip", table: "virtnet_network", chain: "guest_output", handle: 3, expr: [{ match: { op: "==", left: { meta: { key: "mark" } }, right: 1 } }, { counter: "named" }, { limit: { rate: 1 } }, "odd"] } },
        { set: { family: "ip", table: "virtnet_network", name: "s" } },
      ],
    });
    const r = chainRules(parseNftTable(json), "guest_output")[0]!;
    expect(r.rule).toBe('<unparsed {"match":{"op":"==","left":{"meta":{"key":"mark"}},"right":1}}> <unparsed {"counter":"named"}> <unparsed {"limit":{"rate":1}}> <unparsed "odd">');
  });

  it("gives undefined for an absent table and fails on output that is not nft's JSON", () => {
    expect(parseNftTable("")).toBeUndefined();
    expect(parseNftTable('{"nftables":[{"metainfo":{}}]}')).toBeUndefined();
    expect(chainRules(undefined, "guest_nat")).toEqual([]);
    expect(() => parseNftTable("Error: No such file or directory")).toThrow(/not JSON/);
    expect(() => parseNftTable("[1]")).toThrow(/unexpected shape/);
  });
});

describe("forwardDropChains", () => {
  it("finds forward-hook chains with policy drop outside virtnet_network, in any family", () => {
    expect(forwardDropChains(fixture("chains.json"))).toEqual([
      { family: "ip", table: "filter", chain: "FORWARD" },
      { family: "bridge", table: "br", chain: "fwd_drop" },
    ]);
  });
  it("finds none on a host without tables", () => {
    expect(forwardDropChains('{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]}')).toEqual([]);
  });
});
