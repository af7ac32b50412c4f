// SSH hygiene against a real sshd: host keys fail closed, sudo works for non-root users, credentials never leak.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../../provider";
import { closeAllHosts } from "../../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../../support/sandbox";
import { sandboxConnection } from "../../support/network-args";

let sb: Sandbox;
let other: Sandbox;

beforeAll(async () => {
  [sb, other] = await Promise.all([createSandbox({ sudoUser: true }), createSandbox()]);
});
afterAll(async () => {
  closeAllHosts();
  await Promise.all([sb?.destroy(), other?.destroy()]);
});

async function createWith(connection: Record<string, unknown>, bridge: string) {
  const checked = await network.check({}, { connection, bridge: { name: bridge } });
  expect(checked.failures).toEqual([]);
  return network.create(checked.inputs);
}

function bridges(s: Sandbox): string[] {
  return (s.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).map((l) => l.ifname);
}

describe("SSH connection", () => {
  it("refuses a host whose key does not match, naming both fingerprints, and runs nothing", async () => {
    const err = await createWith(sandboxConnection(sb, { hostKey: other.hostKey }), "wrongkey0").catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/host key mismatch: the host presented SHA256:.* but connection.hostKey is SHA256:/);
    expect((err as Error).message).toContain(sb.hostKey);
    expect(bridges(sb)).not.toContain("wrongkey0");
  });

  it("verifies against known_hosts lines too", async () => {
    const ok = await createWith({ host: sb.host, privateKey: sb.privateKey, knownHosts: sb.knownHosts }, "known0");
    expect(bridges(sb)).toContain("known0");
    await network.delete(ok.id, ok.outs);
    const err = await createWith({ host: sb.host, privateKey: sb.privateKey, knownHosts: other.knownHosts }, "known1").catch((e: Error) => e);
    expect((err as Error).message).toMatch(/has no line for/);
  });

  it("reports refused credentials without repeating them", async () => {
    const err = (await createWith(sandboxConnection(sb, { privateKey: other.privateKey }), "badkey0").catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/authentication failed/);
    for (const s of [sb, other]) {
      for (const line of s.privateKey.split("\n").filter((l) => l.length > 20)) expect(err.message + err.stack).not.toContain(line);
    }
  });

  it("runs as a non-root user through sudo -n", async () => {
    const created = await createWith(sandboxConnection(sb, { user: sb.sudoUser, sudo: true }), "sudo0");
    expect(bridges(sb)).toContain("sudo0");
    await network.delete(created.id, created.outs);
    expect(bridges(sb)).not.toContain("sudo0");
  });

  it("fails clearly for a non-root user without sudo, leaving nothing behind", async () => {
    const err = (await createWith(sandboxConnection(sb, { user: sb.sudoUser }), "nosudo0").catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/creating bridge nosudo0 on .*: `ip link add name nosudo0 .*` failed .*Operation not permitted/);
    expect(bridges(sb)).not.toContain("nosudo0");
  });
});

describe("SSH authentication methods", () => {
  it("uses a passphrase-protected key, and names a wrong passphrase without repeating it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "virtnet-key-"));
    try {
      const keyFile = join(dir, "id");
      writeFileSync(keyFile, sb.privateKey, { mode: 0o600 });
      execFileSync("ssh-keygen", ["-p", "-q", "-N", "correct horse battery", "-f", keyFile]);
      const encrypted = readFileSync(keyFile, "utf8");
      const ok = await createWith(sandboxConnection(sb, { privateKey: encrypted, passphrase: "correct horse battery" }), "pass0");
      expect(bridges(sb)).toContain("pass0");
      await network.delete(ok.id, ok.outs);
      const err = (await createWith(sandboxConnection(sb, { privateKey: encrypted, passphrase: "wrong staple" }), "pass1").catch((e: Error) => e)) as Error;
      expect(err.message).toMatch(/cannot connect to .*credential could not be used/);
      expect(err.message + err.stack).not.toContain("wrong staple");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the keys of an ssh-agent given by its socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "virtnet-agent-"));
    const socket = join(dir, "agent.sock");
    const agent = spawnSync("ssh-agent", ["-a", socket], { encoding: "utf8" });
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
    expect(pid, agent.stderr).toBeDefined();
    try {
      const keyFile = join(dir, "id");
      writeFileSync(keyFile, sb.privateKey, { mode: 0o600 });
      execFileSync("ssh-add", ["-q", keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const created = await createWith({ host: sb.host, agentSocket: socket, hostKey: sb.hostKey }, "agent0");
      expect(bridges(sb)).toContain("agent0");
      await network.delete(created.id, created.outs);
    } finally {
      process.kill(Number(pid));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
