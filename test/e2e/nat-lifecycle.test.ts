// Engine-faithful lifecycle of the NAT example (libvirt's `default` network): created with libvirt's rules, nothing
// to do on a second up, switched to route and to an SNAT pool in place, and destroyed without a rule left behind.
import { describe, expect, it } from "vitest";
import { defineNat, type NatOptions } from "../../examples/nat/nat";
import type { Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const t = useEngine();

function nat(options: NatOptions = {}): Program {
  return ({ pkg, pulumi }) => {
    defineNat(pkg, { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey }, options);
  };
}

/** The rules of virtnet's IPv4 table that name the example's bridge or subnet, as nft lists them. */
function rules(): string[] {
  const listing = t.sb.execInNamespace(["sh", "-c", "nft list table ip virtnet_network 2>/dev/null || true"]);
  return listing.split("\n").map((l) => l.trim()).filter((l) => /virbr0|192\.168\.122\.0/.test(l));
}

describe("NAT example through Pulumi's dynamic-provider plugin", () => {
  it("creates the network with libvirt's NAT rules and its guest's tap", async () => {
    expect(steps(await t.engine.up(nat()))).toEqual({ default: "create", vm1: "create" });
    expect(rules()).toEqual(expect.arrayContaining([
      'ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter packets 0 bytes 0 masquerade',
      'oif "virbr0" ip daddr 192.168.122.0/24 ct state established,related counter packets 0 bytes 0 accept',
    ]));
    expect(t.sb.execInNamespace(["cat", "/proc/sys/net/ipv4/ip_forward"]).trim()).toBe("1");
  });

  it("finds nothing to do on a second up, a refresh or a preview", async () => {
    expect(steps(await t.engine.up(nat()))).toEqual({ default: "same", vm1: "same" });
    expect(steps(await t.engine.refresh())).toEqual({ default: "read", vm1: "read" });
    expect(steps(await t.engine.preview(nat()))).toEqual({ default: "same", vm1: "same" });
  });

  it("switches to route and to an SNAT pool in place: no replaces, the tap untouched", async () => {
    expect(steps(await t.engine.up(nat({ mode: "route" })))).toEqual({ default: "update", vm1: "same" });
    expect(rules().some((r) => r.includes("masquerade"))).toBe(false);
    expect(steps(await t.engine.up(nat({ natAddress: { start: "203.0.113.10", end: "203.0.113.20" } })))).toEqual({ default: "update", vm1: "same" });
    expect(rules()).toEqual(expect.arrayContaining([expect.stringMatching(/snat to 203\.0\.113\.10-203\.0\.113\.20/)]));
  });

  it("destroys the network and leaves no rule naming its bridge or subnet", async () => {
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(rules()).toEqual([]);
  });
});
