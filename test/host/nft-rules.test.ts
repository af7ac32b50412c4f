// The forward modes' rules through the real nft (docs/libvirt-behaviour.md §9): renderNftBatch applied with
// `nft -f -` in a throwaway network namespace, listed with `nft -j -a list table`, parsed back into exactly the
// planned text; mode changes as one batch of deletions by handle and inserts; rules that are not the network's
// left alone; a deleted bridge's rules recognised as stale. Needs root; never skipped.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  belongsToNetwork,
  FILTER_CHAINS,
  listedOrder,
  planNetworkRules,
  type FirewallSubnet,
  type ForwardRules,
  type NftChain,
  type NftFamily,
  type NftRule,
} from "../../provider/net/firewall-rule";
import { chainRules, parseNftTable, type ObservedNftRule, type ObservedNftTable } from "../../provider/nftables/parse-nft";
import { renderNftBatch, type NftDeletion } from "../../provider/nftables/render-nft";

const FAMILIES: NftFamily[] = ["ip", "ip6"];
const CHAINS: NftChain[] = [...FILTER_CHAINS, "guest_nat"];

function run(argv: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: "utf8", timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function must(argv: string[], input?: string): string {
  const r = run(argv, input);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A namespace of its own per test, with the given bridges; removed in `finally` whatever happens. */
async function withNamespace(bridges: string[], body: (ns: Namespace) => Promise<void> | void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("host tests need root: they create network namespaces");
  const name = `vnft-${randomBytes(4).toString("hex")}`;
  must(["ip", "netns", "add", name]);
  try {
    for (const b of bridges) must(["ip", "-n", name, "link", "add", b, "type", "bridge"]);
    await body(new Namespace(name));
  } finally {
    run(["ip", "netns", "del", name]);
  }
}

class Namespace {
  constructor(readonly name: string) {}
  nft(args: string[], input?: string) {
    return run(["ip", "netns", "exec", this.name, "nft", ...args], input);
  }
  apply(batch: string): void {
    const r = this.nft(["-f", "-"], batch);
    if (r.status !== 0) throw new Error(`nft -f - exited ${r.status}: ${r.stderr}\n${batch}`);
  }
  table(family: NftFamily): ObservedNftTable | undefined {
    const r = this.nft(["-j", "-a", "list", "table", family, "virtnet_network"]);
    // A table that does not exist makes nft fail and print nothing on stdout.
    if (r.status !== 0 && !/No such file or directory/.test(r.stderr)) throw new Error(`nft list table exited ${r.status}: ${r.stderr}`);
    return parseNftTable(r.status === 0 ? r.stdout : "");
  }
  tables(): Record<NftFamily, ObservedNftTable | undefined> {
    return { ip: this.table("ip"), ip6: this.table("ip6") };
  }
}

interface Net {
  bridge: string;
  forward: ForwardRules;
  subnets: FirewallSubnet[];
}

function allRules(tables: Record<NftFamily, ObservedNftTable | undefined>): ObservedNftRule[] {
  return FAMILIES.flatMap((f) => CHAINS.flatMap((c) => chainRules(tables[f], c)));
}

/** One batch taking the network from what is observed to `next`: its rules found under old and new subnets. */
function changeBatch(tables: Record<NftFamily, ObservedNftTable | undefined>, previous: Net | undefined, next: Net): { batch: string; deletions: NftDeletion[]; inserts: NftRule[] } {
  const subnets = [...(previous?.subnets ?? []), ...next.subnets].map((s) => s.cidr);
  const deletions = allRules(tables)
    .filter((r) => belongsToNetwork(r, next.bridge, subnets))
    .map((r) => ({ family: r.family, chain: r.chain, handle: r.handle }));
  const inserts = planNetworkRules(next.bridge, next.forward, next.subnets);
  const batch = renderNftBatch({ families: FAMILIES, jumpsPresent: { ip: tables.ip?.jumps ?? [], ip6: tables.ip6?.jumps ?? [] }, deletions, inserts });
  return { batch, deletions, inserts };
}

function expectRulesOf(tables: Record<NftFamily, ObservedNftTable | undefined>, net: Net): void {
  const planned = planNetworkRules(net.bridge, net.forward, net.subnets);
  const subnets = net.subnets.map((s) => s.cidr);
  for (const family of FAMILIES) {
    for (const chain of CHAINS) {
      const observed = chainRules(tables[family], chain).filter((r) => belongsToNetwork(r, net.bridge, subnets)).map((r) => r.rule);
      expect(observed, `${net.forward.mode}: ${family} ${chain}`).toEqual(listedOrder(planned, family, chain));
    }
  }
}

function expectLayout(t: ObservedNftTable | undefined): void {
  expect(t).toBeDefined();
  expect(t!.chains.map((c) => [c.name, c.type, c.hook, c.priority, c.policy])).toEqual([
    ["forward", "filter", "forward", 0, "accept"],
    ["guest_output", undefined, undefined, undefined, undefined],
    ["guest_input", undefined, undefined, undefined, undefined],
    ["guest_cross", undefined, undefined, undefined, undefined],
    ["guest_nat", "nat", "postrouting", 100, "accept"],
  ]);
  // Exactly one jump per guest chain, whatever the number of batches applied.
  expect(t!.jumps).toEqual(["guest_cross", "guest_input", "guest_output"]);
  expect(chainRules(t, "forward")).toHaveLength(3);
}

const V4: FirewallSubnet = { family: "ipv4", cidr: "192.168.122.0/24" };
const V6: FirewallSubnet = { family: "ipv6", cidr: "2001:db8:ca2:2::/64" };

describe("nft round trip (real nft in a network namespace)", () => {
  it("applies libvirt's rules for a nat network and reads back exactly the planned text, in nft's order", async () => {
    await withNamespace(["virbr0"], (ns) => {
      const net: Net = { bridge: "virbr0", forward: { mode: "nat", dev: "enp0s7", nat: { ipv6: true, address: { start: "203.0.113.8", end: "203.0.113.11" } } }, subnets: [V4, V6] };
      const first = changeBatch(ns.tables(), undefined, net);
      expect(first.deletions).toEqual([]);
      ns.apply(first.batch);
      let tables = ns.tables();
      for (const f of FAMILIES) expectLayout(tables[f]);
      expectRulesOf(tables, net);
      expect(allRules(tables)).toHaveLength(first.inserts.length);

      // The same network again: its rules are replaced one for one, and no jump is added twice.
      const again = changeBatch(tables, net, net);
      expect(again.deletions).toHaveLength(first.inserts.length);
      ns.apply(again.batch);
      tables = ns.tables();
      for (const f of FAMILIES) expectLayout(tables[f]);
      expectRulesOf(tables, net);
      expect(allRules(tables)).toHaveLength(first.inserts.length);
    });
  });

  it("changes mode in place with one batch each time, never touching rules that are not the network's", async () => {
    await withNamespace(["virbr5", "other0"], (ns) => {
      const modes: Net[] = [
        { bridge: "virbr5", forward: { mode: "nat" }, subnets: [V4, V6] },
        { bridge: "virbr5", forward: { mode: "route", dev: "uplink0" }, subnets: [V4, V6] },
        { bridge: "virbr5", forward: { mode: "isolated" }, subnets: [V4, V6] },
        { bridge: "virbr5", forward: { mode: "nat", nat: { port: { start: 500, end: 1000 } } }, subnets: [{ family: "ipv4", cidr: "10.77.0.0/16" }] },
        { bridge: "virbr5", forward: { mode: "open" }, subnets: [{ family: "ipv4", cidr: "10.77.0.0/16" }] },
        { bridge: "virbr5", forward: { mode: "nat", nat: { ipv6: true } }, subnets: [V6] },
      ];
      ns.apply(changeBatch(ns.tables(), undefined, modes[0]!).batch);
      // Another network's rules and a masquerade for a subnet of nobody's, as someone might add them by hand.
      ns.apply(
        [
          'insert rule ip virtnet_network guest_output iif "other0" counter accept',
          "insert rule ip virtnet_network guest_nat ip saddr 10.99.0.0/16 ip daddr != 10.99.0.0/16 counter masquerade",
          'insert rule ip6 virtnet_network guest_cross iif "other0" oif "other0" counter accept',
        ].join("\n") + "\n",
      );
      const foreign = () => allRules(ns.tables()).filter((r) => !belongsToNetwork(r, "virbr5", [...modes.flatMap((m) => m.subnets.map((s) => s.cidr))]));
      const before = foreign();
      expect(before.map((r) => `${r.family} ${r.chain} ${r.handle} ${r.rule}`)).toHaveLength(3);

      for (let i = 1; i < modes.length; i++) {
        const change = changeBatch(ns.tables(), modes[i - 1], modes[i]!);
        ns.apply(change.batch);
        const tables = ns.tables();
        for (const f of FAMILIES) expectLayout(tables[f]);
        expectRulesOf(tables, modes[i]!);
        // Handles included: the foreign rules were neither deleted nor re-added.
        expect(foreign()).toEqual(before);
      }
    });
  });

  it("applies a batch atomically: a failing line leaves every rule as it was", async () => {
    await withNamespace(["virbr6"], (ns) => {
      const net: Net = { bridge: "virbr6", forward: { mode: "nat" }, subnets: [V4] };
      ns.apply(changeBatch(ns.tables(), undefined, net).batch);
      const before = allRules(ns.tables());
      const { batch } = changeBatch(ns.tables(), net, { ...net, forward: { mode: "route", dev: "eth9" } });
      // An insert naming a bridge that does not exist fails in nft ("Interface does not exist").
      const failing = batch + 'insert rule ip virtnet_network guest_output iif "absent0" counter reject\n';
      const r = ns.nft(["-f", "-"], failing);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Interface does not exist/);
      expect(allRules(ns.tables())).toEqual(before);
    });
  });

  it("recognises a deleted bridge's rules as stale by their bare interface index, and deletes them by handle", async () => {
    await withNamespace(["virbr9", "virbr8"], (ns) => {
      const gone: Net = { bridge: "virbr9", forward: { mode: "route" }, subnets: [V4] };
      const kept: Net = { bridge: "virbr8", forward: { mode: "isolated" }, subnets: [{ family: "ipv4", cidr: "10.8.0.0/24" }] };
      ns.apply(changeBatch(ns.tables(), undefined, gone).batch);
      ns.apply(changeBatch(ns.tables(), undefined, kept).batch);
      const ifindex = (JSON.parse(must(["ip", "-n", ns.name, "-j", "link", "show", "dev", "virbr9"])) as { ifindex: number }[])[0]!.ifindex;
      must(["ip", "-n", ns.name, "link", "del", "virbr9"]);

      const tables = ns.tables();
      const stale = allRules(tables).filter((r) => r.staleIfindexes.length > 0);
      // The reject, cross and both route rules named virbr9 by iif/oif; nft now shows its index.
      expect(stale.map((r) => `${r.chain} ${r.rule}`)).toEqual([
        `guest_output ip saddr 192.168.122.0/24 iif ${ifindex} counter accept`,
        `guest_output iif ${ifindex} counter reject`,
        `guest_input ip daddr 192.168.122.0/24 oif ${ifindex} counter accept`,
        `guest_input oif ${ifindex} counter reject`,
        `guest_cross iif ${ifindex} oif ${ifindex} counter accept`,
      ]);
      expect(stale.every((r) => r.staleIfindexes.every((i) => i === ifindex))).toBe(true);
      // No interface has that name: they are stale, and they are nobody's by bridge name.
      expect(run(["ip", "-n", ns.name, "link", "show", "dev", String(ifindex)]).status).not.toBe(0);
      expect(stale.some((r) => belongsToNetwork(r, "virbr9", ["192.168.122.0/24"]))).toBe(false);
      expectRulesOf(tables, kept);

      ns.apply(renderNftBatch({ families: FAMILIES, jumpsPresent: { ip: tables.ip?.jumps ?? [], ip6: tables.ip6?.jumps ?? [] }, deletions: stale, inserts: [] }));
      const after = ns.tables();
      expect(allRules(after).filter((r) => r.staleIfindexes.length > 0)).toEqual([]);
      expectRulesOf(after, kept);
    });
  });
});
