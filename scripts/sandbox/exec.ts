// Running the local tools the sandbox is built from (ip, sshd, ssh-keygen, unshare, flock), with errors that say
// which command failed and what it printed.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import * as path from "node:path";

// Tests and npm scripts often run with a user's PATH, which on Debian leaves out the sbin directories.
const SEARCH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function childEnv(): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? "").split(":").filter((d) => d !== "");
  for (const d of SEARCH_DIRS) if (!dirs.includes(d)) dirs.push(d);
  return { ...process.env, PATH: dirs.join(":") };
}

/** Absolute path of a tool (sshd refuses to re-exec itself from a relative path), or an error naming the package. */
export function findBin(name: string, debianPackage: string): string {
  for (const dir of (childEnv().PATH ?? "").split(":")) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} is not installed (apt-get install ${debianPackage}; scripts/setup.sh installs it)`);
}

function failure(argv: readonly string[], status: number | null, signal: NodeJS.Signals | null, stderr: string): Error {
  const how = signal ? `signal ${signal}` : `exit code ${status}`;
  return new Error(`\`${argv.join(" ")}\` failed (${how}): ${stderr.trim()}`);
}

/** Runs a command to completion and returns its stdout; synchronous so that exit and signal handlers can use it. */
export function runSync(argv: readonly string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { env: childEnv(), input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
  if (r.error) throw new Error(`\`${argv.join(" ")}\` could not run: ${r.error.message}`);
  if (r.status !== 0) throw failure(argv, r.status, r.signal, r.stderr);
  return r.stdout;
}

/** Runs a command without blocking the event loop (parallel creates overlap their key generation and waits). */
export function run(argv: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: childEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`\`${argv.join(" ")}\` could not run: ${e.message}`)));
    child.on("close", (status, signal) => {
      if (status === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(failure(argv, status, signal, Buffer.concat(err).toString("utf8")));
    });
    // A child that exits without reading its input is reported by its exit status, not by EPIPE.
    child.stdin.on("error", () => undefined).end(input);
  });
}

/** Blocks the thread: destroy must also work inside process "exit" handlers, where nothing asynchronous runs. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
