// libvirt 11's nftables rules, line for line (docs/libvirt-behaviour.md §9.2, §9.3): each golden file holds the
// `nft -ae insert rule …` argv lines libvirt logs for one network of its networkxml2firewalldata tests (the
// checksum fix's tc lines aside), with the table renamed to virtnet's. nat-address has no libvirt test file; its
// lines follow libvirt's SNAT branch (nftablesAddForwardMasquerade) for a pool given with start and end.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planNetworkRules, type FirewallSubnet, type ForwardRules } from "../../../provider/net/firewall-rule";
import { renderLibvirtArgv } from "../../../provider/nftables/render-nft";

const V4: FirewallSubnet = { family: "ipv4", cidr: "192.168.122.0/24" };
const V6: FirewallSubnet = { family: "ipv6", cidr: "2001:db8:ca2:2::/64" };

const cases: [string, ForwardRules, FirewallSubnet[]][] = [
  ["nat-default", { mode: "nat" }, [V4]],
  ["route-default", { mode: "route" }, [V4]],
  ["nat-ipv6-masquerade", { mode: "nat", nat: { ipv6: true } }, [V4, V6]],
  ["nat-ipv6", { mode: "nat" }, [V4, V6]],
  ["forward-dev", { mode: "nat", dev: "enp0s7" }, [V4]],
  ["nat-port-range", { mode: "nat", nat: { port: { start: 500, end: 1000 } } }, [V4, { family: "ipv4", cidr: "192.168.128.0/24" }, V6]],
  ["nat-many-ips", { mode: "nat" }, [V4, { family: "ipv4", cidr: "192.168.128.0/24" }, { family: "ipv4", cidr: "192.168.150.0/24" }]],
  ["nat-address", { mode: "nat", nat: { address: { start: "203.0.113.10", end: "203.0.113.20" } } }, [V4]],
];

describe("libvirt 11's nft argv, golden", () => {
  it.each(cases)("%s", (name, forward, subnets) => {
    const golden = readFileSync(path.join(__dirname, "../golden", `nft-${name}.txt`), "utf8");
    const lines = planNetworkRules("virbr0", forward, subnets).map(renderLibvirtArgv);
    expect(lines.join("\n") + "\n").toBe(golden);
  });
});
