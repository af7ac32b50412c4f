// Host test of the sandbox host itself (scripts/sandbox, through its API and its CLI).
// Needs root; never skipped: without root the first test fails with an explicit message.
import { describe, it, expect, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createSandbox, SANDBOX_CLI, type Sandbox } from "../support/sandbox";

const NAME_RE = /^vn-[0-9a-f]{6}$/;

const created: Sandbox[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), "virtnet-sandbox-test-"));

afterAll(async () => {
  const errors: unknown[] = [];
  for (const sb of created) {
    try {
      await sb.destroy();
    } catch (e) {
      errors.push(e);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  if (errors.length > 0) throw errors[0];
});

function sh(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cli(...args: string[]) {
  return sh(SANDBOX_CLI[0], [...SANDBOX_CLI.slice(1), ...args]);
}

let khCounter = 0;
function knownHostsFile(line: string): string {
  const file = path.join(tmp, `known_hosts.${khCounter++}`);
  writeFileSync(file, line + "\n");
  return file;
}

/** ssh with strict host key checking against a known_hosts file holding only `knownHostsLine`. */
function ssh(sb: Pick<Sandbox, "privateKeyPath" | "port" | "host" | "user">, knownHostsLine: string, remoteCommand: string, user = sb.user) {
  return sh("ssh", [
    "-F", "/dev/null",
    "-i", sb.privateKeyPath,
    "-o", "IdentitiesOnly=yes",
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${knownHostsFile(knownHostsLine)}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "ConnectTimeout=5",
    "-o", "LogLevel=ERROR",
    "-p", String(sb.port),
    `${user}@${sb.host}`,
    remoteCommand,
  ]);
}

function ipv4ToInt(a: string): number {
  const p = a.split(".").map(Number);
  expect(p).toHaveLength(4);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function netnsNames(): string[] {
  const r = sh("ip", ["-j", "netns", "list"]);
  expect(r.status, r.stderr).toBe(0);
  if (r.stdout.trim() === "") return [];
  return (JSON.parse(r.stdout) as Array<{ name: string }>).map((n) => n.name);
}

function linkExists(name: string): boolean {
  return sh("ip", ["link", "show", "dev", name]).status === 0;
}

function processRunning(pid: number): boolean {
  // A killed daemon may linger as a zombie until PID 1 reaps it: that is not "running".
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line mentions `text` (sshd's listener shows its config path). */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text) && processRunning(pid);
      } catch {
        return false;
      }
    });
}

/** What a sudo user added to the machine would change: sudoers drop-ins, passwd-style lines, /etc/netns, homes. */
function machineAccounts() {
  const listing = (dir: string) =>
    existsSync(dir)
      ? [".", ...readdirSync(dir).sort()].map((f) => {
          const st = lstatSync(path.join(dir, f));
          return `${f} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${st.ctimeMs}`;
        })
      : "absent";
  const vnsudoLines = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"].flatMap((f) =>
    existsSync(f) ? readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("vnsudo:")).map((l) => `${f}: ${l}`) : [],
  );
  return { sudoersD: listing("/etc/sudoers.d"), netns: listing("/etc/netns"), home: listing("/home"), vnsudoLines };
}

describe("sandbox host", () => {
  it("runs as root (the sandbox needs network namespaces)", () => {
    expect(process.getuid?.(), "host tests must run as root: run them with sudo / as root").toBe(0);
  });

  let a: Sandbox;
  let b: Sandbox;

  it("creates two sandboxes in parallel with distinct names, interfaces and addresses", async () => {
    const results = await Promise.allSettled([createSandbox(), createSandbox()]);
    for (const r of results) if (r.status === "fulfilled") created.push(r.value);
    for (const r of results) if (r.status === "rejected") throw r.reason;
    [a, b] = created as [Sandbox, Sandbox];

    for (const sb of [a, b]) {
      expect(sb.name).toMatch(NAME_RE);
      expect(sb.namespace).toBe(sb.name);
      expect(sb.port).toBe(22);
      expect(sb.user).toBe("root");
      expect(sb.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(sb.knownHosts).toMatch(new RegExp(`^${sb.host.replace(/\./g, "\\.")} ssh-ed25519 AAAA[A-Za-z0-9+/=]+$`));
      expect(sb.privateKey).toContain("BEGIN OPENSSH PRIVATE KEY");
      expect(readFileSync(sb.privateKeyPath, "utf8")).toBe(sb.privateKey);
      expect(sb.sudoUser).toBeUndefined();
      expect(statSync(sb.stateDir).mode & 0o777).toBe(0o700);
      expect(path.basename(sb.stateDir)).toBe(`virtnet-sandbox-${sb.name}`);

      // A /30 inside 198.18.0.0/15: root side = first usable, namespace side = second.
      const root = ipv4ToInt(sb.rootAddress);
      const host = ipv4ToInt(sb.host);
      expect(root >>> 17).toBe(ipv4ToInt("198.18.0.0") >>> 17);
      expect(root & 3).toBe(1);
      expect(host).toBe(root + 1);
      expect(netnsNames()).toContain(sb.name);
      expect(linkExists(`vnh-${sb.name.slice(3)}`)).toBe(true);
    }
    expect(a.name).not.toBe(b.name);
    expect(a.stateDir).not.toBe(b.stateDir);
    expect(a.hostKey).not.toBe(b.hostKey);
    expect(ipv4ToInt(a.rootAddress) >>> 2).not.toBe(ipv4ToInt(b.rootAddress) >>> 2);

    const listed = cli("list");
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.split("\n")).toEqual(expect.arrayContaining([a.name, b.name]));
  });

  it("namespace starts with only lo and uplink0, no bridges", () => {
    for (const sb of [a, b]) {
      expect(sb.ipJson(["link", "show", "type", "bridge"])).toEqual([]);
      const links = sb.ipJson(["link", "show"]) as Array<{ ifname: string; flags: string[] }>;
      expect(links.map((l) => l.ifname).sort()).toEqual(["lo", "uplink0"]);
      for (const l of links) expect(l.flags).toContain("UP");
      const addrs = sb.ipJson(["-4", "addr", "show", "dev", "uplink0"]) as Array<{
        addr_info: Array<{ local: string; prefixlen: number }>;
      }>;
      expect(addrs[0]?.addr_info.map((i) => `${i.local}/${i.prefixlen}`)).toEqual([`${sb.host}/30`]);
      expect(sb.execInNamespace(["ip", "-br", "link"])).toMatch(/^uplink0\b/m);
    }
  });

  it("hostKey is the ssh-keygen -lf fingerprint of the host key and of the known_hosts line", () => {
    for (const sb of [a, b]) {
      const fromPub = sh("ssh-keygen", ["-lf", path.join(sb.stateDir, "ssh_host_ed25519_key.pub")]);
      expect(fromPub.status, fromPub.stderr).toBe(0);
      expect(fromPub.stdout.split(/\s+/)[1]).toBe(sb.hostKey);
      const fromKnownHosts = sh("ssh-keygen", ["-lf", knownHostsFile(sb.knownHosts)]);
      expect(fromKnownHosts.status, fromKnownHosts.stderr).toBe(0);
      expect(fromKnownHosts.stdout.split(/\s+/)[1]).toBe(sb.hostKey);
    }
  });

  it("ssh with StrictHostKeyChecking=yes and the printed known_hosts line succeeds", () => {
    for (const sb of [a, b]) {
      const r = ssh(sb, sb.knownHosts, "true");
      expect(r.status, r.stderr).toBe(0);
    }
    // Control: the same host with the *other* sandbox's host key must be rejected.
    const wrongLine = `${a.host} ${b.knownHosts.split(" ").slice(1).join(" ")}`;
    const bad = ssh(a, wrongLine, "true");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it("commands over ssh run inside the namespace, not the root namespace", () => {
    const r = ssh(a, a.knownHosts, "ip -br link; echo ---; ip -br -4 addr");
    expect(r.status, r.stderr).toBe(0);
    const [links = "", addrs = ""] = r.stdout.split("---\n");
    const names = links
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[0]!.replace(/@.*$/, ""));
    expect(names.sort()).toEqual(["lo", "uplink0"]);
    expect(addrs).toContain(`${a.host}/30`);
    expect(addrs).not.toContain(a.rootAddress);
    // The root namespace, by contrast, has a's root-side veth.
    const rootLinks = sh("ip", ["-br", "link"]);
    expect(rootLinks.stdout).toContain(`vnh-${a.name.slice(3)}`);
    expect(r.stdout).not.toContain("vnh-");
  });

  it("--sudo-user: vnsudo logs in with the same key and has passwordless sudo", async () => {
    const sb = await createSandbox({ sudoUser: true });
    created.push(sb);
    expect(sb.sudoUser).toBe("vnsudo");
    const r = ssh(sb, sb.knownHosts, "id -un; sudo -n id -u; sudo -n ip -br link", "vnsudo");
    expect(r.status, r.stderr).toBe(0);
    const [who, sudoUid, ...links] = r.stdout.trim().split("\n");
    expect(who).toBe("vnsudo");
    expect(sudoUid).toBe("0");
    expect(links.join("\n")).toMatch(/^uplink0\b/m);
    // Sandboxes without --sudo-user do not let vnsudo in.
    expect(ssh(a, a.knownHosts, "true", "vnsudo").status).not.toBe(0);
  });

  it("create prints exactly one JSON object and never the private key", () => {
    const r = cli("create");
    expect(r.status, r.stderr).toBe(0);
    const obj = JSON.parse(r.stdout) as Record<string, unknown>;
    try {
      expect(r.stdout.trim().split("\n")).toHaveLength(1);
      expect(Object.keys(obj).sort()).toEqual(
        ["name", "namespace", "host", "port", "user", "privateKeyPath", "hostKey", "knownHosts", "stateDir", "rootAddress"].sort(),
      );
      expect(r.stdout).not.toContain("PRIVATE KEY");
    } finally {
      const d = cli("destroy", String(obj.name));
      expect(d.status, d.stderr).toBe(0);
    }
    expect(netnsNames()).not.toContain(String(obj.name));
  });

  it("create --sudo-user writes nothing to the machine's /etc, and destroy leaves nothing behind", () => {
    const before = machineAccounts();
    expect(before.vnsudoLines, "an older version added vnsudo to this machine: run `npm run sandbox -- clean`").toEqual([]);
    const r = cli("create", "--sudo-user");
    expect(r.status, r.stderr).toBe(0);
    const sb = JSON.parse(r.stdout) as Omit<Sandbox, "privateKey">;
    let sshdPid = NaN;
    try {
      expect(sb.sudoUser).toBe("vnsudo");
      sshdPid = Number(readFileSync(path.join(sb.stateDir, "sshd.pid"), "utf8").trim());
      // Inside the sandbox (its sshd's mount namespace) the user and its sudoers rule exist; on the machine they do not.
      const inside = ssh(sb, sb.knownHosts, "getent passwd vnsudo; sudo -n cat /etc/sudoers.d/virtnet-sandbox; sudo -n id -u", "vnsudo");
      expect(inside.status, inside.stderr).toBe(0);
      expect(inside.stdout).toMatch(/^vnsudo:x:\d+:\d+::\/home\/vnsudo:\/bin\/sh\nvnsudo ALL=\(ALL\) NOPASSWD: ALL\n0\n$/);
      expect(sh("getent", ["passwd", "vnsudo"]).status).not.toBe(0);
      expect(machineAccounts()).toEqual(before);
    } finally {
      const d = cli("destroy", sb.name);
      expect(d.status, d.stderr).toBe(0);
    }
    expect(machineAccounts()).toEqual(before);
    expect(netnsNames()).not.toContain(sb.name);
    expect(linkExists(`vnh-${sb.name.slice(3)}`)).toBe(false);
    expect(existsSync(sb.stateDir)).toBe(false);
    expect(readdirSync(os.tmpdir()).filter((e) => e.includes(sb.name))).toEqual([]);
    expect(processRunning(sshdPid)).toBe(false);
    expect(processesMentioning(sb.stateDir)).toEqual([]);
  });

  it("destroy removes namespace, veth, sshd and state dir, and is idempotent", async () => {
    const pid = Number(readFileSync(path.join(a.stateDir, "sshd.pid"), "utf8").trim());
    expect(processRunning(pid)).toBe(true);

    await a.destroy();

    expect(netnsNames()).not.toContain(a.name);
    expect(cli("list").stdout.split("\n")).not.toContain(a.name);
    expect(existsSync(a.stateDir)).toBe(false);
    expect(linkExists(`vnh-${a.name.slice(3)}`)).toBe(false);
    expect(processRunning(pid)).toBe(false);
    // The other sandbox is untouched.
    expect(netnsNames()).toContain(b.name);
    expect(ssh(b, b.knownHosts, "true").status).toBe(0);

    // Destroying again (through the wrapper and the CLI) succeeds.
    await a.destroy();
    const again = cli("destroy", a.name);
    expect(again.status, again.stderr).toBe(0);
  });

  it("destroy rejects malformed names", () => {
    for (const bad of ["vn-12345", "vn-ABCDEF", "vn-1234567", "foo", "vn-abcdeg", "../vn-abcdef", "vn-abcdef;true", ""]) {
      const r = cli("destroy", bad);
      expect(r.status, `destroy ${JSON.stringify(bad)}`).not.toBe(0);
      expect(r.stderr).toMatch(/refusing|usage/);
    }
  });
});
