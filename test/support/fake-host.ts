// Test support: a scripted host behind the RemoteShell interface, for driving the resource handlers without a kernel.
// It answers the observation script with a snapshot recorded from a real sandbox namespace
// (test/unit/fixtures/host/*.txt, made by record.ts there), the tc feature probe with the recorded probe output, and
// each apply script with success followed by the snapshot the test says the apply leads to. It keeps every apply
// script it receives, so a test can compare it with renderApplyScript(expected operations). Install it with
// setShellFactory (provider/host/host-pool).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ExecResult, RemoteShell } from "../../provider/exec/remote-shell";
import { SNAPSHOT_SECTION } from "../../provider/iproute2/observe-script";
import { TC_PROBE_SCRIPT } from "../../provider/host/tc-capabilities";
import { APPLIED_MARKER, FAILED_MARKER, UNDO_FAILED_MARKER } from "../../provider/plan/apply-script";

export const HOST_FIXTURES = path.resolve(__dirname, "..", "unit", "fixtures", "host");

/** A recorded file of test/unit/fixtures/host: a snapshot (`<name>.txt`) or the probe output (tc-probe.txt). */
export function hostFixture(name: string): string {
  return readFileSync(path.join(HOST_FIXTURES, `${name}.txt`), "utf8");
}

/** The apply script Host.apply rendered: inside the detached wrapper's here-document when there is one. */
export function applyScriptOf(script: string): string {
  const m = /^cat > \S+ <<'(VIRTNET_SCRIPT_[0-9a-f]+)'\n([\s\S]*?)\n\1$/m.exec(script);
  return m ? `${m[2]}\n` : script;
}

interface ScriptedFailure {
  step: number;
  exitCode: number;
  stderr: string;
  /** Steps whose undo fails too, each with its exit status. */
  undoFailures: { step: number; exitCode: number }[];
}

export class FakeHost implements RemoteShell {
  readonly label = "fake host";
  /** Every script received, as received. */
  readonly received: string[] = [];
  /** The apply scripts received (unwrapped), in order. */
  readonly applies: string[] = [];
  private readonly after: string[] = [];
  private failure?: ScriptedFailure;
  closed = 0;

  /**
   * @param state the snapshot the host shows now (what the observation script prints)
   * @param probe what the tc feature probe prints
   */
  constructor(
    public state: string,
    readonly probe: string,
  ) {}

  /** The snapshot each of the next applies leads to, in order. */
  willApply(...states: string[]): this {
    this.after.push(...states);
    return this;
  }

  /** The next apply fails at `step` and the host undoes the steps before it (those in `undoFailures` fail to undo). */
  willFail(f: { step: number; exitCode?: number; stderr: string; undoFailures?: { step: number; exitCode: number }[] }): this {
    this.failure = { exitCode: 2, undoFailures: [], ...f };
    return this;
  }

  /** The applies still expected (a test that ends with some left did fewer applies than it scripted). */
  get pendingApplies(): number {
    return this.after.length;
  }

  async run(script: string): Promise<ExecResult> {
    this.received.push(script);
    if (/^\{\nd=\ntrap /.test(script)) return this.batch(script);
    return this.one(script);
  }

  /**
   * A group commit: the batcher's wrapper with one subshell per job (an apply and the wave's observation after it).
   * Each job is answered in order, framed by the wrapper's own markers.
   */
  private batch(wrapper: string): ExecResult {
    const nonce = /@@virtnet-([0-9a-f]+)-\$1-rc@@/.exec(wrapper)?.[1];
    if (!nonce) throw new Error("fake host: a batch without its markers");
    const jobs = [...wrapper.matchAll(/^(?:\[ "\$m" = 1 \] \|\| )?\{ \(\n([\s\S]*?)\n\) >"\$d\/o\d+"/gm)].map((m) => m[1]);
    const mark = (i: number, part: string) => `@@virtnet-${nonce}-${i}-${part}@@`;
    const stdout = jobs
      .map((job, i) => {
        const r = this.one(job);
        return `${mark(i, "rc")}\n${r.code}\n${mark(i, "out")}\n${r.stdout}\n${mark(i, "err")}\n${r.stderr}\n${mark(i, "end")}\n`;
      })
      .join("");
    return { code: 0, stdout, stderr: "" };
  }

  private one(script: string): ExecResult {
    if (script.includes(APPLIED_MARKER)) return this.apply(applyScriptOf(script));
    if (script === TC_PROBE_SCRIPT) return { code: 0, stdout: this.probe, stderr: "" };
    // An observation, or an apply's read-back, which the whole snapshot answers too.
    if (script.includes(SNAPSHOT_SECTION)) return { code: 0, stdout: this.state, stderr: "" };
    throw new Error(`fake host: no answer scripted for:\n${script}`);
  }

  private apply(script: string): ExecResult {
    this.applies.push(script);
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      const undo = failure.undoFailures.map((u) => `${UNDO_FAILED_MARKER} ${u.step} ${u.exitCode}\n`).join("");
      return { code: 1, stdout: `${FAILED_MARKER} ${failure.step} ${failure.exitCode}\n${undo}`, stderr: failure.stderr };
    }
    const next = this.after.shift();
    if (next === undefined) throw new Error(`fake host: an apply no test scripted:\n${script}`);
    // The wave's observation, which follows in the same exec, sees the new state.
    this.state = next;
    return { code: 0, stdout: `${APPLIED_MARKER}\n`, stderr: "" };
  }

  close(): void {
    this.closed++;
  }
}
