// What the README's "Forward modes" section quotes, checked against virtnet itself: the `firewallRules` sample is
// what the planner gives the section's NAT network in nft's listing order, each validation message is what check
// says at that property, and the texts for a host without nft and for mode bridge are the provider's own.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as provider from "../../../provider";
import { listedOrder, type NftChain, type NftFamily } from "../../../provider/net/firewall-rule";
import { renderFirewallReplace } from "../../../provider/nftables/render-firewall-replace";
import { TABLE_CHAINS } from "../../../provider/nftables/virtnet-table";
import { firewallSubstitutions, hostWarnings, plannedRules } from "../../../provider/resources/network/firewall-plan";
import { networkDesired, recordedNetwork } from "../../../provider/resources/network/model";
import type { NetworkInputs } from "../../../provider/resources/network/schema";
import type { Known } from "../../../provider/known";

const README = readFileSync(path.resolve(__dirname, "../../../README.md"), "utf8");
const SECTION = README.slice(README.indexOf("\n## Forward modes\n"), README.indexOf("\n## Static routes\n"));
/** The section with its line breaks and indentation folded, so a quote that wraps reads as one line. */
const FLAT = SECTION.replace(/\s+/g, " ");

type Props = Record<string, unknown>;

/** The section's NAT network (its TypeScript sample), as a program would give it. */
const NAT_ARGS: Props = {
  connection: { host: "203.0.113.7", privateKey: "k", hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
  libvirtName: "default",
  bridge: { name: "virbr0" },
  ips: [{ address: "192.168.122.1", netmask: "255.255.255.0" }],
  forward: { mode: "nat" },
};

async function checked(args: Props) {
  return (await provider.network.check({}, args)) as { inputs: Props; failures: { property: string; reason: string }[] };
}

describe("README 'Forward modes'", () => {
  it("shows the NAT network as its sample program writes it", () => {
    expect(SECTION).toContain(`ips: [{ address: "192.168.122.1", netmask: "255.255.255.0" }]`);
    expect(SECTION).toContain(`forward: { mode: "nat" },`);
  });

  it("lists the firewallRules that network gets, in nft's listing order", async () => {
    const block = /`firewallRules` lists[\s\S]*?```\n([\s\S]*?)```/.exec(SECTION);
    expect(block, "the firewallRules sample").not.toBeNull();
    const { inputs, failures } = await checked(NAT_ARGS);
    expect(failures).toEqual([]);
    const d = networkDesired(recordedNetwork(inputs as unknown as Known<NetworkInputs>, "virbr0"));
    const planned = plannedRules(d, { nft: true, tables: {} });
    const chains = TABLE_CHAINS.map((c) => c.name).filter((c): c is NftChain => c !== "forward");
    const listed = (["ip", "ip6"] as NftFamily[]).flatMap((f) => chains.flatMap((c) => listedOrder(planned, f, c).map((r) => `${f} ${c} ${r}`)));
    expect(block![1].trim().split("\n")).toEqual(listed);
  });

  const VALIDATION: { what: string; args: Props; property: string }[] = [
    { what: "mode isolated", args: { forward: { mode: "isolated" } }, property: "forward.mode" },
    { what: "mode vepa", args: { forward: { mode: "vepa" } }, property: "forward.mode" },
    { what: "nat without an address", args: { ips: [], forward: {} }, property: "ips" },
    { what: "open with a dev", args: { forward: { mode: "open", dev: "eth0" } }, property: "forward.dev" },
    { what: "nat in route mode", args: { forward: { mode: "route", nat: { ipv6: true } } }, property: "forward.nat" },
    { what: "a pool without an end", args: { forward: { nat: { address: { start: "203.0.113.10" } } } }, property: "forward.nat.address.end" },
    { what: "an IPv6 pool start", args: { forward: { nat: { address: { start: "2001:db8::1", end: "203.0.113.20" } } } }, property: "forward.nat.address.start" },
    { what: "a reversed pool", args: { forward: { nat: { address: { start: "203.0.113.20", end: "203.0.113.10" } } } }, property: "forward.nat.address.end" },
    { what: "a pool too large", args: { forward: { nat: { address: { start: "10.0.0.0", end: "10.1.0.0" } } } }, property: "forward.nat.address.end" },
    { what: "ports reversed", args: { forward: { nat: { port: { start: 2000, end: 1000 } } } }, property: "forward.nat.port.end" },
    { what: "one port", args: { forward: { nat: { port: { start: 2000, end: 2000 } } } }, property: "forward.nat.port.end" },
  ];
  for (const c of VALIDATION) {
    it(`quotes check's message for ${c.what}`, async () => {
      const { failures } = await checked({ ...NAT_ARGS, ...c.args });
      expect(failures).toHaveLength(1);
      expect(failures[0]!.property).toBe(c.property);
      expect(FLAT).toContain(`\`${failures[0]!.reason}\``);
    });
  }

  it("quotes the error a host without nft gives", () => {
    const { argv } = renderFirewallReplace({ op: "firewallReplace", bridge: "virbr0", subnets: [], rules: [], from: [] });
    const script = argv[2]!;
    const message = /echo "(nft is not installed on \$\(hostname\);[^"]*)"/.exec(script);
    expect(message, "the script's message").not.toBeNull();
    expect(FLAT).toContain(`\`${message![1].replace("$(hostname)", "HOSTNAME")}\``);
  });

  it("quotes the substitution of an isolated network on a host without nft", async () => {
    const { inputs } = await checked({ ...NAT_ARGS, forward: undefined });
    const d = networkDesired(recordedNetwork(inputs as unknown as Known<NetworkInputs>, "virbr0"));
    const [s] = firewallSubstitutions(d, { nft: false, tables: {} });
    expect(FLAT).toContain(`{ property: "${s!.property}", wanted: "${s!.wanted}", applied: "${s!.applied}", reason: "${s!.reason}" }`);
  });

  it("quotes the hostWarnings of Docker's forward drop, of firewalld and of an unprotected isolated network", async () => {
    const nat = networkDesired(recordedNetwork((await checked(NAT_ARGS)).inputs as unknown as Known<NetworkInputs>, "virbr0"));
    const docker = { nft: true, tables: {}, forwardDrops: [{ family: "ip", table: "filter", chain: "FORWARD" }], firewalld: true };
    const forwarding = { ipv4: 1, ipv6: 0 } as const;
    const isolated = { ...nat, forward: { mode: "isolated" as const } };
    const warnings = [
      ...(hostWarnings(nat, { firewall: docker, forwarding }).hostWarnings ?? []),
      ...(hostWarnings(isolated, { firewall: { nft: false, tables: {} }, forwarding }).hostWarnings ?? []),
    ];
    expect(warnings).toHaveLength(3);
    for (const w of warnings) expect(FLAT).toContain(`\`${w}\``);
  });

  it("describes mode bridge with the messages check gives for it", async () => {
    const { failures } = await checked({ ...NAT_ARGS, ips: [], bridge: { name: "br0" }, forward: { mode: "bridge" } });
    expect(failures).toEqual([]);
    const qos = await checked({ ...NAT_ARGS, ips: [], bridge: { name: "br0" }, forward: { mode: "bridge" }, bandwidth: { inbound: { average: 1000 } } });
    expect(qos.failures.map((f) => f.property)).toEqual(["bandwidth"]);
    expect(FLAT).toContain("virtnet changes nothing on a bridge it does not own");
    expect(FLAT).toContain("forward mode 'bridge' uses an existing host bridge, which virtnet does not create");
  });
});
