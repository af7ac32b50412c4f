// Migrating from libvirt through Pulumi's plugin: network XML in, a guest <interface> in, libvirtXml out.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defineFromLibvirt } from "../../examples/from-libvirt/migrate";
import type { Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const XML = readFileSync(join(__dirname, "../../examples/from-libvirt/routed.xml"), "utf8");
const t = useEngine();

function program(xml = XML, mtu?: number): Program {
  return ({ pkg, pulumi }) => {
    defineFromLibvirt(pkg, { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey }, xml, mtu);
  };
}

describe("a libvirt network and guest interface brought to virtnet", () => {
  it("creates what the XML describes, the tap named as the domain's target dev", async () => {
    expect(steps(await t.engine.up(program()))).toEqual({ routed: "create", vm: "create" });
    const routes = (t.sb.ipJson(["-4", "route", "show", "dev", "virbr1", "proto", "241"]) as Array<{ dst: string }>).map((r) => r.dst);
    expect(routes).toEqual(["192.168.222.0/24"]);
    expect((t.sb.ipJson(["link", "show", "dev", "vnet7"]) as Array<{ address: string; master: string }>)[0]).toMatchObject({ address: "fe:54:00:6d:90:02", master: "virbr1" });
  });

  it("gives back libvirt XML that, read in again, changes nothing", async () => {
    const net = [...t.engine.state.values()].find((s) => s.type.endsWith(":Network"))!;
    const exported = net.outputs.libvirtXml as string;
    expect(exported).toMatch(/<name>routed<\/name>/);
    expect(steps(await t.engine.preview(program(exported)))).toEqual({ routed: "same", vm: "same" });
  });

  it("takes overrides for what the XML says, in place", async () => {
    expect(steps(await t.engine.up(program(XML, 1400)))).toEqual({ routed: "update", vm: "same" });
    expect((t.sb.ipJson(["link", "show", "dev", "virbr1"]) as Array<{ mtu: number }>)[0].mtu).toBe(1400);
  });

  it("previews the network turned NAT with DHCP as an update in place, and fails the program, listing what virtnet does not implement (a portgroup)", async () => {
    const nat = XML.replace("<dns enable='no'/>", "<forward mode='nat'/>").replace("netmask='255.255.255.0'/>", "netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.9'/></dhcp></ip>");
    expect(steps(await t.engine.preview(program(nat)))).toEqual({ routed: "update", vm: "same" });
    const r = await t.engine.preview(program(nat.replace("</network>", "<portgroup name='engineering' default='yes'/></network>")));
    const message = JSON.stringify(r.errors);
    expect(message).toMatch(/libvirt network 'routed' uses what virtnet does not implement/);
    expect(message).not.toContain("network/forward");
    expect(message).not.toContain("dhcp");
    expect(message).toContain("network/portgroup");
  });
});
