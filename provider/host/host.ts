// A managed host: observation and plan application over one batched remote shell.
import { Batcher } from "../exec/batcher";
import type { RemoteShell } from "../exec/remote-shell";
import { renderOperation } from "../iproute2/render-operation";
import { quoteArgv } from "../exec/quote";
import { trace, tracing } from "../exec/exec-trace";
import { OBSERVE_LOCK } from "../exec/detached-script";
import { parseApplyOutput, renderApplyScript } from "../plan/apply-script";
import type { Operation } from "../net/operation";
import { HostSnapshot, SNAPSHOT_SCRIPT } from "./snapshot";

/** A plan failed on the host. `rolledBack` says whether the steps that had run were undone. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly rolledBack: boolean,
  ) {
    super(message);
  }
}

/**
 * The connection failed while a plan was being applied. The host finishes or undoes the plan on its own (it runs
 * detached, docs/architecture.md §3.3); what exists is known only to the next observation.
 */
export class ApplyInterrupted extends Error {}

export class Host {
  private readonly batcher: Batcher;
  /** Names handed out by allocators but not yet created, so concurrent creates never pick the same one. */
  readonly reservedNames = new Set<string>();
  /** Names another process took while this one raced for them (kept out of later choices). */
  readonly takenNames = new Set<string>();
  /** Floor changes planned in this process and not yet applied, by bridge and class id (floor, or null: unplugged). */
  readonly floorLedger = new Map<string, Map<number, number | null>>();
  /** The last observation's output and its parse, shared by every resource that asked for it. */
  private parsed?: { stdout: string; snapshot: HostSnapshot };

  constructor(readonly shell: RemoteShell) {
    this.batcher = new Batcher(shell);
  }

  get label(): string {
    return this.shell.label;
  }

  get stats(): { execs: number; jobs: number } {
    return this.batcher.stats;
  }

  /** Runs a script of the provider's own (a probe) in the next batch. */
  run(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.batcher.submit(script);
  }

  /**
   * The host's state. Every resource of a wave shares one observation: identical scripts in a batch run once, an
   * observation runs after the batch's applies, and its output is parsed once.
   */
  async observe(): Promise<HostSnapshot> {
    const r = await this.batcher.submit(`${OBSERVE_LOCK}\n${SNAPSHOT_SCRIPT}\n`, "observe");
    if (r.code !== 0) throw new Error(`cannot read the network state of ${this.label}: ${r.stderr.trim() || `exit ${r.code}`}`);
    if (this.parsed?.stdout !== r.stdout) this.parsed = { stdout: r.stdout, snapshot: HostSnapshot.parse(r.stdout) };
    return this.parsed.snapshot;
  }

  /**
   * Runs the operations in order in one exec and observes the result in the same exec. If one fails, the script
   * undoes the ones before it on the host, and an ApplyError names the failing command, its stderr, and any undo
   * that failed too (never swallowed).
   */
  async apply(ops: readonly Operation[], what: string): Promise<HostSnapshot> {
    if (tracing()) trace({ event: "apply", host: this.label, commands: ops.map((o) => quoteArgv(renderOperation(o).argv)) });
    // The wave's observation rides in the same exec, after every apply of the batch.
    const observed = this.observe();
    observed.catch(() => undefined);
    const r = await this.batcher.submit(renderApplyScript(ops), "apply").catch((e: Error) => {
      throw new ApplyInterrupted(
        `${what} on ${this.label}: the connection failed during the apply (${e.message}); the host completes or undoes the change on its own. Run the update again: virtnet reads what exists and converges it`,
      );
    });
    const outcome = parseApplyOutput(r.stdout);
    if (outcome.applied && r.code === 0) return observed;
    const failed = outcome.failedStep !== undefined ? ops[outcome.failedStep] : undefined;
    const command = failed ? quoteArgv(renderOperation(failed).argv) : "the script";
    const stderr = r.stderr.trim() || "(no error output)";
    const before = failed ? outcome.failedStep! : 0;
    const rolledBack = outcome.undoFailures.length === 0;
    const undoText = outcome.undoFailures.map((u) => `\`${quoteArgv(renderOperation(ops[u.step]).argv)}\` (exit ${u.exitCode})`).join(", ");
    throw new ApplyError(
      `${what} on ${this.label}: \`${command}\` failed${outcome.exitCode !== undefined ? ` (exit ${outcome.exitCode})` : ""}: ${stderr}` +
        (before > 0 ? (rolledBack ? "; the steps before it were undone" : `; undoing these steps before it failed: ${undoText}`) : ""),
      rolledBack,
    );
  }
}
