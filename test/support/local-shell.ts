// A RemoteShell that runs scripts with the local sh, optionally inside a network namespace: for unit tests.
import { spawn } from "node:child_process";
import type { ExecResult, RemoteShell } from "../../provider/exec/remote-shell";

export class LocalShell implements RemoteShell {
  readonly label: string;
  execs = 0;

  constructor(private readonly namespace?: string) {
    this.label = namespace ? `netns ${namespace}` : "localhost";
  }

  run(script: string): Promise<ExecResult> {
    this.execs++;
    const argv = this.namespace ? ["ip", "netns", "exec", this.namespace, "sh", "-s"] : ["sh", "-s"];
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
      child.stdin.end(script);
    });
  }

  close(): void {}
}
