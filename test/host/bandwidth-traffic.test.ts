// Real traffic through a shaped network: the configured rate holds, and a floor holds while another guest
// saturates the link. Guests are namespaces on veth ports of the bridge; their floors key on their MACs.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

const TRAFFIC = path.join(__dirname, "../support/traffic.py");
const RATE = 1000; // KB/s: the network's inbound average and peak
const FLOOR = 600; // KB/s guaranteed to the first guest
let sb: Sandbox;
let prefix: string;
let first: { ns: string; address: string; mac: string };
const guestNs: string[] = [];

function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A guest: its own namespace, a veth whose host end is a port of the bridge. Returns its address and MAC. */
function addGuest(index: number): { ns: string; address: string; mac: string } {
  const ns = `${sb.namespace}-g${index}`;
  sh(["ip", "netns", "add", ns]);
  guestNs.push(ns);
  sb.execInNamespace(["ip", "link", "add", `tg${index}a`, "type", "veth", "peer", "name", `tg${index}b`]);
  sb.execInNamespace(["ip", "link", "set", `tg${index}b`, "netns", ns]);
  sb.execInNamespace(["ip", "link", "set", `tg${index}a`, "master", "virbrq"]);
  sb.execInNamespace(["ip", "link", "set", `tg${index}a`, "up"]);
  const address = `${prefix}.${10 + index}`;
  sh(["ip", "-n", ns, "addr", "add", `${address}/24`, "dev", `tg${index}b`]);
  sh(["ip", "-n", ns, "link", "set", `tg${index}b`, "up"]);
  sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  const mac = (JSON.parse(sh(["ip", "-n", ns, "-j", "link", "show", `tg${index}b`])) as Array<{ address: string }>)[0].address;
  return { ns, address, mac };
}

/** Receive rate (KB/s) of one bounded transfer per guest, all at once, from the host to the guests. */
async function transfer(guests: Array<{ ns: string; address: string }>, seconds: number): Promise<number[]> {
  const servers = guests.map((g) => {
    const child = spawn("ip", ["netns", "exec", g.ns, "python3", TRAFFIC, "serve", "5001", String(seconds)]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    return { child, out: () => out, done: new Promise((r) => child.on("close", r)) };
  });
  while (!servers.every((s) => s.out().includes("ready"))) await new Promise((r) => setTimeout(r, 20));
  const senders = guests.map((g) => spawn("ip", ["netns", "exec", sb.namespace, "python3", TRAFFIC, "send", g.address, "5001", String(seconds)]));
  await Promise.all([...senders.map((s) => new Promise((r) => s.on("close", r))), ...servers.map((s) => s.done)]);
  return servers.map((s) => (JSON.parse(s.out().split("\n").filter((l) => l.startsWith("{"))[0]) as { bytesPerSecond: number }).bytesPerSecond / 1000);
}

beforeAll(async () => {
  sb = await createSandbox();
  // Addresses of the project's own test range (198.18.0.0/15), away from the sandbox's uplink subnet.
  prefix = sb.host.startsWith("198.19.") ? "198.18.254" : "198.19.254";
  const r = await network.check({}, {
    connection: sandboxConnection(sb),
    bridge: { name: "virbrq", stp: false },
    ips: [{ address: `${prefix}.1`, prefix: 24 }],
    bandwidth: { inbound: { average: RATE, peak: RATE } },
  });
  expect(r.failures).toEqual([]);
  await network.create(r.inputs);
});
afterAll(async () => {
  closeAllHosts();
  for (const ns of guestNs) spawnSync("ip", ["netns", "del", ns]);
  await sb?.destroy();
});

describe("bandwidth with real traffic", () => {
  it(`holds a guest to the network's ${RATE} KB/s within 20%`, async () => {
    first = addGuest(1);
    const [rate] = await transfer([first], 3);
    console.log(`measured: ${rate.toFixed(0)} KB/s against a cap of ${RATE} KB/s`);
    expect(rate).toBeGreaterThan(RATE * 0.8);
    expect(rate).toBeLessThan(RATE * 1.2);
  }, 30_000);

  it(`keeps a ${FLOOR} KB/s floor for one guest while another saturates the link`, async () => {
    const floored = first;
    const other = addGuest(2);
    const inputs = (await guestInterface.check({}, {
      connection: sandboxConnection(sb),
      bridge: "virbrq",
      name: "flooredtap",
      mac: floored.mac,
      bandwidth: { inbound: { floor: FLOOR } },
      networkBandwidth: { inbound: { average: RATE, peak: RATE } },
    })).inputs;
    await guestInterface.create(inputs);
    const [flooredRate, otherRate] = await transfer([floored, other], 4);
    console.log(`measured: floored guest ${flooredRate.toFixed(0)} KB/s (floor ${FLOOR}), other guest ${otherRate.toFixed(0)} KB/s`);
    expect(flooredRate).toBeGreaterThan(FLOOR * 0.8);
    expect(otherRate).toBeGreaterThan(50); // the other guest still gets the rest
    expect(flooredRate + otherRate).toBeLessThan(RATE * 1.2); // and the network's cap holds
  }, 40_000);
});
