// Engine-faithful lifecycle of the example network (docs/architecture.md §6): the package is installed from its npm pack
// tarball into a fresh folder, the program runs under Pulumi's mocks, and Pulumi's own dynamic-provider
// plugin applies it over SSH to a sandbox host.
import { describe, expect, it } from "vitest";
import { DEFAULT_LAB, defineLab, type LabOptions } from "../../examples/sandbox/lab";
import type { EngineResult, Program } from "../../scripts/engine";
import { useEngine } from "./use-engine";
import { hasBridgeVlanFiltering } from "../support/kernel-features";
import { NETWORK_SCHEMA_VERSION } from "../../provider/resources/network/model";

const t = useEngine();

function lab(options: LabOptions = {}, connection: Record<string, unknown> = {}): Program {
  return ({ pkg, pulumi }) => {
    defineLab(pkg, { host: t.sb.host, user: t.sb.user, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey, ...connection }, options);
  };
}

function ops(r: EngineResult): string[] {
  expect(r.errors).toEqual([]);
  expect(r.failures).toEqual([]);
  return r.steps.map((s) => s.op);
}

type KernelLink = { ifname: string; ifindex: number; mtu: number; address: string; flags: string[]; linkinfo?: { info_data?: Record<string, number> } };

function bridges(): KernelLink[] {
  return t.sb.ipJson(["-d", "link", "show", "type", "bridge"]) as KernelLink[];
}
function bridge(name: string): KernelLink | undefined {
  return bridges().find((b) => b.ifname === name);
}
function addresses(name: string): string[] {
  const [l] = t.sb.ipJson(["addr", "show", "dev", name]) as Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>;
  return l.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`).sort();
}
/** What a failed check must leave untouched (STP timers tick, so compare identity and settings only). */
function bridgeFacts(): string {
  return JSON.stringify(bridges().map((b) => [b.ifname, b.ifindex, b.mtu, b.address, b.flags]));
}
function labState() {
  const entries = [...t.engine.state.values()].filter((s) => s.type === "pulumi-nodejs:dynamic/virtnet:Network");
  expect(entries).toHaveLength(1);
  return entries[0];
}

describe("Network lifecycle through Pulumi's dynamic-provider plugin", () => {
  it("previews a create and touches nothing on the host", async () => {
    expect(ops(await t.engine.preview(lab()))).toEqual(["create"]);
    expect(bridges()).toEqual([]);
  });

  it("creates the network on up", async () => {
    expect(ops(await t.engine.up(lab()))).toEqual(["create"]);
    const b = bridge("virbr10")!;
    expect(b.mtu).toBe(9000);
    expect(b.flags).toContain("UP");
    expect(b.linkinfo?.info_data).toMatchObject({ stp_state: 1 });
    expect(addresses("virbr10")).toEqual(["192.168.100.1/24", "2001:db8:ac10:fd01::1/64"]);
    const s = labState();
    expect(s.id).toBe(`${t.sb.host}/virbr10`);
    expect(s.outputs).toMatchObject({ bridge: { name: "virbr10", stp: true, delay: 0 }, mtu: 9000, schemaVersion: NETWORK_SCHEMA_VERSION });
  });

  it("keeps the connection secret in state and credentials out of every other output and the plugin's log", async () => {
    const s = labState();
    expect(s.secretOutputs).toContain("connection");
    const { connection: _secret, ...rest } = s.outputs;
    const keyLines = t.sb.privateKey.split("\n").filter((l) => l.length > 20);
    const visible = JSON.stringify(rest) + JSON.stringify(s.id) + (await t.engine.pluginLog());
    for (const line of keyLines) expect(visible).not.toContain(line);
  });

  it("finds nothing to do on a second up", async () => {
    expect(ops(await t.engine.up(lab()))).toEqual(["same"]);
  });

  it("updates mtu, stp, delay, ips and macTableManager in place: no replace, same bridge, host follows", async () => {
    const ifindex = bridge("virbr10")!.ifindex;
    const changed: LabOptions = { mtu: 1400, stp: false, delay: 3, macTableManager: "libvirt", ips: [{ address: "10.10.0.1", prefix: 16 }] };
    const preview = await t.engine.preview(lab(changed));
    expect(preview.steps).toEqual([expect.objectContaining({ op: "update", replaces: [] })]);
    expect(bridge("virbr10")!.mtu).toBe(9000); // a preview changes nothing
    const up = await t.engine.up(lab(changed));
    expect(ops(up)).toEqual(["update"]);
    const b = bridge("virbr10")!;
    expect(b.ifindex).toBe(ifindex);
    expect(b.mtu).toBe(1400);
    expect(b.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 300 });
    expect(addresses("virbr10")).toEqual(["10.10.0.1/16"]);
    // libvirt mode: VLAN filtering on the bridge where the kernel has it; elsewhere a substitution says it is missing.
    if (hasBridgeVlanFiltering(t.sb, "virbr10")) {
      expect(b.linkinfo?.info_data).toMatchObject({ vlan_filtering: 1 });
      expect(labState().outputs.substitutions).toEqual([]);
    } else {
      expect(labState().outputs.substitutions).toEqual([expect.objectContaining({ property: "bridge.macTableManager", applied: "vlan_filtering left unset" })]);
    }
    expect(labState().outputs.bridge).toMatchObject({ macTableManager: "libvirt" });
    expect(ops(await t.engine.up(lab(changed)))).toEqual(["same"]);
  });

  it("replaces on a bridge rename, deleting the old bridge first", async () => {
    const preview = await t.engine.preview(lab({ bridgeName: "virbr20" }));
    expect(preview.steps).toEqual([expect.objectContaining({ op: "replace", replaces: ["bridge"], deleteBeforeReplace: true })]);
    expect(ops(await t.engine.up(lab({ bridgeName: "virbr20" })))).toEqual(["replace"]);
    expect(bridges().map((b) => b.ifname)).toEqual(["virbr20"]);
    expect(labState().id).toBe(`${t.sb.host}/virbr20`);
  });

  it("sees a bridge deleted by hand on refresh, then plans and makes a create", async () => {
    t.sb.execInNamespace(["ip", "link", "del", "virbr20"]);
    expect(ops(await t.engine.refresh())).toEqual(["refresh-delete"]);
    expect(t.engine.state.size).toBe(0);
    expect(ops(await t.engine.preview(lab({ bridgeName: "virbr20" })))).toEqual(["create"]);
    expect(ops(await t.engine.up(lab({ bridgeName: "virbr20" })))).toEqual(["create"]);
    expect(bridge("virbr20")?.mtu).toBe(DEFAULT_LAB.mtu);
  });

  it("sees drift made by hand on refresh and repairs it on the next up", async () => {
    t.sb.execInNamespace(["ip", "link", "set", "dev", "virbr20", "mtu", "1280"]);
    const refresh = await t.engine.refresh();
    expect(refresh.steps).toEqual([expect.objectContaining({ op: "read", diffs: expect.arrayContaining(["mtu"]) })]);
    expect(ops(await t.engine.preview(lab({ bridgeName: "virbr20" })))).toEqual(["update"]);
    expect(ops(await t.engine.up(lab({ bridgeName: "virbr20" })))).toEqual(["update"]);
    expect(bridge("virbr20")?.mtu).toBe(9000);
  });

  it("rejects bad inputs at check, naming the property, before anything runs", async () => {
    const before = bridgeFacts();
    const r = await t.engine.preview(lab({ mtu: 9000, bridgeName: "virbr-0123456789" }));
    expect(r.failures).toEqual([expect.objectContaining({ property: "bridge.name", reason: expect.stringMatching(/at most 15/) })]);
    const noKey = await t.engine.up(lab({ bridgeName: "virbr20" }, { hostKey: undefined }));
    expect(noKey.failures).toEqual([expect.objectContaining({ property: "connection.hostKey" })]);
    expect(bridgeFacts()).toBe(before);
  });

  it("reports a host-side failure naming the host and command, without credentials", async () => {
    t.sb.execInNamespace(["ip", "link", "add", "taken0", "type", "bridge"]);
    const r = await t.engine.up(lab({ bridgeName: "taken0" }));
    expect(r.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/taken0 already exists on .* not created by virtnet/) })]);
    for (const line of t.sb.privateKey.split("\n").filter((l) => l.length > 20)) expect(JSON.stringify(r.errors)).not.toContain(line);
    t.sb.execInNamespace(["ip", "link", "del", "taken0"]);
  });

  it("leaves nothing on the host after destroy", async () => {
    await t.engine.up(lab({ bridgeName: "virbr20" }));
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.op)).toEqual(["delete"]);
    expect(bridges()).toEqual([]);
    expect(t.engine.state.size).toBe(0);
  });
});
