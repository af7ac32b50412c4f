// Turns a plan into one POSIX sh script (one exec) that applies the operations in order and, when one fails, undoes
// the ones before it on the host itself, newest first (docs/architecture.md §3.3), then reports what happened.
// Consecutive operations of one tool go through its -batch input: one process instead of one per command; consecutive
// best-effort deletes through one -force batch of their own.
import { renderBatchLine, renderOperation, type BatchLine } from "../iproute2/render-operation";
import { quoteArg, quoteArgv } from "../exec/quote";
import type { Operation } from "../net/operation";
import { rollbackInverses } from "./inverse";

export const FAILED_MARKER = "@@virtnet-failed";
export const APPLIED_MARKER = "@@virtnet-applied";
export const UNDO_FAILED_MARKER = "@@virtnet-undo-failed";

/**
 * A script that runs each operation in order and stops at the first failure, naming it and its exit status. The
 * undo runs in the same script, so it does not depend on the connection staying up.
 */
export function renderApplyScript(ops: readonly Operation[], afterwards = ""): string {
  const lines: string[] = [];
  const undoable = rollbackInverses(ops).map((inverse, i) => ({ i, inverse })).filter((u) => u.inverse.length > 0);
  if (undoable.length > 0) {
    // undo N: the inverses of operations 0..N-1, newest first, each inverse's own operations in their own order.
    lines.push("undo() {");
    for (const u of [...undoable].reverse()) {
      // An inverse undoes what this plan just did, so its failure is real even for a delete libvirt would ignore.
      const body = u.inverse.map((o) => renderLine(o, `|| printf '%s %d %d\\n' ${UNDO_FAILED_MARKER} ${u.i} $?`, true)).join("; ");
      lines.push(`  if [ "$1" -gt ${u.i} ]; then ${body}; fi`);
    }
    lines.push("  :", "}");
  } else {
    lines.push("undo() { :; }");
  }
  for (const run of runs(ops)) {
    if (run.batch === undefined || run.lines.length < 2) {
      for (let i = run.start; i < run.start + run.count; i++) lines.push(renderLine(ops[i], `|| { s=$?; printf '%s %d %d\\n' ${FAILED_MARKER} ${i} $s; undo ${i}; exit 1; }`));
      continue;
    }
    if (run.batch.bestEffort) {
      // Deletes whose failure is ignored, each line's as its own command's would be: -force runs every line.
      lines.push(`${run.batch.tool} -force -batch - 2>/dev/null <<'VIRTNET_BATCH' || true`, ...run.lines, "VIRTNET_BATCH");
      continue;
    }
    // -batch stops at the first failing line and names it ("Command failed -:N"): that is the failed operation.
    lines.push(
      `out=$(${run.batch.tool} -batch - 2>&1 <<'VIRTNET_BATCH'`,
      ...run.lines,
      "VIRTNET_BATCH",
      `) || { s=$?; n=$(printf '%s\\n' "$out" | sed -n 's/^Command failed -:\\([0-9][0-9]*\\)$/\\1/p' | head -n 1); i=$((${run.start} + \${n:-1} - 1)); printf '%s\\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\\n' ${FAILED_MARKER} "$i" "$s"; undo "$i"; exit 1; }`,
    );
  }
  lines.push(`printf '%s\\n' ${APPLIED_MARKER}`);
  if (afterwards) lines.push(afterwards);
  return lines.join("\n") + "\n";
}

/** The plan cut into runs of consecutive operations that can share one batch (or single others). */
function runs(ops: readonly Operation[]): { batch?: BatchLine; start: number; count: number; lines: string[] }[] {
  const out: { batch?: BatchLine; start: number; count: number; lines: string[] }[] = [];
  ops.forEach((o, i) => {
    const b = renderBatchLine(o);
    const last = out[out.length - 1];
    if (b && last?.batch?.key === b.key) {
      last.count++;
      last.lines.push(b.line);
    } else {
      out.push({ batch: b, start: i, count: 1, lines: b ? [b.line] : [] });
    }
  });
  return out;
}

function renderLine(o: Operation, onFailure: string, strict = false): string {
  const { argv, requiresPath, bestEffort } = renderOperation(o);
  const command = `${quoteArgv(argv)} ${bestEffort && !strict ? "2>/dev/null || true" : onFailure}`;
  return requiresPath ? `if [ -e ${quoteArg(requiresPath)} ]; then ${command}; fi` : command;
}

export interface ApplyOutcome {
  applied: boolean;
  /** Index of the operation that failed, and its exit status. */
  failedStep?: number;
  exitCode?: number;
  /** Operations whose undo failed (by index), each with the failing inverse's exit status. */
  undoFailures: { step: number; exitCode: number }[];
}

export function parseApplyOutput(stdout: string): ApplyOutcome {
  const undoFailures = [...stdout.matchAll(new RegExp(`^${UNDO_FAILED_MARKER} (\\d+) (\\d+)$`, "gm"))].map((m) => ({ step: Number(m[1]), exitCode: Number(m[2]) }));
  const failed = new RegExp(`^${FAILED_MARKER} (\\d+) (\\d+)$`, "m").exec(stdout);
  if (failed) return { applied: false, failedStep: Number(failed[1]), exitCode: Number(failed[2]), undoFailures };
  return { applied: new RegExp(`^${APPLIED_MARKER}$`, "m").test(stdout), undoFailures };
}
