// A managed host: observation and plan application over one batched remote shell.
import { Batcher } from "../exec/batcher";
import type { ExecResult, RemoteShell } from "../exec/remote-shell";
import { renderOperation } from "../iproute2/render-operation";
import { quoteArgv } from "../exec/quote";
import { trace, tracing } from "../exec/exec-trace";
import { OBSERVE_LOCK } from "../exec/detached-script";
import { parseApplyOutput, renderApplyScript } from "../plan/apply-script";
import { mergePlans } from "../plan/merge-plans";
import type { Operation } from "../net/operation";
import { HostSnapshot, SNAPSHOT_SCRIPT } from "./snapshot";
import { randomBytes } from "node:crypto";
import { riskOf } from "../plan/risk";
import { isBootArtefact, parseConfirm, renderArmedApply, renderConfirm, TX_BUSY_MARKER, type ConfirmOutcome } from "../plan/safe-apply";
import type { SshAccess } from "../iproute2/parse-ssh-access";

/** How safe apply reaches the host again: a new connection each time (docs/architecture.md §3.9). */
export interface SafeApplyOptions {
  /** 0: off. */
  confirmTimeoutSeconds: number;
  dial?: () => RemoteShell;
}

/** The observation script, under the shared lock (it waits for any apply in progress). */
const OBSERVE = `${OBSERVE_LOCK}\n${SNAPSHOT_SCRIPT}\n`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

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
  private readonly batcher: Batcher<readonly Operation[]>;
  /** Names handed out by allocators but not yet created, so concurrent creates never pick the same one. */
  readonly reservedNames = new Set<string>();
  /** Names another process took while this one raced for them (kept out of later choices). */
  readonly takenNames = new Set<string>();
  /** Floor changes planned in this process and not yet applied, by bridge and class id (floor, or null: unplugged). */
  readonly floorLedger = new Map<string, Map<number, number | null>>();
  /** The last observation's output and its parse, shared by every resource that asked for it. */
  private parsed?: { stdout: string; snapshot: HostSnapshot };

  constructor(
    readonly shell: RemoteShell,
    private readonly safety: SafeApplyOptions = { confirmTimeoutSeconds: 0 },
  ) {
    // A wave's plans are applied as one merged plan where that is the same as applying them one after another.
    this.batcher = new Batcher(shell, (plans) => renderApplyScript(mergePlans(plans)));
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
   * The host's state, to plan from. Every resource of a wave shares one observation: identical scripts in a batch run
   * once, an observation runs after the batch's applies, and its output is parsed once. While an exec is in flight,
   * its observation serves (it follows every apply this process has been told of), not the next exec's.
   */
  async observe(): Promise<HostSnapshot> {
    return this.snapshotOf(await (this.batcher.running(OBSERVE) ?? this.batcher.submit(OBSERVE, "observe")));
  }

  /** An observation in the next exec: after an apply submitted with it, or after a confirmation. */
  private async observeNext(): Promise<HostSnapshot> {
    return this.snapshotOf(await this.batcher.submit(OBSERVE, "observe"));
  }

  private snapshotOf(r: ExecResult): HostSnapshot {
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
    // A plan that can cut this connection arms a dead-man switch; any other applies directly, at no extra cost.
    const access = this.parsed?.snapshot.access;
    const risk = this.safety.confirmTimeoutSeconds > 0 && this.safety.dial ? riskOf(ops, access) : undefined;
    if (risk) return this.safeApply(ops, what, risk, access!);
    // The wave's observation rides in the same exec, after every apply of the batch.
    const observed = this.observeNext();
    observed.catch(() => undefined);
    const r = await this.batcher.submit(renderApplyScript(ops), "apply", ops).catch((e: Error) => {
      throw new ApplyInterrupted(
        `${what} on ${this.label}: the connection failed during the apply (${e.message}); the host completes or undoes the change on its own. Run the update again: virtnet reads what exists and converges it`,
      );
    });
    return this.outcome(ops, what, r, observed);
  }

  /** The snapshot after a successful apply, or the ApplyError that names the failed step and the undo. */
  private outcome(ops: readonly Operation[], what: string, r: { code: number; stdout: string; stderr: string }, observed: Promise<HostSnapshot>): Promise<HostSnapshot> {
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

  /**
   * Safe apply (docs/architecture.md §3.9): arm, apply, then confirm over a new connection before the window closes.
   * When no new connection gets through, the host's timer rolls the change back; virtnet waits for it, reads its
   * result over a new connection and fails, naming the change, so that the state keeps what was there before.
   */
  private async safeApply(ops: readonly Operation[], what: string, risk: string, access: SshAccess): Promise<HostSnapshot> {
    const timeout = this.safety.confirmTimeoutSeconds;
    const tx = { id: randomBytes(8).toString("hex"), timeoutSeconds: timeout };
    const armed = Date.now();
    if (tracing()) trace({ event: "safe-apply", host: this.label, tx: tx.id, risk });
    // The boot artefacts wait for the confirmation: a reboot inside the window must boot what was there before.
    const later = ops.filter(isBootArtefact);
    const now = ops.filter((o) => !isBootArtefact(o));
    const exec = this.batcher.submit(renderArmedApply(now, tx), "apply").then(
      (r) => ({ r }),
      (e: Error) => ({ e }),
    );
    // The reply may never come back over a connection the change cut: wait for it only part of the window.
    const first = await Promise.race([exec, sleep(Math.min(10_000, (timeout * 1000) / 3)).then(() => undefined)]);
    if (first && "r" in first) {
      const busy = new RegExp(`^${TX_BUSY_MARKER} (\\S+)$`, "m").exec(first.r.stdout);
      if (busy) throw new ApplyError(`${what} on ${this.label}: another virtnet safe-apply transaction (${busy[1]}) is pending on ${this.label}; run again once it is confirmed or rolled back (at most ${timeout} s)`, true);
      if (first.r.code !== 0) return this.outcome(now, what, first.r, Promise.resolve(this.parsed!.snapshot));
    } else {
      // Cut or stuck: the pooled connection is no use any more; the next exec dials again.
      this.shell.close();
    }
    const confirmation = await this.confirmBefore(tx.id, armed + (timeout - 10) * 1000, later);
    if (confirmation?.kind === "confirmed") {
      if (confirmation.afterFailed) throw new ApplyError(`${what} on ${this.label}: the change was confirmed, but writing its autostart files failed (they were undone); run again`, true);
      return this.observeNext();
    }
    if (confirmation?.kind === "gone") {
      throw new ApplyError(`${what} on ${this.label}: the connection was lost before the apply reported, and the host had already undone it (the change: ${risk}); run again`, true);
    }
    const cut = `${what} on ${this.label} cut SSH access (the change: ${risk}): no new connection from ${access.client}${access.dev ? ` (via dev ${access.dev})` : ""} succeeded within ${timeout} s`;
    // The host's timer fires at the window's end; its rollback takes a moment.
    const report = confirmation ?? (await sleep(armed + timeout * 1000 + 2_000 - Date.now()), await this.confirmBefore(tx.id, Date.now() + 60_000));
    if (!report || report.kind !== "rolledBack") {
      throw new ApplyError(`${cut}; virtnet cannot reach ${this.label} after the rollback either; check its console (log: /run/virtnet/tx/${tx.id}/rollback.log)`, false);
    }
    const exitText = report.exit === "0" ? "rollback exit 0" : `rollback exit ${report.exit}: ${report.log.split("\n").slice(-5).join("; ")}`;
    throw new ApplyError(`${cut}; the host rolled the change back after ${timeout} s (${exitText}). Nothing was changed.`, report.exit === "0");
  }

  /** Confirms (or reads the rollback) over new connections, retried until `deadline`; undefined if none got through. */
  private async confirmBefore(id: string, deadline: number, after: readonly Operation[] = []): Promise<ConfirmOutcome | undefined> {
    do {
      const started = Date.now();
      const shell = this.safety.dial!();
      try {
        const r = await shell.run(renderConfirm(id, after));
        const outcome = parseConfirm(r.stdout);
        if (outcome) return outcome;
      } catch {
        // Not through yet: the next attempt is a new connection too.
      } finally {
        shell.close();
      }
      await sleep(1_000 - (Date.now() - started));
    } while (Date.now() < deadline);
    return undefined;
  }
}
