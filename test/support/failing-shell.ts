// Test support: a RemoteShell that makes one chosen step of the next apply fail on the real host. It rewrites the
// apply script it is handed so that the step's command becomes `false`, then runs the script with the inner shell:
// the step fails as a refused command would, and everything after it (the host-side undo, the report) is the
// provider's own. Install it with setShellFactory (provider/host/host-pool).
import { FAILED_MARKER } from "../../provider/plan/apply-script";
import type { ExecResult, RemoteShell } from "../../provider/exec/remote-shell";

/** An apply step: `<command> || { s=$?; printf … @@virtnet-failed N $s; undo N; exit 1; }`, maybe under `if [ -e P ]; then … fi`. */
const STEP = new RegExp(`^(if \\[ -e \\S+ \\]; then )?(.+?)( \\|\\| \\{ s=\\$\\?; printf '%s %d %d\\\\n' ${FAILED_MARKER} \\d+ \\$s; undo \\d+; exit 1; \\}.*)$`);

/** The first line of a run of operations through one tool's -batch input, and its last. */
const BATCH_START = /^out=\$\((ip|tc|bridge) -batch - 2>&1 <<'VIRTNET_BATCH'$/;
const BATCH_END = "VIRTNET_BATCH";
/** A batch line each tool refuses (an unsupported request on lo), standing in for the step made to fail. */
const REFUSED_LINE: Record<string, string> = {
  ip: "link set dev lo type bridge stp_state 1",
  tc: "qdisc add dev lo root handle 1: virtnetnosuchqdisc",
  bridge: "link set dev lo learning off",
};

export interface Fault {
  /** The rendered command of a step, e.g. /^tc filter add dev vnet0 parent ffff: / */
  command: RegExp;
  /** The commands that were made to fail (one, once the fault has fired). */
  fired: string[];
}

export class FailingShell implements RemoteShell {
  readonly label: string;
  private fault?: Fault;
  /** Every script run, as the inner shell received it. */
  readonly scripts: string[] = [];

  constructor(private readonly inner: RemoteShell) {
    this.label = inner.label;
  }

  /** Makes the first apply step whose command matches fail, once; later scripts run unchanged. */
  failStep(command: RegExp): Fault {
    this.fault = { command, fired: [] };
    return this.fault;
  }

  /** The apply steps (their commands) of a script, in order: single lines, and the lines of -batch runs. */
  static steps(script: string): string[] {
    const out: string[] = [];
    let tool: string | undefined;
    for (const line of script.split("\n")) {
      const start = BATCH_START.exec(line);
      if (start) tool = start[1];
      else if (line === BATCH_END) tool = undefined;
      else if (tool) out.push(`${tool} ${line}`);
      else {
        const m = STEP.exec(line);
        if (m) out.push(m[2]!);
      }
    }
    return out;
  }

  run(script: string): Promise<ExecResult> {
    const fault = this.fault;
    let rewritten = script;
    if (fault && fault.fired.length === 0) {
      let tool: string | undefined;
      rewritten = script
        .split("\n")
        .map((line) => {
          const start = BATCH_START.exec(line);
          if (start) tool = start[1];
          else if (line === BATCH_END) tool = undefined;
          else if (tool) {
            // A line of a -batch run: replace it with one the tool refuses, so the run stops there.
            if (fault.fired.length > 0 || !fault.command.test(`${tool} ${line}`)) return line;
            fault.fired.push(`${tool} ${line}`);
            return REFUSED_LINE[tool] ?? line;
          }
          const m = fault.fired.length === 0 ? STEP.exec(line) : null;
          if (!m || !fault.command.test(m[2]!)) return line;
          fault.fired.push(m[2]!);
          return `${m[1] ?? ""}false${m[3]}`;
        })
        .join("\n");
      if (fault.fired.length > 0) this.fault = undefined;
    }
    this.scripts.push(rewritten);
    return this.inner.run(rewritten);
  }

  close(): void {
    this.inner.close();
  }
}
