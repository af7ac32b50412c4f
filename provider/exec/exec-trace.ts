// Optional accounting of SSH dials and execs, for the benchmark and for users diagnosing slow hosts.
// Set VIRTNET_TRACE_FILE to a path and every dial, exec and apply appends one JSON line (timings, and the kernel commands
// of each apply; never a script, a credential or an output). Each line carries its time, `at` (ms since the epoch, when
// it was written: an exec's end), so that waves and idle gaps between execs show.
import { appendFileSync } from "node:fs";

export type TraceEvent =
  | { event: "dial"; host: string; ms: number }
  | { event: "exec"; host: string; ms: number }
  /** The kernel commands of one apply (argv only: no credentials ever reach a command line), for the benchmark. */
  | { event: "apply"; host: string; commands: string[] }
  // A risky plan armed safe apply's dead-man switch (docs/architecture.md §3.9).
  | { event: "safe-apply"; host: string; tx: string; risk: string };

/** Whether tracing is on: events that cost something to describe are only built then. */
export function tracing(): boolean {
  return Boolean(process.env.VIRTNET_TRACE_FILE);
}

export function trace(e: TraceEvent): void {
  const file = process.env.VIRTNET_TRACE_FILE;
  if (!file) return;
  try {
    appendFileSync(file, JSON.stringify({ ...e, pid: process.pid, at: Date.now() }) + "\n");
  } catch {
    // Tracing must never break an apply.
  }
}
