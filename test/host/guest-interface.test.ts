// GuestInterface against a real kernel: libvirt's tap MAC rule, port settings, fdb entries, moves, drift, frames.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

type Props = Record<string, unknown>;
let sb: Sandbox;
const FRAMES = path.join(__dirname, "../support/l2-frames.py");

beforeAll(async () => {
  sb = await createSandbox();
});
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

async function makeNetwork(name: string, extra: Props = {}): Promise<{ id: string; outs: Props }> {
  const r = await network.check({}, { connection: sandboxConnection(sb), bridge: { name, stp: false, ...extra }, mtu: 9000, ips: [] });
  expect(r.failures).toEqual([]);
  return network.create(r.inputs);
}

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await guestInterface.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

interface KernelTap {
  ifname: string;
  address: string;
  mtu: number;
  master?: string;
  flags: string[];
  linkinfo: { info_kind: string; info_slave_data?: { learning: boolean; flood: boolean; isolated: boolean } };
}
function tap(name: string): KernelTap | undefined {
  return (sb.ipJson(["-d", "link", "show"]) as KernelTap[]).find((l) => l.ifname === name);
}
function fdb(name: string): string[] {
  const out = sb.execInNamespace(["bridge", "-j", "fdb", "show", "brport", name]);
  return (JSON.parse(out || "[]") as Array<{ mac: string; state?: string }>).filter((e) => e.state === "static").map((e) => e.mac);
}

describe("GuestInterface on a libvirt-mode network", () => {
  let id: string;
  let outs: Props;
  let inputs: Props;

  beforeAll(async () => {
    await makeNetwork("virbr10", { macTableManager: "libvirt" });
  });

  it("creates the tap with the 0xFE MAC, the bridge's MTU, attached, up, learning and flood off, fdb entry added", async () => {
    inputs = await checked({ connection: sandboxConnection(sb), bridge: "virbr10", macTableManager: "libvirt", mac: "52:54:00:12:34:56" });
    ({ id, outs } = await guestInterface.create(inputs));
    expect(id).toBe(`${sb.host}/vnet0`);
    const t = tap("vnet0")!;
    expect(t.linkinfo.info_kind).toBe("tun");
    expect(t.address).toBe("fe:54:00:12:34:56");
    expect(t.mtu).toBe(9000);
    expect(t.master).toBe("virbr10");
    expect(t.flags).toContain("UP");
    expect(t.linkinfo.info_slave_data).toMatchObject({ learning: false, flood: false, isolated: false });
    expect(fdb("vnet0")).toEqual(["52:54:00:12:34:56"]);
    expect(outs).toMatchObject({ name: "vnet0", tapMac: "fe:54:00:12:34:56", port: { learning: false, flood: false, guestFdbEntry: true } });
    expect((await guestInterface.diff(id, (await guestInterface.read(id, outs)).props, inputs)).changes).toBe(false);
  });

  it("changes the guest MAC in place: tap MAC and fdb entry swap, same tap", async () => {
    const news = await checked({ ...inputs, mac: "FE:54:00:AB:CD:EF" }, inputs);
    expect(news.mac).toBe("fe:54:00:ab:cd:ef");
    expect((await guestInterface.diff(id, outs, news)).replaces).toEqual([]);
    outs = (await guestInterface.update(id, outs, news)).outs;
    expect(tap("vnet0")!.address).toBe("fa:54:00:ab:cd:ef"); // a guest starting with 0xFE gets a 0xFA tap
    expect(fdb("vnet0")).toEqual(["fe:54:00:ab:cd:ef"]);
    inputs = news;
  });

  it("sets MTU and isolation in place", async () => {
    const news = await checked({ ...inputs, mtu: 1400, isolated: true }, inputs);
    outs = (await guestInterface.update(id, outs, news)).outs;
    expect(tap("vnet0")!.mtu).toBe(1400);
    expect(tap("vnet0")!.linkinfo.info_slave_data?.isolated).toBe(true);
    inputs = news;
  });

  it("switches the port to kernel mode and back when the network's mode changes", async () => {
    const kernel = await checked({ ...inputs, macTableManager: "kernel" }, inputs);
    outs = (await guestInterface.update(id, outs, kernel)).outs;
    expect(tap("vnet0")!.linkinfo.info_slave_data).toMatchObject({ learning: true, flood: true });
    expect(fdb("vnet0")).toEqual([]);
    outs = (await guestInterface.update(id, outs, inputs)).outs;
    expect(tap("vnet0")!.linkinfo.info_slave_data).toMatchObject({ learning: false, flood: false });
    expect(fdb("vnet0")).toEqual(["fe:54:00:ab:cd:ef"]);
  });

  it.each([
    ["tap MAC", ["ip", "link", "set", "dev", "vnet0", "address", "fe:00:00:00:00:01"], "mac"],
    ["MTU", ["ip", "link", "set", "dev", "vnet0", "mtu", "1280"], "mtu"],
    ["learning", ["bridge", "link", "set", "dev", "vnet0", "learning", "on"], "port"],
    ["flood", ["bridge", "link", "set", "dev", "vnet0", "flood", "on"], "port"],
    ["isolation", ["bridge", "link", "set", "dev", "vnet0", "isolated", "off"], "isolated"],
    ["fdb entry", ["bridge", "fdb", "del", "fe:54:00:ab:cd:ef", "dev", "vnet0", "master"], "port"],
    ["attachment", ["ip", "link", "set", "dev", "vnet0", "nomaster"], "bridge"],
    ["link state", ["ip", "link", "set", "dev", "vnet0", "down"], "up"],
  ])("detects %s changed by hand and repairs it", async (_what, command, property) => {
    sb.execInNamespace(command as string[]);
    const refreshed = await guestInterface.read(id, outs);
    const d = await guestInterface.diff(id, refreshed.props, inputs);
    expect(d.changes).toBe(true);
    expect(d.stables).not.toContain(property);
    outs = (await guestInterface.update(id, refreshed.props, inputs)).outs;
    const t = tap("vnet0")!;
    expect(t).toMatchObject({ address: "fa:54:00:ab:cd:ef", mtu: 1400, master: "virbr10" });
    expect(t.flags).toContain("UP");
    expect(t.linkinfo.info_slave_data).toMatchObject({ learning: false, flood: false, isolated: true });
    expect(fdb("vnet0")).toEqual(["fe:54:00:ab:cd:ef"]);
    expect((await guestInterface.diff(id, outs, inputs)).changes).toBe(false);
  });

  let virbr11: { id: string; outs: Props };
  it("moves to another bridge in place, with the port set up for the new network", async () => {
    virbr11 = await makeNetwork("virbr11");
    const news = await checked({ ...inputs, bridge: "virbr11", macTableManager: "kernel" }, inputs);
    expect((await guestInterface.diff(id, outs, news)).replaces).toEqual([]);
    outs = (await guestInterface.update(id, outs, news)).outs;
    expect(tap("vnet0")!.master).toBe("virbr11");
    expect(tap("vnet0")!.linkinfo.info_slave_data).toMatchObject({ learning: true, flood: true, isolated: true });
    inputs = news;
  });

  it("will not let a network be deleted while guest interfaces from elsewhere are on it", async () => {
    await expect(network.delete(virbr11.id, virbr11.outs)).rejects.toThrow(/bridge virbr11 on .* still has guest interfaces that virtnet manages elsewhere.*: vnet0\. Delete or move them first/);
  });

  it("deletes the tap; a second delete is not an error; a tap deleted by hand reads as gone", async () => {
    await guestInterface.delete(id, outs);
    expect(tap("vnet0")).toBeUndefined();
    await expect(guestInterface.delete(id, outs)).resolves.toBeUndefined();
    expect((await guestInterface.read(id, outs)).id).toBe("");
  });
});

describe("GuestInterface naming", () => {
  it("gives 20 interfaces created at once distinct vnetN names", async () => {
    await makeNetwork("virbr20");
    const inputs = await Promise.all(Array.from({ length: 20 }, () => checked({ connection: sandboxConnection(sb), bridge: "virbr20" })));
    const created = await Promise.all(inputs.map((i) => guestInterface.create(i)));
    const names = created.map((c) => c.outs.name as string);
    expect(new Set(names).size).toBe(20);
    for (const n of names) expect(tap(n)?.master).toBe("virbr20");
    const macs = created.map((c) => c.outs.mac as string);
    expect(new Set(macs).size).toBe(20);
    await Promise.all(created.map((c) => guestInterface.delete(c.id, c.outs)));
  });

  it("refuses an existing interface name it did not create", async () => {
    sb.execInNamespace(["ip", "tuntap", "add", "dev", "mytap0", "mode", "tap"]);
    const inputs = await checked({ connection: sandboxConnection(sb), bridge: "virbr20", name: "mytap0" });
    await expect(guestInterface.create(inputs)).rejects.toThrow(/mytap0 already exists on .* not created by virtnet/);
  });

  it("fails clearly when the bridge does not exist, creating nothing", async () => {
    const inputs = await checked({ connection: sandboxConnection(sb), bridge: "nosuchbr", name: "orphan0" });
    await expect(guestInterface.create(inputs)).rejects.toThrow(/guest interface orphan0 on .*: nosuchbr does not exist; create its network first/);
    expect(tap("orphan0")).toBeUndefined();
  });
});

describe("macTableManager='libvirt' with real frames", () => {
  /** Attaches a reader to the tap (as QEMU would), sends test frames through another bridge port, returns what arrived. */
  async function framesReaching(tapName: string, destinations: string[]): Promise<string[]> {
    const reader = spawn("ip", ["netns", "exec", sb.namespace, "python3", FRAMES, "read", tapName, "1.5"]);
    let out = "";
    reader.stdout.on("data", (d: Buffer) => (out += d));
    const done = new Promise((r) => reader.on("close", r));
    while (!out.includes("ready")) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300)); // carrier up, port forwarding
    sb.execInNamespace(["python3", FRAMES, "send", "l2b", ...destinations]);
    await done;
    return out.split("\n").filter((l) => l !== "" && l !== "ready");
  }

  it("forwards the guest's own MAC and broadcast but not unknown unicast; kernel mode floods it", async () => {
    await makeNetwork("virbrl2", { macTableManager: "libvirt" });
    sb.execInNamespace(["ip", "link", "add", "l2a", "type", "veth", "peer", "name", "l2b"]);
    sb.execInNamespace(["ip", "link", "set", "l2a", "master", "virbrl2"]);
    sb.execInNamespace(["ip", "link", "set", "l2a", "up"]);
    sb.execInNamespace(["ip", "link", "set", "l2b", "up"]);
    const inputs = await checked({ connection: sandboxConnection(sb), bridge: "virbrl2", macTableManager: "libvirt", mac: "52:54:00:aa:00:01", name: "l2tap" });
    let { outs } = await guestInterface.create(inputs);
    const guest = "52:54:00:aa:00:01";
    const unknown = "52:54:00:99:99:99";
    const broadcast = "ff:ff:ff:ff:ff:ff";

    expect((await framesReaching("l2tap", [guest, unknown, broadcast])).sort()).toEqual([guest, broadcast].sort());

    const kernel = await checked({ ...inputs, macTableManager: "kernel" }, inputs);
    outs = (await guestInterface.update(`${sb.host}/l2tap`, outs, kernel)).outs;
    expect((await framesReaching("l2tap", [guest, unknown, broadcast])).sort()).toEqual([guest, unknown, broadcast].sort());
    await guestInterface.delete(`${sb.host}/l2tap`, outs);
  });
});
