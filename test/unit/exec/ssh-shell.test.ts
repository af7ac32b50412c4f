// SshShell against an in-process ssh2 server on loopback: the server asserts the exact command and auth it got.
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Server, utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../../provider/connection/connection";
import { SshShell } from "../../../provider/exec/ssh-shell";

const hostKey = utils.generateKeyPairSync("ed25519");
const PASSWORD = "correct horse battery staple";
const seen: { method?: string; command?: string; stdin?: string }[] = [];
let port: number;
let server: Server;
/** What the server replies to the next exec. */
let reply = { stdout: "ok\n", stderr: "", code: 0 };

function fingerprint(): string {
  const blob = utils.parseKey(hostKey.public);
  const pub = Array.isArray(blob) ? blob[0] : blob;
  if (pub instanceof Error) throw pub;
  return "SHA256:" + createHash("sha256").update(pub.getPublicSSH()).digest("base64").replace(/=+$/, "");
}

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    const record: { method?: string; command?: string; stdin?: string } = {};
    seen.push(record);
    client
      .on("authentication", (ctx) => {
        record.method = ctx.method;
        if (ctx.method === "password" && ctx.password === PASSWORD) return ctx.accept();
        ctx.reject(["password"]);
      })
      .on("ready", () => {
        client.on("session", (accept) => {
          accept().on("exec", (acceptExec, _reject, info) => {
            record.command = info.command;
            const stream = acceptExec();
            let stdin = "";
            stream.on("data", (d: Buffer) => (stdin += d));
            stream.on("end", () => {
              record.stdin = stdin;
              stream.write(reply.stdout);
              stream.stderr.write(reply.stderr);
              stream.exit(reply.code);
              stream.end();
            });
          });
        });
      })
      .on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

function connection(extra: Partial<Connection> = {}): Connection {
  return { host: "127.0.0.1", port, user: "deploy", password: PASSWORD, hostKey: fingerprint(), insecureIgnoreHostKey: false, sudo: false, ...extra };
}

describe("SshShell", () => {
  it("logs in with a password and runs the script through sh -s on stdin", async () => {
    reply = { stdout: "ok\n", stderr: "", code: 0 };
    const shell = new SshShell(connection());
    await expect(shell.run("ip -j addr\n")).resolves.toEqual({ stdout: "ok\n", stderr: "", code: 0 });
    shell.close();
    const last = seen.at(-1)!;
    expect(last).toEqual({ method: "password", command: "sh -s", stdin: "ip -j addr\n" });
  });

  it("runs through sudo -n when asked", async () => {
    const shell = new SshShell(connection({ sudo: true }));
    await shell.run("true\n");
    shell.close();
    // SSH_CONNECTION, which sudo's env_reset drops, goes along as an argument (safe apply reads it).
    expect(seen.at(-1)?.command).toBe(`sudo -n sh -c 'SSH_CONNECTION=$1; export SSH_CONNECTION; exec sh -s' virtnet "$SSH_CONNECTION"`);
  });

  it("explains a sudo that wants a password instead of hanging", async () => {
    reply = { stdout: "", stderr: "sudo: a password is required\n", code: 1 };
    const shell = new SshShell(connection({ sudo: true }));
    await expect(shell.run("true\n")).rejects.toThrow(/sudo on 127\.0\.0\.1:\d+ asks user 'deploy' for a password; .*NOPASSWD/);
    shell.close();
    reply = { stdout: "ok\n", stderr: "", code: 0 };
  });

  it("reports a refused password without repeating it, and does not retry it", async () => {
    const before = seen.length;
    const shell = new SshShell(connection({ password: "wrong password here" }));
    const err = (await shell.run("true\n").catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/cannot connect to 127\.0\.0\.1:\d+ as deploy: authentication failed \(the password was refused\)/);
    expect(err.message + err.stack).not.toContain("wrong password here");
    expect(seen.length - before).toBe(1);
  });

  it("refuses a host whose key does not match, before sending any credential", async () => {
    const before = seen.length;
    const other = utils.generateKeyPairSync("ed25519");
    const parsed = utils.parseKey(other.public);
    const blob = (Array.isArray(parsed) ? parsed[0] : parsed) as { getPublicSSH(): Buffer };
    const wrong = "SHA256:" + createHash("sha256").update(blob.getPublicSSH()).digest("base64").replace(/=+$/, "");
    const shell = new SshShell(connection({ hostKey: wrong }));
    await expect(shell.run("true\n")).rejects.toThrow(/host key mismatch: the host presented SHA256:\S+ but connection\.hostKey is SHA256:/);
    expect(seen.slice(before).every((s) => s.method === undefined)).toBe(true);
  });

  it("gives up on an address nobody listens on after bounded retries", async () => {
    const shell = new SshShell(connection({ port: 1 }));
    const started = Date.now();
    await expect(shell.run("true\n")).rejects.toThrow(/cannot connect to 127\.0\.0\.1:1 as deploy: .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
