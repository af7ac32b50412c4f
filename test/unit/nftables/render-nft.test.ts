// nft syntax for virtnet's table (docs/libvirt-behaviour.md §9.1, §9.4): base lines, jumps only where missing,
// one batch of deletions by handle then inserts, interface names quoted, libvirt's argv form.
import { describe, expect, it } from "vitest";
import { planNetworkRules } from "../../../provider/net/firewall-rule";
import { renderLibvirtArgv, renderNftBase, renderNftBatch, renderNftInsert } from "../../../provider/nftables/render-nft";

describe("renderNftBase", () => {
  it("writes libvirt's table, chains and jumps when the forward chain has none", () => {
    expect(renderNftBase("ip", [])).toEqual([
      "add table ip virtnet_network",
      "add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }",
      "add chain ip virtnet_network guest_output",
      "insert rule ip virtnet_network forward counter jump guest_output",
      "add chain ip virtnet_network guest_input",
      "insert rule ip virtnet_network forward counter jump guest_input",
      "add chain ip virtnet_network guest_cross",
      "insert rule ip virtnet_network forward counter jump guest_cross",
      "add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }",
    ]);
  });

  it("leaves out the jumps the forward chain already has", () => {
    const lines = renderNftBase("ip6", ["guest_output", "guest_cross"]);
    expect(lines.filter((l) => l.includes("jump"))).toEqual(["insert rule ip6 virtnet_network forward counter jump guest_input"]);
    expect(lines.filter((l) => l.startsWith("add "))).toHaveLength(6);
  });
});

describe("renderNftBatch", () => {
  it("is base lines for each family, then deletions by handle, then inserts in libvirt's order", () => {
    const inserts = planNetworkRules("virbr0", { mode: "isolated" }, [{ family: "ipv4", cidr: "192.168.122.0/24" }]);
    const batch = renderNftBatch({
      families: ["ip", "ip6"],
      jumpsPresent: { ip: ["guest_output", "guest_input", "guest_cross"], ip6: ["guest_output", "guest_input", "guest_cross"] },
      deletions: [
        { family: "ip", chain: "guest_nat", handle: 21 },
        { family: "ip", chain: "guest_output", handle: 9 },
      ],
      inserts,
    });
    expect(batch).toBe(
      [
        ...renderNftBase("ip", ["guest_output", "guest_input", "guest_cross"]),
        ...renderNftBase("ip6", ["guest_output", "guest_input", "guest_cross"]),
        "delete rule ip virtnet_network guest_nat handle 21",
        "delete rule ip virtnet_network guest_output handle 9",
        'insert rule ip virtnet_network guest_output iif "virbr0" counter reject',
        'insert rule ip virtnet_network guest_input oif "virbr0" counter reject',
        'insert rule ip virtnet_network guest_cross iif "virbr0" oif "virbr0" counter accept',
      ].join("\n") + "\n",
    );
  });

  it("writes jumps for a family the observation did not mention", () => {
    const batch = renderNftBatch({ families: ["ip6"], jumpsPresent: {}, deletions: [], inserts: [] });
    expect(batch.split("\n").filter((l) => l.includes("jump"))).toHaveLength(3);
  });
});

describe("renderNftInsert", () => {
  it("quotes interface names, which nft would otherwise read as keywords or indexes, and writes != bare", () => {
    expect(renderNftInsert({ family: "ip", chain: "guest_nat", rule: "meta l4proto tcp ip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname accept counter masquerade to :1024-65535" })).toBe(
      'insert rule ip virtnet_network guest_nat meta l4proto tcp ip saddr 10.0.0.0/24 ip daddr != 10.0.0.0/24 oifname "accept" counter masquerade to :1024-65535',
    );
    expect(renderNftInsert({ family: "ip", chain: "guest_input", rule: "iifname 0x1 oif br.7 ip daddr 10.0.0.0/24 ct state related,established counter accept" })).toBe(
      'insert rule ip virtnet_network guest_input iifname "0x1" oif "br.7" ip daddr 10.0.0.0/24 ct state related,established counter accept',
    );
  });

  it("refuses a name nft cannot hold in a string", () => {
    expect(() => renderNftInsert({ family: "ip", chain: "guest_output", rule: 'iif a"b counter reject' })).toThrow(/cannot be written/);
  });
});

describe("renderLibvirtArgv", () => {
  it("is libvirt's logged form: unquoted names, the shell-quoted '!='", () => {
    expect(renderLibvirtArgv({ family: "ip6", chain: "guest_nat", rule: "ip6 saddr 2001:db8::/64 ip6 daddr != 2001:db8::/64 counter masquerade" })).toBe(
      "nft -ae insert rule ip6 virtnet_network guest_nat ip6 saddr 2001:db8::/64 ip6 daddr '!=' 2001:db8::/64 counter masquerade",
    );
  });
});
