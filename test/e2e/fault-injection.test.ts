// Faults: the SSH connection is cut at many points of an up, an update and a destroy of 1 network with DHCP and DNS
// (its dnsmasq restarted by the update), 50 routes, 10 guests with floors and a DHCP reservation. After the connection returns, the next up converges and the next destroy leaves the host
// with no virtnet object, every time. Cut points are spread over the bytes an uncut run sends and receives. The
// three kinds run at once, each on a sandbox host, engine and proxy of its own.
import { existsSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DNSMASQ_STATE_DIR } from "../../provider/dnsmasq/dnsmasq-paths";
import { Engine, type Program } from "../../scripts/engine";
import { installedVirtnet } from "./virtnet-package";
import { CuttingProxy } from "../support/cutting-proxy";
import { createSandbox, type Sandbox } from "../support/sandbox";

const CUT_POINTS = 10;
const ROUTES = 50;
const GUESTS = 10;
type Kind = "up" | "update" | "destroy";

interface Rig {
  sb: Sandbox;
  proxy: CuttingProxy;
  port: number;
  engine: Engine;
}
const rigs = new Map<Kind, Rig>();

beforeAll(async () => {
  await Promise.all(
    (["up", "update", "destroy"] as const).map(async (kind) => {
      const sb = await createSandbox();
      const proxy = new CuttingProxy({ host: sb.host, port: sb.port });
      const port = await proxy.listen();
      rigs.set(kind, { sb, proxy, port, engine: new Engine({ pkg: installedVirtnet(), packageName: "pulumi-virtnet", stack: `fault-${kind}` }) });
    }),
  );
});
afterAll(async () => {
  for (const r of rigs.values()) {
    await r.engine.destroy().catch(() => undefined);
    await r.engine.dispose();
    await r.proxy.close();
    await r.sb.destroy();
  }
});

/** Each rig's bridge has its own name: the sandbox hosts share this machine's filesystem, where dnsmasq's files are. */
const bridgeOf = (r: Rig) => `ft${[...rigs].find(([, x]) => x === r)![0]}0`;

function stack(r: Rig, v: { gateway: string; floor: number; mtu: number; rangeEnd: number; name: string }): Program {
  return ({ pkg, pulumi }) => {
    const connection = { host: "127.0.0.1", port: r.port, privateKey: pulumi.secret(r.sb.privateKey), hostKey: r.sb.hostKey };
    const net = new pkg.Network("fault", {
      connection, bridge: { name: bridgeOf(r), stp: false }, mtu: v.mtu,
      ips: [{ address: "192.168.160.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.160.100", end: `192.168.160.${v.rangeEnd}` }] } }],
      dns: { hosts: [{ ip: "192.168.160.5", hostnames: [v.name] }] },
      bandwidth: { inbound: { average: 10000, peak: 20000 } },
    });
    new pkg.DhcpHost("h0", { network: net, mac: "52:54:00:16:00:10", name: v.name, ip: "192.168.160.50" });
    for (let i = 0; i < ROUTES; i++) new pkg.StaticRoute(`r${i}`, { network: net, address: `10.200.${i}.0`, prefix: 24, gateway: v.gateway });
    for (let i = 0; i < GUESTS; i++) {
      new pkg.GuestInterface(`g${i}`, { network: net, mac: `52:54:00:16:00:${(16 + i).toString(16)}`, bandwidth: { inbound: { average: 1000, floor: v.floor } } });
    }
  };
}
const before = (r: Rig) => stack(r, { gateway: "192.168.160.2", floor: 100, mtu: 1500, rangeEnd: 199, name: "files" });
const after = (r: Rig) => stack(r, { gateway: "192.168.160.3", floor: 150, mtu: 9000, rangeEnd: 150, name: "store" });

function leftovers(sb: Sandbox): string[] {
  const links = (sb.ipJson(["-d", "link", "show"]) as Array<{ ifname: string; ifalias?: string }>).filter((l) => l.ifalias?.startsWith("virtnet")).map((l) => `link ${l.ifname}`);
  const routes = (sb.ipJson(["-4", "route", "show", "proto", "241"]) as Array<{ dst: string }>).map((r) => `route ${r.dst}`);
  const bridge = bridgeOf([...rigs.values()].find((r) => r.sb === sb)!);
  const files = existsSync(DNSMASQ_STATE_DIR) ? readdirSync(DNSMASQ_STATE_DIR).filter((f) => f.startsWith(`${bridge}.`)).map((f) => `file ${f}`) : [];
  // This script's own command line names the configuration too: only a process that is dnsmasq counts.
  const daemons = sb.execInNamespace(["sh", "-c", `for p in $(ip netns pids ${sb.namespace}); do case "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)" in "dnsmasq --conf-file=${DNSMASQ_STATE_DIR}/${bridge}.conf "*) echo "dnsmasq $p";; esac; done`]);
  return [...links, ...routes, ...files, ...daemons.split("\n").filter(Boolean)];
}

async function converge(r: Rig, program: Program): Promise<void> {
  expect((await r.engine.up(program)).errors).toEqual([]);
  const p = await r.engine.preview(program);
  expect(p.errors).toEqual([]);
  expect(p.steps.filter((s) => s.op !== "same").map((s) => `${s.name}: ${s.op}`)).toEqual([]);
}

async function destroyClean(r: Rig): Promise<void> {
  expect((await r.engine.destroy()).errors).toEqual([]);
  expect(leftovers(r.sb)).toEqual([]);
}

const tally: Record<Kind, { runs: number; cut: number; converged: number; clean: number }> = {
  up: { runs: 0, cut: 0, converged: 0, clean: 0 },
  update: { runs: 0, cut: 0, converged: 0, clean: 0 },
  destroy: { runs: 0, cut: 0, converged: 0, clean: 0 },
};

/** Bytes an uncut run of the kind moves through the proxy. */
async function measure(kind: Kind, r: Rig): Promise<number> {
  r.proxy.disarm();
  expect((await r.engine.up(before(r))).errors).toEqual([]);
  if (kind === "up") {
    const bytes = r.proxy.bytes;
    await destroyClean(r);
    return bytes;
  }
  if (kind === "update") {
    r.proxy.disarm();
    expect((await r.engine.up(after(r))).errors).toEqual([]);
    const bytes = r.proxy.bytes;
    await destroyClean(r);
    return bytes;
  }
  r.proxy.disarm();
  await destroyClean(r);
  return r.proxy.bytes;
}

async function cutAt(kind: Kind, r: Rig, threshold: number): Promise<void> {
  const t = tally[kind];
  r.proxy.disarm();
  if (kind !== "up") expect((await r.engine.up(before(r))).errors).toEqual([]);
  const cutsBefore = r.proxy.cuts;
  r.proxy.armAt(threshold);
  if (kind === "up") await r.engine.up(before(r));
  else if (kind === "update") await r.engine.up(after(r));
  else await r.engine.destroy();
  t.runs++;
  if (r.proxy.cuts > cutsBefore) t.cut++;
  r.proxy.disarm();
  if (kind !== "destroy") await converge(r, kind === "up" ? before(r) : after(r));
  t.converged++;
  await destroyClean(r);
  t.clean++;
}

describe("SSH connection cut at many points", () => {
  it(`cuts an up, an update and a destroy at ${CUT_POINTS} points each: the next up converges, destroy leaves nothing`, async () => {
    await Promise.all(
      (["up", "update", "destroy"] as const).map(async (kind) => {
        const r = rigs.get(kind)!;
        const bytes = await measure(kind, r);
        expect(bytes).toBeGreaterThan(1_000);
        // Spread over the first three quarters of an uncut run's bytes: a run moves a little less than another.
        for (let i = 1; i <= CUT_POINTS; i++) await cutAt(kind, r, Math.floor((bytes * 0.75 * i) / CUT_POINTS));
      }),
    );
    console.log(`fault injection (runs/cut/converged/clean): ${JSON.stringify(tally)}`);
    for (const t of Object.values(tally)) expect(t).toEqual({ runs: CUT_POINTS, cut: CUT_POINTS, converged: CUT_POINTS, clean: CUT_POINTS });
  }, 1_500_000);
});
