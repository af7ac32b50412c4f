// Group commit: jobs submitted while an exec is in flight share the next exec (docs/architecture.md §5), so N parallel
// resources on one host cost far fewer than N round trips. Identical probes and observations in one batch run once;
// the batch's applies run together in one detached job, so the detach-and-lock cost is paid once per batch. Applies
// that carry a plan are first tried as one merged plan (docs/architecture.md §5): a wave's operations in a few
// -batch processes rather than hundreds; if it fails it undoes itself and each apply runs on its own.
import { randomBytes } from "node:crypto";
import { PREPARE, renderDetached } from "./detached-script";
import type { ExecResult, RemoteShell } from "./remote-shell";

/**
 * How a job runs in its batch: `probe` first (read-only scripts of the provider's own), then every `apply` in one
 * detached job under the host's lock, then `observe` (after the applies, so it sees their changes).
 */
export type JobKind = "probe" | "apply" | "observe";

interface Pending<P> {
  /** The script, or how to render it when its exec starts (an observation that later jobs may still widen). */
  script: string | (() => string);
  kind: JobKind;
  /** An apply's plan, which the batcher may merge with the other applies' plans. */
  plan?: P;
  promise: Promise<ExecResult>;
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
}

/**
 * One script applying every plan, in one go: it exits 0 having applied all of them, or non-zero having undone what it
 * did. `P` is opaque here: the renderers know what a plan is.
 */
export type MergeApplies<P> = (plans: readonly P[]) => string;

export class Batcher<P = never> {
  private queue: Pending<P>[] = [];
  private inFlight = false;
  private scheduled = false;
  /** Number of execs and jobs so far, for tests and the benchmark. */
  readonly stats = { execs: 0, jobs: 0 };

  constructor(
    private readonly shell: RemoteShell,
    private readonly merge?: MergeApplies<P>,
  ) {}

  /**
   * Runs `script` in the next exec (a function is called for it when that exec starts); an apply's `plan` lets it
   * share one merged script with the batch's other applies.
   */
  submit(script: string | (() => string), kind: JobKind = "probe", plan?: P): Promise<ExecResult> {
    let settle!: Pick<Pending<P>, "resolve" | "reject">;
    const promise = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
    this.queue.push({ script, kind, plan, promise, ...settle });
    this.schedule();
    return promise;
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    // Let every job submitted in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight = true;
    this.stats.execs++;
    this.stats.jobs += batch.length;
    try {
      await this.runBatch(batch);
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async runBatch(pending: Pending<P>[]): Promise<void> {
    const batch = pending.map((p) => ({ ...p, script: typeof p.script === "string" ? p.script : p.script() }));
    const unique = (kind: JobKind) => [...new Set(batch.filter((p) => p.kind === kind).map((p) => p.script))];
    // Two applies with the same text are still two applies: each resource is told what its own did.
    const applies = batch.filter((p) => p.kind === "apply");
    const jn = nonce();
    const members = applies.flatMap((p, i) => (p.plan === undefined ? [] : [i]));
    const merged = this.merge && members.length >= 2 ? { script: this.merge(members.map((i) => applies[i].plan!)), members } : undefined;
    const job = applies.length === 0 ? undefined : renderDetached(applies.length === 1 ? applies[0].script : combine(applies.map((p) => p.script), jn, merged));
    const scripts = [...unique("probe"), ...(job ? [job] : []), ...unique("observe")];
    const results = scripts.length === 1 ? [await this.shell.run(scripts[0])] : await this.runCombined(scripts);
    const byScript = new Map(scripts.map((s, i) => [s, results[i]]));
    const jobResult = job === undefined ? undefined : byScript.get(job)!;
    const applyResults = applies.length <= 1 || jobResult === undefined ? [jobResult] : splitJob(jobResult, jn, applies.length);
    let a = 0;
    for (const p of batch) p.resolve(p.kind === "apply" ? applyResults[a++]! : byScript.get(p.script)!);
  }

  private async runCombined(scripts: string[]): Promise<ExecResult[]> {
    const n = nonce();
    const combined = await this.shell.run(combine(scripts, n));
    if (combined.code !== 0) {
      throw new Error(`a batch of commands on ${this.shell.label} failed before it ran (exit ${combined.code}): ${combined.stderr.trim()}`);
    }
    const results = split(combined.stdout, n, scripts.length);
    if (!results) throw new Error(`the output of a batch on ${this.shell.label} was cut short`);
    return results;
  }
}

const nonce = () => randomBytes(6).toString("hex");
const mark = (n: string, i: number, part: string) => `@@virtnet-${n}-${i}-${part}@@`;

/**
 * One script running each of `scripts` in a subshell of its own, then printing each one's status and output, marked.
 * With `merged`, that script runs first; if it succeeds, the `members` it stands for report its result and do not run.
 */
function combine(scripts: string[], n: string, merged?: { script: string; members: number[] }): string {
  // The outputs wait in virtnet's own run directory, never the host's /tmp. The directory goes however the shell
  // ends (a signal exits through the EXIT trap too, the traps set before mktemp runs); one that a killed shell left
  // is found by name and removed by a later batch, as the detached applies' files are.
  const lines = [
    "d=",
    'trap \'rm -rf "$d"\' EXIT',
    "trap 'exit 129' HUP INT TERM PIPE",
    `${PREPARE} 2>/dev/null || exit 97`,
    'd=$(mktemp -d "$vd/batch.XXXXXX") || exit 97',
    // show I: script I's status and output, marked (the format `mark` names and `split` reads); the status is read by
    // a builtin and an empty error output is not read at all (a process each, per job, on every exec).
    `show() { st=; read -r st <"$d/r$1"; printf '%s\\n%s\\n%s\\n' "@@virtnet-${n}-$1-rc@@" "$st" "@@virtnet-${n}-$1-out@@"; cat "$d/o$1"; printf '\\n%s\\n' "@@virtnet-${n}-$1-err@@"; [ ! -s "$d/e$1" ] || cat "$d/e$1"; printf '\\n%s\\n' "@@virtnet-${n}-$1-end@@"; }`,
    "m=0",
  ];
  const members = new Set(merged?.members);
  if (merged) {
    lines.push(
      `if (\n${merged.script}\n) >"$d/m" 2>"$d/me" </dev/null; then m=1; mo=$(cat "$d/m"); me=; [ ! -s "$d/me" ] || me=$(cat "$d/me"); fi`,
      // showm I: an apply the merged script made; its output is the merged script's. Builtins only: a wave may
      // merge hundreds of applies.
      `showm() { printf '%s\\n0\\n%s\\n' "@@virtnet-${n}-$1-rc@@" "@@virtnet-${n}-$1-out@@"; [ -z "$mo" ] || printf '%s\\n' "$mo"; printf '\\n%s\\n' "@@virtnet-${n}-$1-err@@"; [ -z "$me" ] || printf '%s\\n' "$me"; printf '\\n%s\\n' "@@virtnet-${n}-$1-end@@"; }`,
    );
  }
  scripts.forEach((s, i) => lines.push(`${members.has(i) ? '[ "$m" = 1 ] || ' : ""}{ (\n${s}\n) >"$d/o${i}" 2>"$d/e${i}" </dev/null; echo $? >"$d/r${i}"; }`));
  scripts.forEach((_, i) => lines.push(members.has(i) ? `if [ "$m" = 1 ]; then showm ${i}; else show ${i}; fi` : `show ${i}`));
  // One brace group: sh parses all of it before running any of it, so a script cut short in transit runs nothing
  // (and leaves no directory) instead of waiting, half-run, for the rest.
  return ["{", ...lines, "}"].join("\n") + "\n";
}

/** The results of a combined script, in order, or undefined when its output was cut short. */
function split(text: string, n: string, count: number): ExecResult[] | undefined {
  const results: ExecResult[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    const at = ["rc", "out", "err", "end"].map((part) => text.indexOf(mark(n, i, part), from));
    if (at.some((x) => x < 0)) return undefined;
    const between = (k: number) => text.slice(at[k] + mark(n, i, ["rc", "out", "err"][k]).length + 1, at[k + 1]);
    results.push({ code: Number(between(0).trim()), stdout: between(1).replace(/\n$/, ""), stderr: between(2).replace(/\n$/, "") });
    from = at[3];
  }
  return results;
}

/**
 * Each apply's result from the detached job that ran them all. A job that could not start (no run directory, a
 * host that stopped it) gives every apply its status and error.
 */
function splitJob(job: ExecResult, n: string, count: number): ExecResult[] {
  return split(job.stdout, n, count) ?? Array.from({ length: count }, () => ({ code: job.code === 0 ? 98 : job.code, stdout: job.stdout, stderr: job.stderr }));
}
