// Faults: the SSH connection is cut at many points of an up, an update and a destroy of 1 network, 50 routes and
// 10 guests with floors. After the connection returns, the next up converges and the next destroy leaves the host
// with no virtnet object, every time. Cut points are spread over the bytes an uncut run sends and receives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Program } from "./harness";
import { useEngine } from "./use-engine";
import { CuttingProxy } from "../support/cutting-proxy";

const t = useEngine();
let proxy: CuttingProxy;
let port: number;
const CUT_POINTS = 10;
const ROUTES = 50;
const GUESTS = 10;

beforeAll(async () => {
  proxy = new CuttingProxy({ host: t.sb.host, port: t.sb.port });
  port = await proxy.listen();
});
afterAll(async () => proxy?.close());

function stack(v: { gateway: string; floor: number; mtu: number }): Program {
  return ({ pkg, pulumi }) => {
    const connection = { host: "127.0.0.1", port, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey };
    const net = new pkg.Network("fault", {
      connection, bridge: { name: "ftbr0", stp: false }, mtu: v.mtu, ips: [{ address: "192.168.160.1", prefix: 24 }],
      bandwidth: { inbound: { average: 10000, peak: 20000 } },
    });
    for (let i = 0; i < ROUTES; i++) new pkg.StaticRoute(`r${i}`, { network: net, address: `10.200.${i}.0`, prefix: 24, gateway: v.gateway });
    for (let i = 0; i < GUESTS; i++) {
      new pkg.GuestInterface(`g${i}`, { network: net, mac: `52:54:00:16:00:${(16 + i).toString(16)}`, bandwidth: { inbound: { average: 1000, floor: v.floor } } });
    }
  };
}
const before = stack({ gateway: "192.168.160.2", floor: 100, mtu: 1500 });
const after = stack({ gateway: "192.168.160.3", floor: 150, mtu: 9000 });

function leftovers(): string[] {
  const links = (t.sb.ipJson(["-d", "link", "show"]) as Array<{ ifname: string; ifalias?: string }>).filter((l) => l.ifalias?.startsWith("virtnet")).map((l) => `link ${l.ifname}`);
  const routes = (t.sb.ipJson(["-4", "route", "show", "proto", "241"]) as Array<{ dst: string }>).map((r) => `route ${r.dst}`);
  return [...links, ...routes];
}

/** Every resource the last result shows, as `name: op`, with no error. */
async function converge(program: Program): Promise<void> {
  const r = await t.engine.up(program);
  expect(r.errors).toEqual([]);
  const p = await t.engine.preview(program);
  expect(p.errors).toEqual([]);
  expect(p.steps.filter((s) => s.op !== "same").map((s) => `${s.name}: ${s.op}`)).toEqual([]);
}

async function destroyClean(): Promise<void> {
  const r = await t.engine.destroy();
  expect(r.errors).toEqual([]);
  expect(leftovers()).toEqual([]);
}

const tally = { runs: 0, cut: 0, converged: 0, clean: 0 };

describe("SSH connection cut at many points", () => {
  const bytes = { up: 0, update: 0, destroy: 0 };

  it("measures an uncut up, update and destroy", async () => {
    proxy.disarm();
    expect((await t.engine.up(before)).errors).toEqual([]);
    bytes.up = proxy.bytes;
    proxy.disarm();
    expect((await t.engine.up(after)).errors).toEqual([]);
    bytes.update = proxy.bytes;
    proxy.disarm();
    await destroyClean();
    bytes.destroy = proxy.bytes;
    expect(bytes.up).toBeGreaterThan(10_000);
    expect(bytes.update).toBeGreaterThan(1_000);
    expect(bytes.destroy).toBeGreaterThan(1_000);
  });

  const points = Array.from({ length: CUT_POINTS }, (_, i) => i + 1);

  it.each(points)("cut during up at %i/11 of its traffic: the next up converges, destroy leaves nothing", async (i) => {
    proxy.armAt(Math.floor((bytes.up * i) / (CUT_POINTS + 1)));
    const r = await t.engine.up(before);
    tally.runs++;
    if (proxy.cuts > 0) tally.cut++;
    proxy.disarm();
    void r;
    await converge(before);
    tally.converged++;
    await destroyClean();
    tally.clean++;
  });

  it.each(points)("cut during an update at %i/11 of its traffic: the next up converges, destroy leaves nothing", async (i) => {
    proxy.disarm();
    expect((await t.engine.up(before)).errors).toEqual([]);
    const cutsBefore = proxy.cuts;
    proxy.armAt(Math.floor((bytes.update * i) / (CUT_POINTS + 1)));
    await t.engine.up(after);
    tally.runs++;
    if (proxy.cuts > cutsBefore) tally.cut++;
    proxy.disarm();
    await converge(after);
    tally.converged++;
    await destroyClean();
    tally.clean++;
  });

  it.each(points)("cut during destroy at %i/11 of its traffic: the next destroy leaves nothing", async (i) => {
    proxy.disarm();
    expect((await t.engine.up(before)).errors).toEqual([]);
    const cutsBefore = proxy.cuts;
    proxy.armAt(Math.floor((bytes.destroy * i) / (CUT_POINTS + 1)));
    await t.engine.destroy();
    tally.runs++;
    if (proxy.cuts > cutsBefore) tally.cut++;
    proxy.disarm();
    tally.converged++;
    await destroyClean();
    tally.clean++;
  });

  it("cut the connection in every run, and every run converged and ended clean", () => {
    console.log(`fault injection: ${tally.runs} runs, ${tally.cut} cut, ${tally.converged} converged, ${tally.clean} clean`);
    expect(tally.runs).toBe(3 * CUT_POINTS);
    expect(tally.cut).toBe(tally.runs);
    expect(tally.clean).toBe(tally.runs);
  });
});
