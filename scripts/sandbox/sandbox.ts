// A throwaway "remote Linux host" for the host tests, the demo and the benchmark: a network namespace reached from
// the root namespace over a veth pair, running its own sshd. Needs root.
//
// Layout of a sandbox named vn-<hex6>:
//   root namespace:        vnh-<hex6> with the first address of a /30 in 198.18.0.0/15
//   namespace vn-<hex6>:   lo (up), uplink0 with the /30's second address, sshd listening there on port 22
//   <os temp dir>/virtnet-sandbox-vn-<hex6> (0700): keys, sshd_config, pid file, log, the sudo user's private files,
//                          and while a process uses the sandbox, that process as "owner"
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dnsmasqPaths } from "../../provider/dnsmasq/dnsmasq-paths";
import { z } from "zod";
import { parseJsonOutput } from "../../provider/iproute2/parse-json";
import { allocateBlock } from "./address-pool";
import { findBin, run, runSync, sleepSync } from "./exec";
import { privateEtc, SUDO_USER } from "./private-etc";
import { generateKeys, SSH_PORT, startSshd } from "./sshd";

export const NAME_RE = /^vn-[0-9a-f]{6}$/;
const VETH_RE = /^vnh-[0-9a-f]{6}$/;
const STATE_DIR_RE = /^virtnet-sandbox-vn-[0-9a-f]{6}$/;
/** Serialises name, veth and address allocation across processes (addresses are checked, then added). */
const LOCK_FILE = "/run/virtnet-sandbox.lock";
const NS_IFACE = "uplink0";
/** What versions that added the sudo user to the machine itself left behind. */
const LEGACY_SUDOERS = "/etc/sudoers.d/virtnet-sandbox";

/** What `create` prints: how to reach the sandbox, and where its files are. */
export interface SandboxInfo {
  name: string;
  namespace: string;
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** OpenSSH SHA256 fingerprint of the host key, e.g. "SHA256:abc…". */
  hostKey: string;
  /** One known_hosts line: "<host> <keytype> <base64>". */
  knownHosts: string;
  stateDir: string;
  rootAddress: string;
  sudoUser?: string;
}

/** A sandbox owned by this process: destroyed when the process exits or is interrupted, if not before. */
export interface Sandbox extends SandboxInfo {
  /** Contents of privateKeyPath (never printed by the CLI). */
  privateKey: string;
  /** Runs `ip -n NS -j <args>` locally (not over SSH) and returns parsed JSON ([] on empty output). */
  ipJson(args: string[]): unknown;
  /** Runs a command inside the namespace locally (`ip netns exec NS ...`), returns stdout; throws with stderr on failure. */
  execInNamespace(argv: string[]): string;
  destroy(): Promise<void>;
}

export function stateDirFor(name: string): string {
  return path.join(os.tmpdir(), `virtnet-sandbox-${name}`);
}

function rootVethFor(name: string): string {
  return `vnh-${name.slice(3)}`;
}

function requireRoot(): void {
  const uid = process.getuid?.();
  if (uid !== 0) throw new Error(`must be run as root (network namespaces and sshd need it); current uid is ${uid}`);
}

function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

function linkExists(name: string): boolean {
  try {
    runSync(["ip", "link", "show", "dev", name]);
    return true;
  } catch {
    return false;
  }
}

// ---- ownership: which process is using a sandbox -------------------------------------------------------------

/** Sandboxes this process made and has not destroyed or handed over (a CLI create hands its sandbox to the caller). */
const owned = new Set<string>();
let hooksInstalled = false;

/** Start time of a process in clock ticks since boot: with the pid, it tells a live owner from a reused pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function ownerFile(name: string): string {
  return path.join(stateDirFor(name), "owner");
}

/** The live process using sandbox `name`, if any: `clean` leaves such sandboxes alone. */
function liveOwner(name: string): number | undefined {
  try {
    const [pid, start] = readFileSync(ownerFile(name), "utf8").trim().split(" ");
    return start !== undefined && startTime(Number(pid)) === start ? Number(pid) : undefined;
  } catch {
    return undefined;
  }
}

function destroyOwned(): void {
  for (const name of [...owned]) {
    owned.delete(name);
    try {
      destroySandbox(name);
    } catch (e) {
      process.stderr.write(`sandbox: could not destroy ${name}: ${(e as Error).message}\n`);
    }
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", destroyOwned);
  const onSignal = (signal: NodeJS.Signals): void => {
    destroyOwned();
    process.removeListener(signal, onSignal);
    // Keep the default "die on signal" behaviour unless someone else handles this signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
}

// ---- create --------------------------------------------------------------------------------------------------

/** Holds an exclusive flock on LOCK_FILE while `fn` runs; the kernel drops it if this process dies. */
async function withAllocationLock<T>(fn: () => Promise<T>): Promise<T> {
  const fd = openSync(LOCK_FILE, "a", 0o644);
  try {
    // flock(1) locks the open file description it inherits as fd 3, which stays ours after it exits.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(findBin("flock", "util-linux"), ["--wait", "30", "3"], { stdio: ["ignore", "ignore", "inherit", fd] });
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`timed out waiting 30s for ${LOCK_FILE}`))));
    });
    return await fn();
  } finally {
    closeSync(fd);
  }
}

/** Claims an unused name by creating its state dir (mkdir is atomic), marked as this process's. */
function reserveName(): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const name = `vn-${randomBytes(3).toString("hex")}`;
    if (netnsExists(name) || linkExists(rootVethFor(name))) continue; // leftovers of a run that lost its state dir
    try {
      mkdirSync(stateDirFor(name), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw e;
    }
    owned.add(name);
    chmodSync(stateDirFor(name), 0o700); // whatever the umask
    writeFileSync(ownerFile(name), `${process.pid} ${startTime(process.pid)}\n`);
    return name;
  }
  throw new Error(`no free sandbox name after 100 tries`);
}

/**
 * Creates a sandbox and leaves it in `owned`; on failure or interruption nothing of it is left. Asynchronous
 * throughout: under tsx, a process that does not take a signal within 30ms is killed outright, with no cleanup.
 */
async function createOwned(opts: { sudoUser?: boolean }): Promise<SandboxInfo> {
  requireRoot();
  // Missing tools are reported before anything is created.
  for (const [bin, pkg] of [["ip", "iproute2"], ["sshd", "openssh-server"], ["ssh-keygen", "openssh-client"], ["unshare", "util-linux"], ["flock", "util-linux"]]) findBin(bin!, pkg!);
  if (opts.sudoUser) findBin("sudo", "sudo");
  installExitHooks();

  const name = reserveName();
  try {
    const stateDir = stateDirFor(name);
    const veth = rootVethFor(name);
    const [rootAddress, host] = await withAllocationLock(async () => {
      await run(["ip", "netns", "add", name]);
      const block = await allocateBlock();
      await run(["ip", "-batch", "-"], `link add ${veth} type veth peer name ${NS_IFACE} netns ${name}\naddr add ${block[0]}/30 dev ${veth}\nlink set ${veth} up\n`);
      return block;
    });
    await run(["ip", "-n", name, "-batch", "-"], `link set lo up\naddr add ${host}/30 dev ${NS_IFACE}\nlink set ${NS_IFACE} up\n`);
    const keys = await generateKeys(stateDir, name, host);
    const sudoUser = opts.sudoUser ? SUDO_USER : undefined;
    await startSshd(stateDir, name, host, sudoUser ? privateEtc(stateDir, sudoUser) : [], sudoUser);
    return { name, namespace: name, host, port: SSH_PORT, user: "root", ...keys, stateDir, rootAddress, ...(sudoUser ? { sudoUser } : {}) };
  } catch (e) {
    owned.delete(name);
    destroySandbox(name);
    throw e;
  }
}

/** Creates a sandbox that outlives this process (what the CLI prints); `destroySandbox` removes it. */
export async function create(opts: { sudoUser?: boolean } = {}): Promise<SandboxInfo> {
  const info = await createOwned(opts);
  rmSync(ownerFile(info.name));
  owned.delete(info.name);
  return info;
}

/** Creates a sandbox for this process's own use: destroyed on exit, SIGINT, SIGTERM or SIGHUP if not before. */
export async function createSandbox(opts: { sudoUser?: boolean } = {}): Promise<Sandbox> {
  const info = await createOwned(opts);
  const { name, namespace } = info;
  return {
    ...info,
    privateKey: readFileSync(info.privateKeyPath, "utf8"),
    ipJson(args: string[]): unknown {
      const out = runSync(["ip", "-n", namespace, "-j", ...args]);
      return out.trim() === "" ? [] : (JSON.parse(out) as unknown);
    },
    execInNamespace(argv: string[]): string {
      if (argv.length === 0) throw new Error("execInNamespace: empty argv");
      return runSync(["ip", "netns", "exec", namespace, ...argv]);
    },
    async destroy(): Promise<void> {
      destroySandbox(name);
      owned.delete(name);
    },
  };
}

// ---- destroy, list, clean ------------------------------------------------------------------------------------

/** A process's command line with spaces for NULs: sshd's listener rewrites it to one string ("sshd: ... [listener] ..."). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return ""; // gone
  }
}

function pidsMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && commandLine(pid).includes(text));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Removes a sandbox: every process in its namespace (sshd and sessions), the namespace, the veth, the state dir. Idempotent. */
export function destroySandbox(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`refusing to destroy '${name}': sandbox names match ${NAME_RE.source}`);
  requireRoot();
  const stateDir = stateDirFor(name);
  // sshd can outlive its namespace's name (a half-finished destroy), so it is also found by its config path.
  for (const pid of pidsMentioning(`/virtnet-sandbox-${name}/sshd_config`)) signal(pid, "SIGTERM");

  if (netnsExists(name)) {
    removeDnsmasqFiles(name);
    for (let attempt = 0; attempt < 20; attempt++) {
      const pids = runSync(["ip", "netns", "pids", name]).split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
      if (pids.length === 0) break;
      for (const p of pids) signal(p, attempt < 14 ? "SIGTERM" : "SIGKILL");
      sleepSync(50);
    }
    try {
      runSync(["ip", "netns", "del", name]);
    } catch (e) {
      process.stderr.write(`sandbox: warning: could not delete network namespace ${name}: ${(e as Error).message}\n`);
    }
  }
  // Namespaces tests attach to the sandbox (guests, a WAN) are named after it and go with it.
  for (const satellite of satellitesOf(name)) {
    for (const p of runSync(["ip", "netns", "pids", satellite]).split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) signal(p, "SIGKILL");
    try {
      runSync(["ip", "netns", "del", satellite]);
    } catch (e) {
      process.stderr.write(`sandbox: warning: could not delete network namespace ${satellite}: ${(e as Error).message}\n`);
    }
  }
  // The kernel frees a deleted namespace, and with it the veth pair, in the background: delete the root side now so
  // that it is gone when destroy returns (it may vanish between the check and the delete).
  const veth = rootVethFor(name);
  try {
    if (linkExists(veth)) runSync(["ip", "link", "del", "dev", veth]);
  } catch (e) {
    if (linkExists(veth)) throw e;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * A sandbox host shares this machine's filesystem, so what virtnet's dnsmasq keeps there for the sandbox's bridges
 * (found by the bridges' names, and by the running dnsmasq's own --conf-file) would outlive the sandbox.
 */
function removeDnsmasqFiles(name: string): void {
  const bridges = new Set<string>();
  try {
    for (const l of parseJsonOutput(runSync(["ip", "-n", name, "-j", "link", "show"]), z.array(z.object({ ifname: z.string() }).passthrough()), "ip -j link show")) bridges.add(l.ifname);
  } catch {
    // the namespace is going anyway
  }
  for (const pid of runSync(["ip", "netns", "pids", name]).split("\n").filter((l) => /^\d+$/.test(l)).map(Number)) {
    const conf = /--conf-file=\S*\/([^/\s]+)\.conf/.exec(commandLine(pid));
    if (conf && commandLine(pid).startsWith("dnsmasq")) bridges.add(conf[1]!);
  }
  for (const bridge of bridges) {
    const p = dnsmasqPaths(bridge);
    for (const f of [p.conf, p.hostsfile, p.addnhosts, p.leases, p.pidFile, p.hostsDir]) rmSync(f, { recursive: true, force: true });
  }
}

/** Namespaces named `<sandbox>-…`: guests and WANs that tests attached to the sandbox. */
function satellitesOf(name: string): string[] {
  return parseJsonOutput(runSync(["ip", "-j", "netns", "list"]), z.array(z.object({ name: z.string() })), "ip -j netns list")
    .map((n) => n.name)
    .filter((n) => n.startsWith(`${name}-`));
}

/** Names of the sandboxes on this machine, whoever made them. */
export function listSandboxes(): string[] {
  const out = runSync(["ip", "-j", "netns", "list"]);
  return parseJsonOutput(out, z.array(z.object({ name: z.string() })), "ip -j netns list")
    .map((n) => n.name)
    .filter((n) => NAME_RE.test(n));
}

/**
 * Removes every sandbox on this machine that no live process is using (those made by the CLI, and leftovers of runs
 * that were killed), and what older versions wrote to /etc: a sudoers drop-in and the vnsudo user.
 */
export function clean(): { removed: string[]; kept: string[] } {
  requireRoot();
  const removed: string[] = [];
  const kept: string[] = [];
  // A sandbox may be down to any one of its parts, so names are gathered from all of them.
  const names = new Set(listSandboxes());
  const veths = parseJsonOutput(runSync(["ip", "-j", "link", "show", "type", "veth"]), z.array(z.object({ ifname: z.string() })), "ip -j link show type veth");
  for (const { ifname } of veths) if (VETH_RE.test(ifname)) names.add(`vn-${ifname.slice(4)}`);
  for (const entry of readdirSync(os.tmpdir())) if (STATE_DIR_RE.test(entry)) names.add(entry.slice("virtnet-sandbox-".length));
  for (const pid of pidsMentioning("/sshd_config")) {
    const m = /\/virtnet-sandbox-(vn-[0-9a-f]{6})\/sshd_config\b/.exec(commandLine(pid));
    if (m) names.add(m[1]!);
  }
  for (const name of [...names].sort()) {
    const owner = liveOwner(name);
    if (owner !== undefined) {
      kept.push(`sandbox ${name} (in use by process ${owner})`);
    } else {
      destroySandbox(name);
      removed.push(`sandbox ${name}`);
    }
  }
  if (existsSync(LEGACY_SUDOERS)) {
    rmSync(LEGACY_SUDOERS);
    removed.push(LEGACY_SUDOERS);
  }
  const hasLine = (file: string) => existsSync(file) && readFileSync(file, "utf8").split("\n").some((l) => l.startsWith(`${SUDO_USER}:`));
  if (hasLine("/etc/passwd")) {
    runSync(["userdel", "--remove", SUDO_USER]);
    removed.push(`user ${SUDO_USER} and its home`);
  }
  if (hasLine("/etc/group")) {
    runSync(["groupdel", SUDO_USER]);
    removed.push(`group ${SUDO_USER}`);
  }
  return { removed, kept };
}
