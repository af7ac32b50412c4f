// npm run bench:scale: virtnet at the size of a real VM host, against what the same work must cost at least.
// The stack: 1 network, 200 StaticRoutes and 100 GuestInterfaces with inbound and outbound bandwidth (10 with
// floors), on one sandbox host, through Pulumi's real dynamic-provider plugin. In the same run: the same stack over
// a dynamic provider that does nothing (the engine's own cost), in two forms: the three resources with the same inputs
// (bench/noop-provider), and virtnet's own classes over a provider module that does nothing (the engine's and the SDK's
// cost for virtnet's resource shape, outputs included); the kernel commands virtnet ran as one exec of
// `ip/bridge/tc -batch` (the floor), an estimate of one SSH connection per command, the plugin's peak memory, and a
// scaling series of creates. The phases run BENCH_ROUNDS times (3) for each provider, in turn; each phase reports its
// median round, with every round's wall time. Prints JSON.
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Engine, installPackage, installedAt, type EngineResult, type InstalledPackage, type Program } from "../scripts/engine";
import { createSandbox, type Sandbox } from "../scripts/sandbox/sandbox";
import { SshShell } from "../provider/exec/ssh-shell";

const REPO = path.resolve(__dirname, "..");
const GUESTS = Number(process.env.BENCH_GUESTS ?? 100);
const ROUTES = Number(process.env.BENCH_ROUTES ?? 200);
const FLOORS = 10;
const SERIES = (process.env.BENCH_SERIES ?? "10,50,100,200").split(",").map(Number);
/** Rounds of the phases per provider, taken in turn so that the machine's drift falls on all three alike; medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Trace = { event: "dial" | "exec"; ms: number } | { event: "apply"; commands: string[] };
type Phase = { wallMs: number; execs: number; execMs: number; execMsList: number[]; dials: number; commands: number; commandList?: string[] };
type Phases = Record<string, Phase>;

/** The middle one of `xs` by `key` (the upper middle of an even count). */
const middle = <T>(xs: readonly T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)];
const median = (xs: number[]) => middle(xs, (x) => x);

/** Each phase's median round by wall time (its exec figures with it), and every round's wall time. */
function medianRound(rounds: Phases[]): Record<string, Phase & { wallMsRounds: number[] }> {
  const out: Record<string, Phase & { wallMsRounds: number[] }> = {};
  for (const name of Object.keys(rounds[0])) {
    const all = rounds.map((r) => r[name]);
    out[name] = { ...middle(all, (p) => p.wallMs), wallMsRounds: all.map((p) => p.wallMs) };
  }
  return out;
}

function stack(sb: Sandbox, o: { guests: number; routes: number; rate: number }): Program {
  return ({ pkg, pulumi }) => {
    const connection = { host: sb.host, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey };
    const net = new pkg.Network("scale", {
      connection, bridge: { name: "scale0", stp: false }, ips: [{ address: "10.40.0.1", prefix: 16 }],
      bandwidth: { inbound: { average: 100000, peak: 200000 }, outbound: { average: 100000 } },
    });
    for (let i = 0; i < o.routes; i++) new pkg.StaticRoute(`r${i}`, { network: net, address: `10.${50 + Math.floor(i / 250)}.${i % 250}.0`, prefix: 24, gateway: "10.40.0.2" });
    for (let i = 0; i < o.guests; i++) {
      const floor = i < FLOORS ? { floor: 100 } : {};
      new pkg.GuestInterface(`vm${i}`, { network: net, mac: `52:54:00:40:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`, bandwidth: { inbound: { average: o.rate, ...floor }, outbound: { average: 500 } } });
    }
  };
}

/**
 * A copy of virtnet's installation whose provider module does nothing: the program, the SDK classes and their outputs
 * are virtnet's own, so what virtnet adds over it is the provider's work alone (its plugin code and the host).
 */
function withNoopProvider(pkg: InstalledPackage, into: string): InstalledPackage {
  cpSync(pkg.dir, into, { recursive: true, verbatimSymlinks: true });
  const providerDir = path.join(into, "node_modules", "pulumi-virtnet", "dist", "provider");
  copyFileSync(path.join(__dirname, "noop-provider", "impl.js"), path.join(providerDir, "noop-impl.js"));
  writeFileSync(
    path.join(providerDir, "index.js"),
    `"use strict";\nconst { resource } = require("./noop-impl");\nmodule.exports = { network: resource, staticRoute: resource, guestInterface: resource, dhcpHost: resource };\n`,
  );
  return installedAt(into);
}

/** The commands virtnet ran, as one exec: consecutive commands of one tool go through that tool's -batch. */
function asBatches(commands: string[]): string {
  const out: string[] = [];
  let tool = "";
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    out.push(tool === "ip" || tool === "tc" || tool === "bridge" ? `${tool} -force -batch - <<'EOF'\n${lines.join("\n")}\nEOF` : lines.map((l) => `${l} || true`).join("\n"));
    lines = [];
  };
  for (const c of commands) {
    const [head, ...rest] = c.split(" ");
    const t = head === "ip" || head === "tc" || head === "bridge" ? head : "sh";
    if (t !== tool) flush();
    tool = t;
    // ip -batch takes no options per line: the address says the family.
    lines.push(t === "sh" ? c : rest.filter((w) => w !== "-6").join(" "));
  }
  flush();
  return out.join("\n") + "\n";
}

async function main(): Promise<void> {
  const traceDir = mkdtempSync(path.join(os.tmpdir(), "virtnet-bench-"));
  const traceFile = path.join(traceDir, "trace.jsonl");
  process.env.VIRTNET_TRACE_FILE = traceFile;
  const noopDir = path.join(__dirname, "noop-provider");
  const [sb, pkg, noopPkg] = await Promise.all([createSandbox(), installPackage(REPO), installPackage(noopDir)]);
  const shell = new SshShell({ host: sb.host, port: sb.port, user: sb.user, privateKey: sb.privateKey, hostKey: sb.hostKey, insecureIgnoreHostKey: false, sudo: false });
  const result: Record<string, unknown> = { guests: GUESTS, routes: ROUTES, floors: FLOORS, resources: 1 + GUESTS + ROUTES };
  try {
    async function phases(engine: Engine, label: string, traced: boolean): Promise<Phases> {
      const out: Phases = {};
      const phase = async (name: string, run: () => Promise<EngineResult>) => {
        writeFileSync(traceFile, "");
        const started = process.hrtime.bigint();
        const r = await run();
        const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
        if (r.errors.length || r.failures.length) throw new Error(`${label} ${name}: ${JSON.stringify([...r.errors, ...r.failures]).slice(0, 2000)}`);
        const lines = traced ? readFileSync(traceFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Trace) : [];
        const commandList = lines.flatMap((l) => (l.event === "apply" ? l.commands : []));
        const execMsList = lines.flatMap((l) => (l.event === "exec" ? [l.ms] : []));
        out[name] = { wallMs, execs: execMsList.length, execMs: execMsList.reduce((a, b) => a + b, 0), execMsList, dials: lines.filter((l) => l.event === "dial").length, commands: commandList.length, commandList };
      };
      await phase("create", () => engine.up(stack(sb, { guests: GUESTS, routes: ROUTES, rate: 1000 })));
      await phase("noopUp", () => engine.up(stack(sb, { guests: GUESTS, routes: ROUTES, rate: 1000 })));
      await phase("refresh", () => engine.refresh());
      await phase("updateEveryGuest", () => engine.up(stack(sb, { guests: GUESTS, routes: ROUTES, rate: 2000 })));
      await phase("destroy", () => engine.destroy());
      return out;
    }
    const rss = (pid: number | undefined) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

    // The no-op provider (the engine's own cost for the same stack), virtnet's classes over a provider that does
    // nothing, and virtnet, one round each in turn. Each keeps its plugin for all its rounds, as the engine keeps one
    // plugin for a deployment.
    const noop = new Engine({ pkg: noopPkg, packageName: "virtnet-noop-provider" });
    const sameClassesPkg = withNoopProvider(pkg, path.join(traceDir, "same-classes"));
    const sameClasses = new Engine({ pkg: sameClassesPkg, packageName: "pulumi-virtnet" });
    const engine = new Engine({ pkg, packageName: "pulumi-virtnet" });
    for (const e of [noop, sameClasses, engine]) await e.preview(() => undefined);
    const rounds: { noop: Phases[]; sameClasses: Phases[]; virtnet: Phases[] } = { noop: [], sameClasses: [], virtnet: [] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.noop.push(await phases(noop, "no-op", false));
      rounds.sameClasses.push(await phases(sameClasses, "same classes over a no-op provider", false));
      rounds.virtnet.push(await phases(engine, "virtnet", true));
    }
    const [noopPhases, sameClassesPhases, virtnetPhases] = [rounds.noop, rounds.sameClasses, rounds.virtnet].map(medianRound);
    const [noopRssMb, sameClassesRssMb, virtnetRssMb] = await Promise.all([noop, sameClasses, engine].map(async (e) => rss(await e.pluginPid())));
    await noop.dispose();
    await sameClasses.dispose();

    // The floor: the same kernel commands as one exec of -batch, on the same host (create it, change it, delete it).
    await shell.run("true");
    const floor: Record<string, number> = {};
    for (const name of ["create", "updateEveryGuest", "destroy"]) {
      const script = asBatches(virtnetPhases[name].commandList ?? []);
      const started = process.hrtime.bigint();
      await shell.run(script);
      floor[name] = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    }
    // What one new SSH connection per command costs (@pulumi/command's pattern), from 10 samples.
    const perConnection: number[] = [];
    for (let i = 0; i < 10; i++) {
      const one = new SshShell({ host: sb.host, port: sb.port, user: sb.user, privateKey: sb.privateKey, hostKey: sb.hostKey, insecureIgnoreHostKey: false, sudo: false });
      const started = process.hrtime.bigint();
      await one.run("true");
      perConnection.push(Number(process.hrtime.bigint() - started) / 1e6);
      one.close();
    }
    const connectionMs = median(perConnection);

    const table: Record<string, unknown> = {};
    for (const name of Object.keys(virtnetPhases)) {
      const v = virtnetPhases[name];
      const added = v.wallMs - noopPhases[name].wallMs;
      // Over virtnet's own classes with a provider that does nothing: what the provider's work adds.
      const providerAdded = v.wallMs - sameClassesPhases[name].wallMs;
      const row: Record<string, unknown> = {
        virtnetMs: v.wallMs,
        noopMs: noopPhases[name].wallMs,
        addedMs: added,
        sameClassesNoopMs: sameClassesPhases[name].wallMs,
        providerAddedMs: providerAdded,
        rounds: { virtnetMs: v.wallMsRounds, noopMs: noopPhases[name].wallMsRounds, sameClassesNoopMs: sameClassesPhases[name].wallMsRounds },
        execs: v.execs,
        execMs: v.execMs,
        execMsList: v.execMsList,
        dials: v.dials,
        commands: v.commands,
      };
      if (floor[name] !== undefined) {
        row.floorMs = floor[name];
        row.addedOverFloor = Math.round((added / Math.max(1, floor[name])) * 10) / 10;
        row.providerAddedOverFloor = Math.round((providerAdded / Math.max(1, floor[name])) * 10) / 10;
        row.onePerConnectionMs = Math.round(v.commands * connectionMs);
        row.fasterThanOnePerConnection = Math.round((v.commands * connectionMs) / Math.max(1, v.wallMs));
        // The same, of what each adds to the engine's own cost (the estimate has no engine in it).
        row.addedFasterThanOnePerConnection = Math.round((v.commands * connectionMs) / Math.max(1, added));
      }
      table[name] = row;
    }
    result.phases = table;
    result.memoryMb = {
      virtnetPeakRss: Math.round(virtnetRssMb),
      noopPeakRss: Math.round(noopRssMb),
      ratio: Math.round((virtnetRssMb / noopRssMb) * 100) / 100,
      sameClassesNoopPeakRss: Math.round(sameClassesRssMb),
      ratioOverSameClasses: Math.round((virtnetRssMb / sameClassesRssMb) * 100) / 100,
    };
    result.connectionPerCommandMs = Math.round(connectionMs * 10) / 10;
    await engine.dispose();

    // Scaling: create time per guest for growing stacks (no routes), each destroyed after.
    const series: { guests: number; createMs: number; perGuestMs: number }[] = [];
    for (const n of SERIES) {
      const e = new Engine({ pkg, packageName: "pulumi-virtnet" });
      await e.preview(() => undefined);
      const started = process.hrtime.bigint();
      const r = await e.up(stack(sb, { guests: n, routes: 0, rate: 1000 }));
      const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
      if (r.errors.length) throw new Error(`series ${n}: ${JSON.stringify(r.errors).slice(0, 1000)}`);
      series.push({ guests: n, createMs: ms, perGuestMs: Math.round((ms / n) * 10) / 10 });
      await e.destroy();
      await e.dispose();
    }
    const first = series[0];
    const last = series[series.length - 1];
    result.scaling = { series, slopeMsPerGuest: Math.round(((last.createMs - first.createMs) / (last.guests - first.guests)) * 10) / 10, perGuestRatioLastToFirst: Math.round((last.perGuestMs / first.perGuestMs) * 100) / 100 };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    shell.close();
    await sb.destroy();
    rmSync(traceDir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
