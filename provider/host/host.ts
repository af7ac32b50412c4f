// A managed host: observation and plan application over one batched remote shell.
import { Batcher } from "../exec/batcher";
import type { ExecResult, RemoteShell } from "../exec/remote-shell";
import { renderOperation } from "../iproute2/render-operation";
import { quoteArgv } from "../exec/quote";
import { trace, tracing } from "../exec/exec-trace";
import { observePrefix } from "../exec/detached-script";
import { parseApplyOutput, renderApplyScript } from "../plan/apply-script";
import { mergePlans } from "../plan/merge-plans";
import type { Operation } from "../net/operation";
import { HostSnapshot } from "./snapshot";
import { renderReadBack } from "../iproute2/observe-script";
import { readAll, readBackOf, widenReadBack, type ReadBack } from "../net/read-back";
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

/** An observation or read-back script, under the shared lock (it waits for any apply in progress). */
const observationScript = (back: ReadBack) => `${observePrefix(back.all)}\n${renderReadBack(back)}\n`;

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
  /** The newest snapshot, and the exec result it was parsed or patched from (each result is parsed once). */
  private current?: { from: ExecResult; snapshot: HostSnapshot };
  /** The observation of the next exec, shared and widened by everyone who asks before that exec starts. */
  private next?: { back: ReadBack; result: Promise<ExecResult> };
  /** The observation of the exec in flight, and whether it reads everything. */
  private running?: { whole: boolean; result: Promise<ExecResult> };
  /**
   * How many times the newest snapshot was found to perhaps miss a change (counting the start, when nothing has been
   * read), and that count when the last whole observation read since had started. See `stale`.
   */
  private marks = 1;
  private wholeAt = 0;

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
   * The host's state, to plan from. Every resource of a wave shares one observation, which runs after the exec's
   * applies and is parsed once. While an exec is in flight, its observation serves (it follows every apply this
   * process has been told of), not the next exec's: a whole observation, or an apply's read-back patched into the
   * snapshot before it (docs/architecture.md §5). With `whole`, only a whole observation serves, as after a plan
   * failed on a state the snapshot did not show; so it does after an exec failed.
   */
  async observe(whole = false): Promise<HostSnapshot> {
    const running = this.running && (this.running.whole || (!whole && !this.stale)) ? this.running.result : undefined;
    return this.snapshotOf(await (running ?? this.observation(readAll())));
  }

  /**
   * Reads `back` in the next exec, after its applies: one script for everyone who asks before that exec starts,
   * widened to cover what each asked for, and rendered when the exec starts.
   */
  private observation(back: ReadBack): Promise<ExecResult> {
    if (this.next) {
      widenReadBack(this.next.back, back);
      return this.next.result;
    }
    const next = { back, result: undefined as unknown as Promise<ExecResult>, marks: 0 };
    next.result = this.batcher.submit(() => {
      this.next = undefined;
      this.running = { whole: next.back.all, result: next.result };
      next.marks = this.marks;
      return observationScript(next.back);
    }, "observe");
    const settled = (ok: boolean) => {
      if (this.running?.result === next.result) this.running = undefined;
      if (!ok) this.markStale();
      else if (next.back.all) this.wholeAt = Math.max(this.wholeAt, next.marks);
    };
    next.result.then(
      (r) => settled(r.code === 0),
      () => settled(false),
    );
    this.next = next;
    return next.result;
  }

  /**
   * Whether the newest snapshot may miss a change: until a whole observation has been read, and again after an exec
   * failed (an apply cut off may still complete on the host) or a safe apply armed (its change has no read-back of
   * its own), until a whole observation started since has been read. Planning then waits for a whole observation,
   * and applies read everything back.
   */
  private get stale(): boolean {
    return this.wholeAt < this.marks;
  }

  private markStale(): void {
    this.marks++;
  }

  /** The snapshot an exec's observation shows: parsed, or, for a read-back, patched into the newest snapshot. */
  private snapshotOf(r: ExecResult): HostSnapshot {
    if (r.code !== 0) throw new Error(`cannot read the network state of ${this.label}: ${r.stderr.trim() || `exit ${r.code}`}`);
    if (this.current?.from !== r) this.current = { from: r, snapshot: HostSnapshot.parse(r.stdout, this.current?.snapshot) };
    return this.current.snapshot;
  }

  /**
   * Runs the operations in order in one exec and reads back, in the same exec, what they can change; the snapshot
   * with it patched in is the result. If one fails, the script undoes the ones before it on the host, and an
   * ApplyError names the failing command, its stderr, and any undo that failed too (never swallowed).
   */
  async apply(ops: readonly Operation[], what: string): Promise<HostSnapshot> {
    if (tracing()) trace({ event: "apply", host: this.label, commands: ops.map((o) => quoteArgv(renderOperation(o).argv)) });
    // A plan that can cut this connection arms a dead-man switch; any other applies directly, at no extra cost.
    const access = this.current?.snapshot.access;
    const risk = this.safety.confirmTimeoutSeconds > 0 && this.safety.dial ? riskOf(ops, access) : undefined;
    if (risk) return this.safeApply(ops, what, risk, access!);
    // The wave's read-back rides in the same exec, after every apply of the batch: what these operations can change,
    // or everything once an exec failed.
    const observed = this.observation(this.stale ? readAll() : readBackOf(ops)).then((r) => this.snapshotOf(r));
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
    // Its change has no read-back of its own (it reads the host once confirmed): until then, plans of this process
    // wait for a whole observation that shows it (one already under way when it was armed does not).
    this.markStale();
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
      if (first.r.code !== 0) return this.outcome(now, what, first.r, Promise.resolve(this.current!.snapshot));
    } else {
      // Cut or stuck: the pooled connection is no use any more; the next exec dials again.
      this.shell.close();
    }
    const confirmation = await this.confirmBefore(tx.id, armed + (timeout - 10) * 1000, later);
    if (confirmation?.kind === "confirmed") {
      if (confirmation.afterFailed) throw new ApplyError(`${what} on ${this.label}: the change was confirmed, but writing its autostart files failed (they were undone); run again`, true);
      return this.snapshotOf(await this.observation(readAll()));
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
