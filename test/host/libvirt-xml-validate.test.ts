// The XML virtnet writes is valid libvirt XML: checked with libvirt's own virt-xml-validate and RNG schemas.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../provider";
import { networkToXml, type NetworkDocument } from "../../provider/libvirt/network-xml";
import { checkNetwork } from "../../provider/resources/network/check";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

const documents = join(__dirname, "../unit/libvirt/documents");
let work: string;

function validate(xml: string, file: string): { status: number | null; output: string } {
  const path = join(work, file);
  writeFileSync(path, xml);
  const r = spawnSync("virt-xml-validate", [path, "network"], { encoding: "utf8" });
  if (r.error) throw new Error(`virt-xml-validate is missing (install libvirt-clients, as scripts/setup.sh does): ${r.error.message}`);
  return { status: r.status, output: r.stdout + r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "virtnet-xml-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("libvirt's RNG schema accepts the XML virtnet writes", () => {
  const expected = readdirSync(documents).filter((f) => f.endsWith(".expect.xml"));
  it("has golden documents to check", () => expect(expected.length).toBeGreaterThanOrEqual(12));
  it.each(expected)("%s validates", (file) => {
    const r = validate(readFileSync(join(documents, file), "utf8"), file);
    expect(r.output).toMatch(/validates/);
    expect(r.status).toBe(0);
  });
  it("and the validator does reject an invalid document", () => {
    const r = validate("<network><name>x</name><bridge name='b' stp='maybe'/></network>", "bad.xml");
    expect(r.status).not.toBe(0);
  });
});

describe("libvirt's RNG schema accepts every <forward> virtnet writes", () => {
  const ips = [{ address: "192.168.130.1", prefix: 24 }, { address: "2001:db8:130::1", prefix: 64, family: "ipv6" }];
  const cases: [string, Record<string, unknown>][] = [
    ["nat", { ips, forward: {} }],
    ["nat through a dev", { ips, forward: { mode: "nat", dev: "eth1" } }],
    ["nat with ipv6", { ips, forward: { nat: { ipv6: true } } }],
    ["nat with ipv6 'no'", { ips, forward: { nat: { ipv6: false } } }],
    ["nat with an SNAT range and ports", { ips, forward: { dev: "wan0", nat: { address: { start: "203.0.113.1", end: "203.0.113.30" }, port: { start: 1024, end: 65535 } } } }],
    ["nat with ports only", { ips, forward: { nat: { port: { start: 500, end: 1000 } } } }],
    ["route", { ips, forward: { mode: "route" } }],
    ["route through a dev", { ips, forward: { mode: "route", dev: "enp1s0.42" } }],
    ["open", { ips, forward: { mode: "open" } }],
    ["open without addresses", { forward: { mode: "open" } }],
    ["a host bridge", { bridge: { name: "br0" }, forward: { mode: "bridge" } }],
    ["a host bridge with macTableManager", { bridge: { name: "br0", macTableManager: "libvirt" }, forward: { mode: "bridge" } }],
  ];
  it.each(cases)("%s", (label, args) => {
    const r = checkNetwork({}, { connection: { host: "203.0.113.7", privateKey: "k", insecureIgnoreHostKey: true }, libvirtName: "fwd", bridge: { name: "virbr30" }, ...args });
    expect(r.failures).toEqual([]);
    const xml = networkToXml("fwd", r.inputs as unknown as NetworkDocument);
    expect(xml).toContain("<forward");
    const v = validate(xml, `${label.replace(/[^a-z0-9]+/gi, "-")}.xml`);
    expect(v.output).toMatch(/validates/);
    expect(v.status).toBe(0);
  });
});

describe("libvirtXml of a network on a host", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox();
  });
  afterAll(async () => {
    closeAllHosts();
    await sb?.destroy();
  });

  it("renders the observed state, and validates", async () => {
    const r = await network.check({}, {
      connection: sandboxConnection(sb),
      libvirtName: "lab",
      bridge: { name: "virbr9", macTableManager: "libvirt" },
      mtu: 9000,
      ips: [{ address: "192.168.100.1", prefix: 24 }, { address: "2001:db8::1", prefix: 64, family: "ipv6" }],
      routes: [{ address: "10.8.0.0", prefix: 16, gateway: "192.168.100.2", metric: 2 }],
      bandwidth: { inbound: { average: 1000, peak: 2000 } },
    });
    const { outs } = await network.create(r.inputs);
    const xml = outs.libvirtXml as string;
    expect(xml).toMatch(/<name>lab<\/name>/);
    expect(xml).toMatch(/<bridge name='virbr9' stp='on' delay='0' macTableManager='libvirt'\/>/);
    expect(xml).toMatch(/<mtu size='9000'\/>/);
    expect(xml).toMatch(/<inbound average='1000' peak='2000'\/>/);
    const v = validate(xml, "lab.xml");
    expect(v.output).toMatch(/validates/);
  });
});
