// One SSH connection per host (dialled lazily, redialled after a drop) that runs scripts through `sh -s`.
import { Client, type ConnectConfig } from "ssh2";
import type { Connection } from "../connection/connection";
import { connectionSecrets, hostLabel } from "../connection/connection";
import { verifyHostKey } from "../connection/host-key";
import { redact } from "../redact";
import { trace } from "./exec-trace";
import type { ExecResult, RemoteShell } from "./remote-shell";

const DIAL_ATTEMPTS = 4;
const DIAL_BACKOFF_MS = 250;
const READY_TIMEOUT_MS = 20_000;
const EXEC_TIMEOUT_MS = 300_000;

/** An error that dialing again will not fix (authentication, host key). */
class PermanentDialError extends Error {}

export class SshShell implements RemoteShell {
  readonly label: string;
  private client?: Promise<Client>;

  constructor(
    private readonly connection: Connection,
    /** A confirmation's dial: fewer attempts and a shorter wait than the pooled connection's (safe apply). */
    private readonly dialing: { attempts: number; readyTimeoutMs: number } = { attempts: DIAL_ATTEMPTS, readyTimeoutMs: READY_TIMEOUT_MS },
  ) {
    this.label = hostLabel(connection);
  }

  async run(script: string): Promise<ExecResult> {
    const client = await this.connect();
    const started = Date.now();
    // sudo's env_reset drops SSH_CONNECTION, which safe apply reads (the client's address): it is passed on as an argument.
    const command = this.connection.sudo ? `sudo -n sh -c 'SSH_CONNECTION=$1; export SSH_CONNECTION; exec sh -s' virtnet "$SSH_CONNECTION"` : "sh -s";
    const result = await new Promise<ExecResult>((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) return reject(new Error(`cannot start a command on ${this.label}: ${err.message}`));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        const timer = setTimeout(() => {
          stream.close();
          reject(new Error(`a command on ${this.label} did not finish within ${EXEC_TIMEOUT_MS / 1000} s`));
        }, EXEC_TIMEOUT_MS);
        // A connection that drops while output flows fails this exec; unhandled, the stream's error would end the process.
        stream.on("error", (e: Error) => {
          clearTimeout(timer);
          reject(new Error(`the connection to ${this.label} failed during a command: ${e.message}`));
        });
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errs.push(d));
        stream.on("close", (code: number | null, signal?: string) => {
          clearTimeout(timer);
          if (code === null || code === undefined) {
            return reject(new Error(`a command on ${this.label} ended without an exit status${signal ? ` (signal ${signal})` : ""}`));
          }
          resolve({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errs).toString("utf8"), code });
        });
        stream.end(script);
      });
    });
    trace({ event: "exec", host: this.label, ms: Date.now() - started });
    if (this.connection.sudo && result.code !== 0 && /sudo: (a password is required|a terminal is required)/.test(result.stderr)) {
      throw new Error(
        `sudo on ${this.label} asks user '${this.connection.user}' for a password; virtnet runs 'sudo -n', so allow the user to run sh without a password (NOPASSWD) or connect as root`,
      );
    }
    return result;
  }

  close(): void {
    const pending = this.client;
    this.client = undefined;
    void pending?.then((c) => c.end()).catch(() => undefined);
  }

  private connect(): Promise<Client> {
    if (!this.client) {
      this.client = this.dialWithRetries();
      // A failed dial must not poison the next attempt.
      this.client.catch(() => (this.client = undefined));
    }
    return this.client;
  }

  private async dialWithRetries(): Promise<Client> {
    let last: Error = new Error("no attempt made");
    for (let attempt = 1; attempt <= this.dialing.attempts; attempt++) {
      try {
        return await this.dialOnce();
      } catch (e) {
        last = e as Error;
        if (e instanceof PermanentDialError) break;
        if (attempt < this.dialing.attempts) await new Promise((r) => setTimeout(r, DIAL_BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
    throw new Error(redact(`cannot connect to ${this.label} as ${this.connection.user}: ${last.message}`, connectionSecrets(this.connection)));
  }

  private dialOnce(): Promise<Client> {
    const c = this.connection;
    const started = Date.now();
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyProblem: string | undefined;
      const config: ConnectConfig = {
        host: c.host,
        port: c.port,
        username: c.user,
        readyTimeout: this.dialing.readyTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        hostVerifier: (key: Buffer) => {
          const verdict = verifyHostKey(c, key);
          hostKeyProblem = verdict.reason;
          return verdict.ok;
        },
      };
      if (c.privateKey !== undefined) config.privateKey = c.privateKey;
      if (c.passphrase !== undefined) config.passphrase = c.passphrase;
      if (c.password !== undefined) config.password = c.password;
      if (c.agentSocket !== undefined) config.agent = c.agentSocket;
      client
        .on("ready", () => {
          trace({ event: "dial", host: this.label, ms: Date.now() - started });
          client.removeAllListeners("error");
          // Later errors (a dropped connection) make the next run redial instead of failing forever.
          client.on("error", () => (this.client = undefined));
          client.on("close", () => (this.client = undefined));
          resolve(client);
        })
        .on("error", (err: Error & { level?: string }) => {
          client.end();
          if (hostKeyProblem) return reject(new PermanentDialError(hostKeyProblem));
          if (err.level === "client-authentication") {
            return reject(new PermanentDialError(`authentication failed (${describeAuth(c)} was refused); check connection.user and the credential`));
          }
          reject(new Error(err.message));
        });
      try {
        client.connect(config);
        // Nagle's algorithm costs ~44 ms per exec round trip (docs/architecture.md §5); the socket exists once connect() returns.
        client.setNoDelay(true);
      } catch (e) {
        // ssh2 throws synchronously for a malformed key or a wrong passphrase.
        reject(new PermanentDialError(`the credential could not be used: ${(e as Error).message}`));
      }
    });
  }
}

function describeAuth(c: Connection): string {
  if (c.privateKey !== undefined) return "the private key";
  if (c.password !== undefined) return "the password";
  return "the SSH agent's keys";
}
