// libvirt <network> documents in and out (docs/libvirt-behaviour.md §7's supported scenarios), round trips held as golden files.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interfaceArgsFromXml } from "../../../provider/libvirt/interface-xml";
import { networkArgsFromXml, networkToXml } from "../../../provider/libvirt/network-xml";
import { checkNetwork } from "../../../provider/resources/network/check";
import type { NetworkOutputs } from "../../../provider/resources/network/model";
import { connection } from "../resources/network/network-fixtures";

const dir = (d: string) => join(__dirname, d);
const documents = readdirSync(dir("documents")).filter((f) => f.endsWith(".xml") && !f.endsWith(".expect.xml"));

/** What a network created from the document would output, without a host: checked inputs, name resolved. */
export function outputsFor(xml: string): { name: string; outputs: NetworkOutputs } {
  const { libvirtName, ...args } = networkArgsFromXml(xml);
  const checked = checkNetwork({}, { ...args, connection });
  expect(checked.failures).toEqual([]);
  const i = checked.inputs as unknown as NetworkOutputs & { bridge: { name?: string } };
  const outputs = { ...i, bridge: { ...i.bridge, name: i.bridge.name ?? "virbr0" }, substitutions: [], schemaVersion: 1 } as NetworkOutputs;
  return { name: libvirtName, outputs };
}

describe("libvirt network XML round trips", () => {
  it.each(documents)("%s parses, passes check, and renders to its golden document", async (file) => {
    const { name, outputs } = outputsFor(readFileSync(join(dir("documents"), file), "utf8"));
    const rendered = networkToXml(name, outputs);
    await expect(rendered).toMatchFileSnapshot(join(dir("documents"), file.replace(/\.xml$/, ".expect.xml")));
    // Rendering is a fixed point: what virtnet writes, it reads back to the same network.
    expect(networkToXml(name, outputsFor(rendered).outputs)).toBe(rendered);
  });

  it("keeps libvirt's stp rule: only 'off' disables it", () => {
    expect(networkArgsFromXml("<network><name>n</name><bridge name='b' stp='no'/></network>").bridge?.stp).toBe(true);
    expect(networkArgsFromXml("<network><name>n</name><bridge name='b' stp='off'/></network>").bridge?.stp).toBe(false);
  });

  it("leaves bad values to check, which names the property", () => {
    const { libvirtName: _n, ...args } = networkArgsFromXml("<network><name>n</name><bridge name='b' delay='-1'/><ip address='2001:db8::1' prefix='64'/></network>");
    const failures = checkNetwork({}, { ...args, connection }).failures.map((f) => f.property);
    expect(failures).toEqual(expect.arrayContaining(["bridge.delay"]));
  });
});

describe("libvirt documents virtnet does not implement", () => {
  it.each([
    ["nat-network.xml", ["network/bridge attribute zone"]],
    ["portgroups.xml", ["network/virtualport", "network/portgroup"]],
  ])("%s fails, listing every unsupported element (and no DHCP or DNS, which virtnet implements)", (file, expected) => {
    const xml = readFileSync(join(dir("failures"), file), "utf8");
    let message = "";
    try {
      networkArgsFromXml(xml);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/uses what virtnet does not implement/);
    for (const e of expected) expect(message).toContain(e);
    expect(message).not.toMatch(/dhcp|dns/);
  });
  it("refuses what is not a network document, or not XML", () => {
    expect(() => networkArgsFromXml("<domain/>")).toThrow(/not a libvirt <network>/);
    expect(() => networkArgsFromXml("<network><name>x</name>")).toThrow(/not well-formed/);
  });
});

describe("libvirt <interface> elements", () => {
  it("reads mac, target dev, mtu and bandwidth; the guest-side model and address are not needed", () => {
    expect(interfaceArgsFromXml(`<interface type='network'>
      <mac address='52:54:00:6d:90:02'/><source network='default'/><target dev='vnet7'/><mtu size='9000'/>
      <model type='virtio'/><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
      <bandwidth><inbound average='1000' floor='200'/><outbound average='128'/></bandwidth></interface>`)).toEqual({
      type: "network", source: "default", mac: "52:54:00:6d:90:02", name: "vnet7", mtu: 9000,
      bandwidth: { inbound: { average: 1000, floor: 200 }, outbound: { average: 128 } },
    });
    expect(interfaceArgsFromXml("<interface type='bridge'><source bridge='br0'/></interface>")).toEqual({ type: "bridge", source: "br0", bandwidth: undefined });
  });
  it("refuses other types and unsupported elements, listing them", () => {
    expect(() => interfaceArgsFromXml("<interface type='direct'><source dev='eth0'/></interface>")).toThrow(/type='direct'> is not supported/);
    expect(() => interfaceArgsFromXml("<interface type='bridge'><source bridge='br0'/><virtualport type='openvswitch'/><filterref filter='clean-traffic'/></interface>")).toThrow(
      /interface\/virtualport; interface\/filterref/,
    );
  });
});
