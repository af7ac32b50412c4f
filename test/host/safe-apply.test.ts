// Safe apply against real SSH sessions (docs/architecture.md §3.9): a StaticRoute that sends the host's replies to the
// deployment's own address into a virtnet bridge cuts the connection; the host rolls it back by itself, `create`
// fails within the window plus 10 s naming the change, the host answers SSH again and the route is gone; ten times
// at once on systemd sandbox hosts (systemd-run timers) and once on a plain one (a detached sleeper). A risky change
// that does not cut is confirmed and kept with no timer left; a provider killed before confirming still leaves a
// reachable host; a change that is not risky costs no extra exec or job.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { network, staticRoute } from "../../provider";
import { closeAllHosts, hostFor } from "../../provider/host/host-pool";
import { knownConnection } from "../../provider/connection/known-connection";
import type { ConnectionInputs } from "../../provider/connection/connection";
import { createSystemdSandbox } from "../../scripts/sandbox/systemd-host";
import { SshShell } from "../../provider/exec/ssh-shell";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

type Props = Record<string, unknown>;
const T = 15;
const sandboxes: Sandbox[] = [];

afterAll(async () => {
  closeAllHosts();
  await Promise.all(sandboxes.map((s) => s.destroy()));
});

async function checked(h: typeof network, args: Props): Promise<Props> {
  const r = await h.check({}, args);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** A sandbox host with an isolated network on `vnsa0` (10.77.0.1/24), reached with a T-second window. */
async function rig(systemd: boolean) {
  const sb = systemd ? await createSystemdSandbox() : await createSandbox();
  sandboxes.push(sb);
  const connection = sandboxConnection(sb, { confirmTimeoutSeconds: T });
  const netArgs = { connection, bridge: { name: "vnsa0", stp: false }, ips: [{ address: "10.77.0.1", prefix: 24 }] };
  const net = await network.create(await checked(network, netArgs));
  /** The route to `address`/`prefix` via 10.77.0.2, a gateway on the bridge that nothing answers for. */
  const route = (address: string, prefix: number) => ({ connection, bridge: "vnsa0", address, prefix, gateway: "10.77.0.2" });
  const routes = () => sb.execInNamespace(["ip", "route", "show", "dev", "vnsa0", "proto", "241"]);
  // A connection of its own, after the provider's pooled one may have been cut.
  const reachable = async () => {
    const probe = new SshShell(knownConnection((await checked(network, { connection, bridge: { name: "x" } })).connection as ConnectionInputs, "test"));
    try {
      return (await probe.run("echo ok")).stdout.trim() === "ok";
    } finally {
      probe.close();
    }
  };
  // A transaction still pending or rolling back, its timer or its sleeper; a finished rollback's record may stay.
  const leftovers = () => sb.execInNamespace(["sh", "-c", "ls -d /run/virtnet/tx/*/pending /run/virtnet/tx/*/running 2>/dev/null; systemctl list-units --no-legend 'virtnet-rollback-*' 2>/dev/null; pgrep -f 'virtnet[-]guard'; :"]).trim();
  return { sb, connection, net, netArgs, route, routes, reachable, leftovers };
}

/** Creates the route that cuts SSH; returns the error and how long it took. */
async function cuttingCreate(r: Awaited<ReturnType<typeof rig>>): Promise<{ message: string; seconds: number }> {
  const started = performance.now();
  const error = await staticRoute.create(await checked(staticRoute, r.route(r.sb.rootAddress, 32))).then(
    () => new Error("the change was kept"),
    (e: Error) => e,
  );
  return { message: error.message, seconds: (performance.now() - started) / 1000 };
}

describe("safe apply", () => {
  it("rolls back a route that cuts SSH, ten times at once with systemd's timers: the error names it, the host answers again, the route is gone", async () => {
    const rigs = await Promise.all(Array.from({ length: 10 }, () => rig(true)));
    const results = await Promise.all(rigs.map((r) => cuttingCreate(r)));
    console.log(`safe apply, 10 cuts: failed after ${results.map((r) => r.seconds.toFixed(1)).join(", ")} s`);
    for (const [i, r] of results.entries()) {
      const client = rigs[i]!.sb.rootAddress.replaceAll(".", "\\.");
      expect(r.message).toMatch(new RegExp(`creating route on .* cut SSH access \\(the change: the route to ${client}/32, which covers the SSH client ${client}\\): no new connection from ${client} \\(via dev \\S+\\) succeeded within ${T} s; the host rolled the change back after ${T} s \\(rollback exit 0\\)\\. Nothing was changed\\.`));
      expect(r.seconds).toBeLessThanOrEqual(T + 10);
    }
    let lost = 0;
    for (const r of rigs) {
      if (!(await r.reachable())) lost++;
      expect(r.routes()).toBe("");
      expect(r.leftovers()).toBe("");
    }
    expect(lost).toBe(0);
    // Nothing was recorded: the next preview plans the same create.
    expect((await staticRoute.check({}, rigs[0]!.route(rigs[0]!.sb.rootAddress, 32))).failures).toEqual([]);
  }, 180_000);

  it("rolls back the same on a host without systemd (a detached sleeper), and a network update that moves the management address's route keeps the state it had", async () => {
    const r = await rig(false);
    const cut = await cuttingCreate(r);
    expect(cut.message).toMatch(/cut SSH access .*the host rolled the change back after 15 s \(rollback exit 0\)\. Nothing was changed\./);
    expect(cut.seconds).toBeLessThanOrEqual(T + 10);
    expect(await r.reachable()).toBe(true);
    expect(r.routes()).toBe("");
    // The management address's route moved by an update of the network (an inline route): it fails the same way, and
    // as the engine keeps the previous outputs, the next preview shows the same change again.
    const news = await checked(network, { ...r.netArgs, routes: [{ address: r.sb.rootAddress, prefix: 32, gateway: "10.77.0.2" }] });
    const started = performance.now();
    await expect(network.update(r.net.id, r.net.outs, news)).rejects.toThrow(/^updating bridge vnsa0 on .* cut SSH access \(the change: the route to .*\/32, which covers the SSH client .*\): .* the host rolled the change back after 15 s \(rollback exit 0\)\. Nothing was changed\.$/);
    expect((performance.now() - started) / 1000).toBeLessThanOrEqual(T + 10);
    expect(await r.reachable()).toBe(true);
    expect(r.routes()).toBe("");
    expect((await network.diff(r.net.id, r.net.outs, news)).changes).toBe(true);
    expect(r.leftovers()).toBe("");
  }, 120_000);

  it("confirms a risky change that does not cut, keeps it, and leaves no timer", async () => {
    const r = await rig(true);
    // A default route covers the client, but the host still reaches it through the more specific route of its link.
    const started = performance.now();
    const created = await staticRoute.create(await checked(staticRoute, r.route("0.0.0.0", 0)));
    console.log(`safe apply, a confirmed risky change took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(r.routes()).toMatch(/^default via 10\.77\.0\.2/m);
    expect(r.leftovers()).toBe("");
    await staticRoute.delete(created.id, created.outs);
  }, 60_000);

  it("writes autostart's boot script only once a risky change is confirmed: a rolled-back one leaves the old script", async () => {
    const r = await rig(true);
    const args = { connection: r.connection, bridge: { name: "vnsb0", stp: false }, ips: [{ address: "10.78.0.1", prefix: 24 }], autostart: true };
    let net = await network.create(await checked(network, args));
    const script = () => r.sb.execInNamespace(["cat", "/etc/virtnet/vnsb0.sh"]);
    const before = script();
    const cutting = await checked(network, { ...args, routes: [{ address: r.sb.rootAddress, prefix: 32, gateway: "10.78.0.2" }] });
    await expect(network.update(net.id, net.outs, cutting)).rejects.toThrow(/cut SSH access .* Nothing was changed\./);
    expect(script()).toBe(before);
    // A default route covers the client too, but does not cut: confirmed, and then the script has it.
    const kept = await checked(network, { ...args, routes: [{ address: "0.0.0.0", prefix: 0, gateway: "10.78.0.2" }] });
    net = { ...net, outs: (await network.update(net.id, net.outs, kept)).outs };
    expect(script()).toContain("route add default via 10.78.0.2");
    expect(net.outs.autostartDrift).toBeUndefined();
    expect(r.leftovers()).toBe("");
  }, 90_000);

  it("leaves a reachable host when the provider is killed between the change and its confirmation", async () => {
    const r = await rig(true);
    const child = spawn(path.join(__dirname, "../../node_modules/.bin/tsx"), [path.join(__dirname, "../support/safe-apply-child.ts")], {
      env: { ...process.env, VIRTNET_CHILD_ROUTE: JSON.stringify(r.route(r.sb.rootAddress, 32)) },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    const deadline = Date.now() + 30_000;
    while (!out.includes("applying") && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    // Killed once the route is in: the exec that applies it runs well within this second.
    for (let i = 0; i < 40 && r.routes() === ""; i++) await new Promise((res) => setTimeout(res, 100));
    expect(r.routes()).toMatch(/via 10\.77\.0\.2/);
    child.kill("SIGKILL");
    await new Promise((res) => setTimeout(res, (T + 5) * 1000));
    expect(await r.reachable()).toBe(true);
    expect(r.routes()).toBe("");
    expect(r.leftovers()).toBe("");
  }, 90_000);

  it("costs a change that is not risky no extra exec or job (the classification is pure, its facts ride in the observation)", async () => {
    const r = await rig(false);
    const count = async (confirmTimeoutSeconds: number, address: string) => {
      const inputs = await checked(staticRoute, { ...r.route(address, 24), connection: sandboxConnection(r.sb, { confirmTimeoutSeconds }) });
      const h = hostFor(knownConnection(inputs.connection as ConnectionInputs, "test"));
      const [execs, jobsBefore, before] = [h.stats.execs, h.stats.jobs, Date.now()];
      const created = await staticRoute.create(inputs);
      const used = h.stats.execs - execs;
      const jobs = h.stats.jobs - jobsBefore;
      await staticRoute.delete(created.id, created.outs);
      return { used, jobs, ms: Date.now() - before };
    };
    const [off, on] = [await count(0, "10.98.0.0"), await count(T, "10.97.0.0")];
    console.log(`a route that is not risky: ${off.used} execs (${off.jobs} jobs) with safe apply off, ${on.used} (${on.jobs}) with it on`);
    expect(off.used).toBeGreaterThan(0);
    expect(on).toMatchObject({ used: off.used, jobs: off.jobs });
  }, 60_000);
});
