// Engine-faithful harness: temporary folders and plugin processes removed when the process ends, however it ends.
import { spawn, type ChildProcess } from "node:child_process";

// Test runners end their workers with SIGTERM (vitest does), which skips 'exit' handlers. So cleanup is delegated to a
// small detached watcher: when this process ends, however it ends, the watcher's stdin closes and it cleans up.
const WATCHER = `
const fs = require("fs");
const rm = new Set();
const kill = new Set();
let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf("\\n")) >= 0) {
    const task = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (task.rm) rm.add(task.rm);
    if (task.kill) kill.add(task.kill);
    if (task.forget) kill.delete(task.forget);
  }
});
const done = () => {
  for (const pid of kill) { try { process.kill(pid, "SIGKILL"); } catch {} }
  for (const dir of rm) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on("end", done);
process.stdin.on("error", done);
`;

let watcher: ChildProcess | undefined;

function send(task: { rm?: string; kill?: number; forget?: number }): void {
  if (!watcher) {
    watcher = spawn(process.execPath, ["-e", WATCHER], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    watcher.unref();
    (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  }
  watcher.stdin?.write(JSON.stringify(task) + "\n");
}

/** Deletes `dir` once this process has ended. */
export function removeOnExit(dir: string): void {
  send({ rm: dir });
}

/** Kills `pid` once this process has ended, unless `forgetPid` was called for it first. */
export function killOnExit(pid: number): void {
  send({ kill: pid });
}

/** The process ended on its own; its pid may be reused, so it must not be killed later. */
export function forgetPid(pid: number): void {
  send({ forget: pid });
}
