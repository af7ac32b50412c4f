// npm run bench: create, refresh and destroy N networks on one sandbox host through Pulumi's dynamic-provider
// plugin, printing JSON with wall times and the SSH dials and execs the provider used (from its trace file).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Engine, installPackage, type EngineResult, type Program } from "../scripts/engine";
import { createSandbox, type Sandbox } from "../scripts/sandbox/sandbox";
import { SshShell } from "../provider/exec/ssh-shell";

const COUNT = Number(process.env.BENCH_NETWORKS ?? 20);
const INLINE_ROUTES = 200;
const STANDALONE_ROUTES = 50;
const REPO = path.resolve(__dirname, "..");

interface TraceLine {
  event: "dial" | "exec";
  ms: number;
}

/** Median time of one trivial exec over an open connection: what every extra round trip costs on this host. */
async function execRoundTripMs(sb: Sandbox): Promise<number> {
  const shell = new SshShell({ host: sb.host, port: sb.port, user: sb.user, privateKey: sb.privateKey, hostKey: sb.hostKey, insecureIgnoreHostKey: false, sudo: false });
  try {
    await shell.run("true");
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const started = process.hrtime.bigint();
      await shell.run("true");
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return Math.round(times.sort((a, b) => a - b)[10] * 10) / 10;
  } finally {
    shell.close();
  }
}

async function main(): Promise<void> {
  const traceDir = mkdtempSync(path.join(os.tmpdir(), "virtnet-bench-"));
  const trace = path.join(traceDir, "trace.jsonl");
  // The plugin inherits the environment, so its provider appends one line per dial and exec here.
  process.env.VIRTNET_TRACE_FILE = trace;
  const [sb, pkg] = await Promise.all([createSandbox(), installPackage(REPO)]);
  const engine = new Engine({ pkg, packageName: "pulumi-virtnet" });
  const program: Program = ({ pkg: virtnet, pulumi }) => {
    const connection = { host: sb.host, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey };
    for (let i = 0; i < COUNT; i++) {
      new virtnet.Network(`net${i}`, { connection, bridge: { name: `bench${i}` }, mtu: 9000, ips: [{ address: `10.20.${i}.1`, prefix: 24 }] });
    }
  };
  const phases: Record<string, { wallMs: number; dials: number; execs: number; execMsTotal: number; steps: number }> = {};
  async function phase(name: string, run: () => Promise<EngineResult>): Promise<void> {
    writeFileSync(trace, "");
    const started = process.hrtime.bigint();
    const r = await run();
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.errors.length || r.failures.length) throw new Error(`${name}: ${JSON.stringify([...r.errors, ...r.failures])}`);
    const lines = readFileSync(trace, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as TraceLine);
    const execs = lines.filter((l) => l.event === "exec");
    phases[name] = {
      wallMs: Math.round(wallMs),
      dials: lines.filter((l) => l.event === "dial").length,
      execs: execs.length,
      execMsTotal: execs.reduce((sum, l) => sum + l.ms, 0),
      steps: r.steps.length,
    };
  }
  try {
    // Start the plugin (and its first closure load) outside the timed phases.
    await engine.preview(() => undefined);
    await phase("create", () => engine.up(program));
    const onHost = (sb.ipJson(["link", "show", "type", "bridge"]) as unknown[]).length;
    if (onHost !== COUNT) throw new Error(`expected ${COUNT} bridges on the host, found ${onHost}`);
    await phase("noopUp", () => engine.up(program));
    await phase("refresh", () => engine.refresh());
    await phase("destroy", () => engine.destroy());
    // One network with many inline routes: they go in the create's single apply exec.
    const inline: Program = ({ pkg: virtnet, pulumi }) => {
      const routes = Array.from({ length: INLINE_ROUTES }, (_, i) => ({ address: `10.${100 + Math.floor(i / 250)}.${i % 250}.0`, prefix: 24, gateway: "192.168.77.2" }));
      new virtnet.Network("routed", { connection: { host: sb.host, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey }, bridge: { name: "routed0" }, ips: [{ address: "192.168.77.1", prefix: 24 }], routes });
    };
    await phase(`create1Network${INLINE_ROUTES}InlineRoutes`, () => engine.up(inline));
    await phase(`destroy1Network${INLINE_ROUTES}InlineRoutes`, () => engine.destroy());
    // Many StaticRoute resources on one network: concurrent creates share execs (group commit).
    const standalone: Program = ({ pkg: virtnet, pulumi }) => {
      const net = new virtnet.Network("routed", { connection: { host: sb.host, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey }, bridge: { name: "routed0" }, ips: [{ address: "192.168.77.1", prefix: 24 }] });
      for (let i = 0; i < STANDALONE_ROUTES; i++) new virtnet.StaticRoute(`r${i}`, { network: net, address: `10.200.${i}.0`, prefix: 24, gateway: "192.168.77.2" });
    };
    await phase(`create1Network${STANDALONE_ROUTES}StaticRoutes`, () => engine.up(standalone));
    await phase(`destroy1Network${STANDALONE_ROUTES}StaticRoutes`, () => engine.destroy());
    // Guest interfaces on a libvirt-mode network: taps named on the host, ports and fdb entries set.
    const guests: Program = ({ pkg: virtnet, pulumi }) => {
      const net = new virtnet.Network("guests", { connection: { host: sb.host, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey }, bridge: { name: "guests0", macTableManager: "libvirt" } });
      for (let i = 0; i < COUNT; i++) new virtnet.GuestInterface(`vm${i}`, { network: net });
    };
    await phase(`create1Network${COUNT}GuestInterfaces`, () => engine.up(guests));
    await phase(`destroy1Network${COUNT}GuestInterfaces`, () => engine.destroy());
    const roundTrip = await execRoundTripMs(sb);
    console.log(JSON.stringify({ networks: COUNT, host: "sandbox (netns + sshd over veth)", execRoundTripMs: roundTrip, phases }, null, 2));
  } finally {
    await engine.dispose();
    await sb.destroy();
    rmSync(traceDir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
