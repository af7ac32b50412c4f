// Group commit: jobs submitted while an exec is in flight share the next exec (docs/architecture.md §5), so N parallel
// resources on one host cost far fewer than N round trips. Identical jobs in one batch run once.
import { randomBytes } from "node:crypto";
import type { ExecResult, RemoteShell } from "./remote-shell";

interface Pending {
  script: string;
  /** Run after every other script of the batch (an observation that must see the batch's changes). */
  last: boolean;
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
}

export class Batcher {
  private queue: Pending[] = [];
  private inFlight = false;
  private scheduled = false;
  /** Number of execs and jobs so far, for tests and the benchmark. */
  readonly stats = { execs: 0, jobs: 0 };

  constructor(private readonly shell: RemoteShell) {}

  submit(script: string, last = false): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      this.queue.push({ script, last, resolve, reject });
      this.schedule();
    });
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
    const unique = [...new Set([...batch.filter((p) => !p.last), ...batch.filter((p) => p.last)].map((p) => p.script))];
    this.stats.execs++;
    this.stats.jobs += batch.length;
    try {
      const results = await this.runBatch(unique);
      for (const p of batch) p.resolve(results.get(p.script)!);
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async runBatch(scripts: string[]): Promise<Map<string, ExecResult>> {
    if (scripts.length === 1) {
      return new Map([[scripts[0], await this.shell.run(scripts[0])]]);
    }
    const nonce = randomBytes(6).toString("hex");
    const mark = (i: number, part: string) => `@@virtnet-${nonce}-${i}-${part}@@`;
    const lines = ['d=$(mktemp -d) || exit 97', 'trap \'rm -rf "$d"\' EXIT'];
    scripts.forEach((s, i) => lines.push(`(\n${s}\n) >"$d/o${i}" 2>"$d/e${i}" </dev/null; echo $? >"$d/r${i}"`));
    scripts.forEach((_, i) =>
      lines.push(`printf '%s\\n' '${mark(i, "rc")}'; cat "$d/r${i}"; printf '%s\\n' '${mark(i, "out")}'; cat "$d/o${i}"; printf '\\n%s\\n' '${mark(i, "err")}'; cat "$d/e${i}"; printf '\\n%s\\n' '${mark(i, "end")}'`),
    );
    const combined = await this.shell.run(lines.join("\n") + "\n");
    if (combined.code !== 0) {
      throw new Error(`a batch of commands on ${this.shell.label} failed before it ran (exit ${combined.code}): ${combined.stderr.trim()}`);
    }
    const results = new Map<string, ExecResult>();
    scripts.forEach((s, i) => {
      const text = combined.stdout;
      const between = (a: string, b: string) => {
        const start = text.indexOf(mark(i, a));
        const end = text.indexOf(mark(i, b));
        if (start < 0 || end < 0) throw new Error(`the output of a batch on ${this.shell.label} was cut short`);
        return text.slice(start + mark(i, a).length + 1, end);
      };
      results.set(s, {
        code: Number(between("rc", "out").trim()),
        stdout: between("out", "err").replace(/\n$/, ""),
        stderr: between("err", "end").replace(/\n$/, ""),
      });
    });
    return results;
  }
}
