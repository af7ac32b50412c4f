// The sandbox's sshd: a host key and a client key of its own, a self-contained sshd_config, and the daemon started
// in the sandbox's network namespace inside a private mount namespace (where the sudo user's files are bound).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { childEnv, findBin, run } from "./exec";
import type { Bind } from "./private-etc";

export const SSH_PORT = 22;

export interface SshdKeys {
  privateKeyPath: string;
  /** OpenSSH SHA256 fingerprint of the host key. */
  hostKey: string;
  /** One known_hosts line: "<host> <keytype> <base64>". */
  knownHosts: string;
}

export async function generateKeys(stateDir: string, name: string, host: string): Promise<SshdKeys> {
  const keygen = findBin("ssh-keygen", "openssh-client");
  const hostKeyPath = path.join(stateDir, "ssh_host_ed25519_key");
  const privateKeyPath = path.join(stateDir, "id_ed25519");
  await Promise.all([
    run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", `virtnet-sandbox-${name}-host`, "-f", hostKeyPath]),
    run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", `virtnet-sandbox-${name}-client`, "-f", privateKeyPath]),
  ]);
  copyFileSync(`${privateKeyPath}.pub`, path.join(stateDir, "authorized_keys"));
  chmodSync(path.join(stateDir, "authorized_keys"), 0o600);

  const [type, blob] = readFileSync(`${hostKeyPath}.pub`, "utf8").trim().split(/\s+/);
  if (type !== "ssh-ed25519" || !blob) throw new Error(`unexpected public key in ${hostKeyPath}.pub`);
  const knownHosts = `${host} ${type} ${blob}`;
  writeFileSync(path.join(stateDir, "known_hosts"), `${knownHosts}\n`);
  // What `ssh-keygen -lf` prints: unpadded base64 of the SHA-256 of the key blob.
  const hostKey = `SHA256:${createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "")}`;
  return { privateKeyPath, hostKey, knownHosts };
}

function sshdConfig(stateDir: string, name: string, host: string, sudoUser: string | undefined): string {
  const state = (file: string) => `"${path.join(stateDir, file)}"`;
  const lines = [
    `# sshd of sandbox ${name}. Self-contained: no Include of /etc/ssh, so the machine's settings do not leak in.`,
    `ListenAddress ${host}:${SSH_PORT}`,
    "AddressFamily inet",
    `HostKey ${state("ssh_host_ed25519_key")}`,
    `PidFile ${state("sshd.pid")}`,
    "LogLevel VERBOSE",
    "",
    "PermitRootLogin prohibit-password",
    `AllowUsers root${sudoUser ? ` ${sudoUser}` : ""}`,
    "PubkeyAuthentication yes",
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "HostbasedAuthentication no",
    "UsePAM no",
    "StrictModes no",
    `AuthorizedKeysFile ${state("authorized_keys")}`,
    "",
    "MaxSessions 64",
    "MaxStartups 100",
    "MaxAuthTries 10",
    "LoginGraceTime 30",
    "UseDNS no",
    "",
    "# Fast, non-interactive sessions: no motd/lastlog/banner, no user environment files, no forwarding of client env.",
    "# SHLVL=1 makes bash treat the sshd-spawned shell as nested, so Debian's bash does not source ~/.bashrc for",
    '# "ssh host cmd" (root\'s may be heavy, e.g. pyenv).',
    "PrintMotd no",
    "PrintLastLog no",
    "Banner none",
    "PermitUserEnvironment no",
    "X11Forwarding no",
    "AllowAgentForwarding no",
    "SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SHLVL=1",
    "Subsystem sftp internal-sftp",
  ];
  if (sudoUser) {
    lines.push(
      "",
      `# sshd reads AuthorizedKeysFile as the target user, and the 0700 root-owned state dir is not readable by`,
      `# ${sudoUser}, so its keys are served by a root-run command instead.`,
      `Match User ${sudoUser}`,
      `    AuthorizedKeysCommand ${findBin("cat", "coreutils")} ${state("authorized_keys")}`,
      "    AuthorizedKeysCommandUser root",
    );
  }
  return lines.join("\n") + "\n";
}

// Bind-mounts each SOURCE TARGET pair up to "--", then becomes the command after it: the only shell left, because a
// mount namespace lives only as long as a process in it, so the mounts and sshd must come from one process.
const BIND_THEN_EXEC = 'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit; shift 2; done; shift; exec "$@"';

/** Whether a TCP connection to host:port opens within `timeoutMs`. */
export function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

/** Starts the daemon and returns once it accepts TCP connections from the root namespace. */
export async function startSshd(stateDir: string, name: string, host: string, binds: Bind[], sudoUser: string | undefined): Promise<void> {
  const sshd = findBin("sshd", "openssh-server");
  const config = path.join(stateDir, "sshd_config");
  writeFileSync(config, sshdConfig(stateDir, name, host, sudoUser), { mode: 0o600 });
  // Privilege separation chroots into this directory; Debian creates it only when its own sshd service starts.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  const log = path.join(stateDir, "sshd.log");
  const logFd = openSync(log, "a", 0o600);
  const argv = [
    ...["ip", "netns", "exec", name, findBin("unshare", "util-linux"), "--mount", "--propagation", "private", "--"],
    ...["sh", "-c", BIND_THEN_EXEC, "sh", ...binds.flatMap((b) => [b.source, b.target]), "--"],
    ...[sshd, "-f", config, "-E", log],
  ];
  // sshd daemonizes: the command returns once the daemon has forked, with sshd's own start-up verdict.
  const exit = await new Promise<string | null>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: childEnv(), stdio: ["ignore", logFd, logFd] });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code === 0 ? null : signal ? `signal ${signal}` : `exit code ${code}`));
  }).finally(() => closeSync(logFd));
  const logText = () => readFileSync(log, "utf8").trim();
  if (exit !== null) throw new Error(`sshd failed to start in ${name} (${exit}); its log:\n${logText()}`);

  const deadline = Date.now() + 5_000;
  while (!(await tryConnect(host, SSH_PORT, 500))) {
    if (Date.now() > deadline) throw new Error(`sshd in ${name} did not accept connections on ${host}:${SSH_PORT} within 5s; its log:\n${logText()}`);
    await delay(20);
  }
}
