// Turns a plan into one POSIX sh script (one exec), and reads back which step failed.
import { renderOperation } from "../iproute2/render-operation";
import { quoteArg, quoteArgv } from "../exec/quote";
import type { Operation, PlanStep } from "./operation";

export const FAILED_MARKER = "@@virtnet-failed";
export const APPLIED_MARKER = "@@virtnet-applied";

/** A script that runs each step in order and stops at the first failure, naming the step and its exit status. */
export function renderApplyScript(steps: readonly PlanStep[], afterwards = ""): string {
  const lines = steps.map((s, i) => renderLine(s.operation, `|| { printf '%s %d %d\\n' ${FAILED_MARKER} ${i} $? ; exit 1; }`));
  lines.push(`printf '%s\\n' ${APPLIED_MARKER}`);
  if (afterwards) lines.push(afterwards);
  return lines.join("\n") + "\n";
}

/** A best-effort script: every operation runs, failures are ignored (rollback and tc deletes, spec §5.1). */
export function renderBestEffortScript(operations: readonly Operation[]): string {
  return operations.map((o) => renderLine(o, "2>/dev/null || true")).join("\n") + "\n";
}

function renderLine(o: Operation, onFailure: string): string {
  const { argv, requiresPath, bestEffort } = renderOperation(o);
  const command = `${quoteArgv(argv)} ${bestEffort ? "2>/dev/null || true" : onFailure}`;
  return requiresPath ? `if [ -e ${quoteArg(requiresPath)} ]; then ${command}; fi` : command;
}

export interface ApplyOutcome {
  applied: boolean;
  /** Index of the step that failed, and its exit status. */
  failedStep?: number;
  exitCode?: number;
}

export function parseApplyOutput(stdout: string): ApplyOutcome {
  const failed = new RegExp(`^${FAILED_MARKER} (\\d+) (\\d+)$`, "m").exec(stdout);
  if (failed) return { applied: false, failedStep: Number(failed[1]), exitCode: Number(failed[2]) };
  return { applied: new RegExp(`^${APPLIED_MARKER}$`, "m").test(stdout) };
}
