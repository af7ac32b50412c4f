// Optional accounting of SSH dials and execs, for the benchmark and for users diagnosing slow hosts.
// Set VIRTNET_TRACE_FILE to a path and every dial and exec appends one JSON line (no commands, no secrets).
import { appendFileSync } from "node:fs";

export type TraceEvent = { event: "dial"; host: string; ms: number } | { event: "exec"; host: string; ms: number };

export function trace(e: TraceEvent): void {
  const file = process.env.VIRTNET_TRACE_FILE;
  if (!file) return;
  try {
    appendFileSync(file, JSON.stringify({ ...e, pid: process.pid }) + "\n");
  } catch {
    // Tracing must never break an apply.
  }
}
