// One Host (one SSH connection, one batcher) per host and credentials, per plugin process (docs/architecture.md §5).
import { createHash } from "node:crypto";
import { DEFAULT_CONFIRM_TIMEOUT_SECONDS, type Connection } from "../connection/connection";
import { SshShell } from "../exec/ssh-shell";
import type { RemoteShell } from "../exec/remote-shell";
import { Host } from "./host";

const hosts = new Map<string, Host>();
const sshShell = (c: Connection): RemoteShell => new SshShell(c);
let shellFactory: (c: Connection) => RemoteShell = sshShell;

export function hostFor(connection: Connection): Host {
  const key = poolKey(connection);
  let host = hosts.get(key);
  if (!host) {
    // Safe apply dials afresh for each confirmation, quickly: it has the window's seconds, not minutes.
    const dial = shellFactory === sshShell ? () => new SshShell(connection, { attempts: 1, readyTimeoutMs: 4_000 }) : undefined;
    host = new Host(shellFactory(connection), { confirmTimeoutSeconds: connection.confirmTimeoutSeconds ?? DEFAULT_CONFIRM_TIMEOUT_SECONDS, dial });
    hosts.set(key, host);
  }
  return host;
}

/** The key hashes the credentials so that they are never kept in clear outside the connection object. */
function poolKey(c: Connection): string {
  const secret = createHash("sha256")
    .update(JSON.stringify([c.privateKey, c.passphrase, c.password, c.agentSocket, c.hostKey, c.knownHosts, c.insecureIgnoreHostKey, c.sudo, c.confirmTimeoutSeconds]))
    .digest("hex");
  return `${c.user}@${c.host}:${c.port}#${secret}`;
}

/** Closes every pooled connection (tests, the benchmark, and process shutdown). */
export function closeAllHosts(): void {
  for (const h of hosts.values()) h.shell.close();
  hosts.clear();
}

/** For tests: route new hosts to another shell (an in-process fake or a local namespace). */
export function setShellFactory(factory: (c: Connection) => RemoteShell): void {
  shellFactory = factory;
  closeAllHosts();
}
