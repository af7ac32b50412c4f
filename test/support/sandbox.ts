// Test support: a throwaway "remote Linux host" (network namespace + its own sshd on a veth pair),
// created and destroyed by scripts/sandbox.sh. Node built-ins only.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

export interface Sandbox {
  name: string;
  namespace: string;
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** Contents of privateKeyPath (read by this wrapper; the script never prints it). */
  privateKey: string;
  /** OpenSSH SHA256 fingerprint of the host key, e.g. "SHA256:abc…". */
  hostKey: string;
  /** One known_hosts line: "<host> <keytype> <base64>". */
  knownHosts: string;
  stateDir: string;
  rootAddress: string;
  sudoUser?: string;
  /** Runs `ip -n NS -j <args>` locally (not over SSH) and returns parsed JSON ([] on empty output). */
  ipJson(args: string[]): unknown;
  /** Runs a command inside the namespace locally (`ip netns exec NS ...`), returns stdout; throws with stderr on failure. */
  execInNamespace(argv: string[]): string;
  destroy(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Path of scripts/sandbox.sh, resolved relative to this file. */
export const SANDBOX_SCRIPT = path.join(REPO_ROOT, "scripts", "sandbox.sh");
const NAME_RE = /^vn-[0-9a-f]{6}$/;

/** Environment for child processes: make sure the sbin directories are searched (ip, sshd). */
function childEnv(): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? "").split(":").filter((d) => d !== "");
  for (const d of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    if (!dirs.includes(d)) dirs.push(d);
  }
  return { ...process.env, PATH: dirs.join(":") };
}

// ---- cleanup registry ------------------------------------------------------------------------

/** Sandboxes created by this process and not destroyed yet. */
const live = new Set<string>();
/** `sandbox.sh create` runs still in flight (killed on exit: the script's TERM trap cleans up). */
const inFlight = new Set<ChildProcess>();
let hooksInstalled = false;

function destroySync(name: string): void {
  spawnSync("bash", [SANDBOX_SCRIPT, "destroy", name], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 15_000,
  });
}

function cleanupAllSync(): void {
  for (const child of inFlight) {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  inFlight.clear();
  for (const name of [...live]) {
    live.delete(name);
    destroySync(name);
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", cleanupAllSync);
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanupAllSync();
    process.removeListener(signal, onSignal);
    // Keep the default "die on signal" behaviour unless someone else handles this signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

// ---- helpers ---------------------------------------------------------------------------------

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], track: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [SANDBOX_SCRIPT, ...args], {
      cwd: REPO_ROOT,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (track) inFlight.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      inFlight.delete(child);
      reject(e);
    });
    child.on("close", (code, signal) => {
      inFlight.delete(child);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

function describeExit(r: RunResult): string {
  return r.signal ? `signal ${r.signal}` : `exit code ${r.code}`;
}

function str(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== "string" || v === "") {
    throw new Error(`sandbox.sh create: field "${key}" missing or not a non-empty string`);
  }
  return v;
}

function ipBin(args: string[], what: string): string {
  const r = spawnSync("ip", args, { env: childEnv(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) {
    const how = r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
    throw new Error(`${what} failed (${how}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

// ---- public API ------------------------------------------------------------------------------

/** Creates a sandbox host (requires root). Registered for cleanup on exit/SIGINT/SIGTERM. */
export async function createSandbox(opts?: { sudoUser?: boolean }): Promise<Sandbox> {
  installExitHooks();
  const args = ["create"];
  if (opts?.sudoUser) args.push("--sudo-user");
  const r = await runScript(args, true);
  if (r.code !== 0) {
    throw new Error(`bash scripts/sandbox.sh ${args.join(" ")} failed (${describeExit(r)}):\n${r.stderr.trim()}`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`sandbox.sh create printed invalid JSON (${(e as Error).message}): ${r.stdout}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`sandbox.sh create did not print a JSON object: ${r.stdout}`);
  }
  const o = parsed as Record<string, unknown>;
  const name = str(o, "name");
  if (!NAME_RE.test(name)) throw new Error(`sandbox.sh create returned an unexpected name: ${name}`);
  // Registered before any further validation, so that a bad field still gets cleaned up.
  live.add(name);

  try {
    const namespace = str(o, "namespace");
    const port = o.port;
    if (typeof port !== "number" || !Number.isInteger(port)) throw new Error(`bad port: ${String(port)}`);
    const privateKeyPath = str(o, "privateKeyPath");
    const privateKey = readFileSync(privateKeyPath, "utf8");
    const sudoUser = o.sudoUser === undefined ? undefined : str(o, "sudoUser");

    let destroyed: Promise<void> | undefined;
    const sandbox: Sandbox = {
      name,
      namespace,
      host: str(o, "host"),
      port,
      user: str(o, "user"),
      privateKeyPath,
      privateKey,
      hostKey: str(o, "hostKey"),
      knownHosts: str(o, "knownHosts"),
      stateDir: str(o, "stateDir"),
      rootAddress: str(o, "rootAddress"),
      ...(sudoUser !== undefined ? { sudoUser } : {}),
      ipJson(ipArgs: string[]): unknown {
        const out = ipBin(["-n", namespace, "-j", ...ipArgs], `ip -n ${namespace} -j ${ipArgs.join(" ")}`);
        return out.trim() === "" ? [] : (JSON.parse(out) as unknown);
      },
      execInNamespace(argv: string[]): string {
        if (argv.length === 0) throw new Error("execInNamespace: empty argv");
        return ipBin(["netns", "exec", namespace, ...argv], `ip netns exec ${namespace} ${argv.join(" ")}`);
      },
      destroy(): Promise<void> {
        destroyed ??= (async () => {
          const d = await runScript(["destroy", name], false);
          if (d.code !== 0) {
            destroyed = undefined; // allow a retry
            throw new Error(`bash scripts/sandbox.sh destroy ${name} failed (${describeExit(d)}):\n${d.stderr.trim()}`);
          }
          live.delete(name);
        })();
        return destroyed;
      },
    };
    return sandbox;
  } catch (e) {
    live.delete(name);
    destroySync(name);
    throw e;
  }
}
