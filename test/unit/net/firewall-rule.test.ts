// The forward modes' rule plan and rule identity (docs/libvirt-behaviour.md §9.3, §9.5), beyond the golden cases.
import { describe, expect, it } from "vitest";
import { belongsToNetwork, canonicalCidr, listedOrder, planNetworkRules, type FirewallSubnet } from "../../../provider/net/firewall-rule";

const V4: FirewallSubnet = { family: "ipv4", cidr: "192.168.122.0/24" };
const V6: FirewallSubnet = { family: "ipv6", cidr: "2001:db8:ca2:2::/64" };
const text = (rules: { family: string; chain: string; rule: string }[]) => rules.map((r) => `${r.family} ${r.chain} ${r.rule}`);

describe("planNetworkRules", () => {
  it("writes nothing for an open network", () => {
    expect(planNetworkRules("virbr0", { mode: "open" }, [V4, V6])).toEqual([]);
  });

  it("gives an isolated network libvirt's reject and cross rules only, per family present", () => {
    expect(text(planNetworkRules("virbr3", { mode: "isolated" }, [V4]))).toEqual([
      "ip guest_output iif virbr3 counter reject",
      "ip guest_input oif virbr3 counter reject",
      "ip guest_cross iif virbr3 oif virbr3 counter accept",
    ]);
    expect(planNetworkRules("virbr3", { mode: "isolated" }, [V4, V6])).toHaveLength(6);
  });

  it("writes the IPv4 trio even for an IPv6-only network, as libvirt does", () => {
    const families = planNetworkRules("virbr3", { mode: "isolated" }, [V6]).map((r) => r.family);
    expect(families).toEqual(["ip", "ip", "ip", "ip6", "ip6", "ip6"]);
  });

  it("writes the IPv4 trio for an isolated network without addresses", () => {
    expect(planNetworkRules("virbr3", { mode: "isolated" }, [])).toHaveLength(3);
  });

  it("masquerades IPv6 with nat.ipv6, keeping masquerade there even with an IPv4 SNAT pool", () => {
    const rules = planNetworkRules("virbr0", { mode: "nat", nat: { ipv6: true, address: { start: "203.0.113.1", end: "203.0.113.2" } } }, [V6]);
    const nat = rules.filter((r) => r.chain === "guest_nat").map((r) => r.rule);
    expect(nat).toEqual([
      "ip6 saddr 2001:db8:ca2:2::/64 ip6 daddr != 2001:db8:ca2:2::/64 counter masquerade",
      "meta l4proto udp ip6 saddr 2001:db8:ca2:2::/64 ip6 daddr != 2001:db8:ca2:2::/64 counter masquerade to :1024-65535",
      "meta l4proto tcp ip6 saddr 2001:db8:ca2:2::/64 ip6 daddr != 2001:db8:ca2:2::/64 counter masquerade to :1024-65535",
      "ip6 saddr 2001:db8:ca2:2::/64 ip6 daddr ff02::/16 counter return",
    ]);
  });

  it("treats a {0,0} port range as absent: the default 1024-65535", () => {
    const a = planNetworkRules("virbr0", { mode: "nat", nat: { port: { start: 0, end: 0 } } }, [V4]);
    expect(a).toEqual(planNetworkRules("virbr0", { mode: "nat" }, [V4]));
    expect(a.filter((r) => r.rule.includes("to :1024-65535"))).toHaveLength(2);
  });

  it("puts a SNAT pool's ports on the tcp and udp rules only", () => {
    const nat = planNetworkRules("virbr0", { mode: "nat", nat: { address: { start: "203.0.113.5", end: "203.0.113.5" }, port: { start: 2000, end: 3000 } } }, [V4])
      .filter((r) => r.rule.includes("snat"))
      .map((r) => r.rule.slice(r.rule.indexOf("counter")));
    expect(nat).toEqual(["counter snat to 203.0.113.5-203.0.113.5", "counter snat to 203.0.113.5-203.0.113.5:2000-3000", "counter snat to 203.0.113.5-203.0.113.5:2000-3000"]);
  });

  it("routes with a forward dev: oifname out, iifname in, no conntrack", () => {
    expect(text(planNetworkRules("virbr1", { mode: "route", dev: "eth1" }, [V6])).slice(6)).toEqual([
      "ip6 guest_output ip6 saddr 2001:db8:ca2:2::/64 iif virbr1 oifname eth1 counter accept",
      "ip6 guest_input ip6 daddr 2001:db8:ca2:2::/64 iifname eth1 oif virbr1 counter accept",
    ]);
  });

  it("writes subnets the way nft lists them: masked, compressed lowercase IPv6", () => {
    const rules = planNetworkRules("virbr0", { mode: "route" }, [{ family: "ipv6", cidr: "2001:DB8:CA2:2:0:0:0:1/64" }, { family: "ipv4", cidr: "10.1.2.3/16" }]);
    expect(rules.filter((r) => r.chain === "guest_output" && r.rule.includes("saddr")).map((r) => r.rule)).toEqual([
      "ip6 saddr 2001:db8:ca2:2::/64 iif virbr0 counter accept",
      "ip saddr 10.1.0.0/16 iif virbr0 counter accept",
    ]);
  });
});

describe("belongsToNetwork", () => {
  it("claims filter rules naming the bridge by iif or oif, not by iifname or another bridge", () => {
    expect(belongsToNetwork({ family: "ip", chain: "guest_output", rule: "iif virbr0 counter reject" }, "virbr0", [])).toBe(true);
    expect(belongsToNetwork({ family: "ip6", chain: "guest_input", rule: "ip6 daddr 2001:db8::/64 oif virbr0 counter accept" }, "virbr0", [])).toBe(true);
    expect(belongsToNetwork({ family: "ip", chain: "guest_output", rule: "iif virbr01 counter reject" }, "virbr0", [])).toBe(false);
    expect(belongsToNetwork({ family: "ip", chain: "guest_input", rule: "iifname virbr0 oif eth0 counter accept" }, "virbr0", [])).toBe(false);
    // A deleted bridge's rule lists its index: nobody's by name (the parser marks it stale instead).
    expect(belongsToNetwork({ family: "ip", chain: "guest_cross", rule: "iif 7 oif 7 counter accept" }, "virbr0", [])).toBe(false);
  });

  it("claims guest_nat rules by source subnet, old or new, in any spelling of it", () => {
    const masq = { family: "ip" as const, chain: "guest_nat", rule: "meta l4proto tcp ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade to :1024-65535" };
    expect(belongsToNetwork(masq, "virbr0", ["192.168.122.0/24"])).toBe(true);
    expect(belongsToNetwork(masq, "virbr0", ["10.0.0.0/8", "192.168.122.1/24"])).toBe(true);
    expect(belongsToNetwork(masq, "virbr0", ["192.168.122.0/25"])).toBe(false);
    // daddr is not identity: another network's rule may name this subnet as a destination.
    expect(belongsToNetwork({ family: "ip", chain: "guest_nat", rule: "ip saddr 10.9.0.0/16 ip daddr 192.168.122.0/24 counter return" }, "virbr0", ["192.168.122.0/24"])).toBe(false);
    expect(belongsToNetwork({ family: "ip6", chain: "guest_nat", rule: "ip6 saddr 2001:db8:ca2:2::/64 ip6 daddr ff02::/16 counter return" }, "virbr0", ["2001:DB8:ca2:2::/64"])).toBe(true);
  });

  it("never claims the forward chain's jumps or rules of chains virtnet does not write", () => {
    expect(belongsToNetwork({ family: "ip", chain: "forward", rule: "counter jump guest_output" }, "virbr0", [])).toBe(false);
    expect(belongsToNetwork({ family: "ip", chain: "mine", rule: "iif virbr0 counter accept" }, "virbr0", [])).toBe(false);
  });
});

describe("canonicalCidr", () => {
  it("masks on request and leaves non-CIDR text alone", () => {
    expect(canonicalCidr("192.168.1.7/24", true)).toBe("192.168.1.0/24");
    expect(canonicalCidr("192.168.1.7/24", false)).toBe("192.168.1.7/24");
    expect(canonicalCidr("<unparsed {}>", true)).toBe("<unparsed {}>");
    expect(canonicalCidr("nonsense/24", true)).toBe("nonsense/24");
  });
});

describe("listedOrder", () => {
  it("reads a chain the way nft lists it: the reverse of libvirt's insert order", () => {
    const rules = planNetworkRules("virbr0", { mode: "route" }, [V4, { family: "ipv4", cidr: "10.0.0.0/8" }]);
    expect(listedOrder(rules, "ip", "guest_output")).toEqual(["ip saddr 10.0.0.0/8 iif virbr0 counter accept", "ip saddr 192.168.122.0/24 iif virbr0 counter accept", "iif virbr0 counter reject"]);
    expect(listedOrder(rules, "ip6", "guest_output")).toEqual([]);
  });
});
