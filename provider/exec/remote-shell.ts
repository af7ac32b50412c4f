// What the rest of the provider needs from a host: run one shell script, get its output back.

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RemoteShell {
  /** How errors name the host (never includes credentials). */
  readonly label: string;
  /** Runs a POSIX sh script in one exec (through `sudo -n` when configured). */
  run(script: string): Promise<ExecResult>;
  close(): void;
}
