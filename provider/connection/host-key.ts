// Host-key verification for ssh2's hostVerifier: SHA256 fingerprint or known_hosts lines; fails closed.
import { createHash, createHmac } from "node:crypto";
import type { Connection } from "./connection";

/** The OpenSSH fingerprint of a raw public key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export function fingerprintOf(keyBlob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "");
}

export interface HostKeyVerdict {
  ok: boolean;
  /** Why the key was refused, for the error the user sees. */
  reason?: string;
}

/** Decides whether the key a host presented is the one the connection expects. */
export function verifyHostKey(c: Connection, keyBlob: Buffer): HostKeyVerdict {
  const presented = fingerprintOf(keyBlob);
  if (c.hostKey !== undefined) {
    if (c.hostKey.replace(/=+$/, "") === presented) return { ok: true };
    return {
      ok: false,
      reason: `host key mismatch: the host presented ${presented} but connection.hostKey is ${c.hostKey}. If the host was reinstalled, verify the new key out of band and update connection.hostKey`,
    };
  }
  if (c.knownHosts !== undefined) {
    return matchKnownHosts(c.knownHosts, c.host, c.port, keyBlob, presented);
  }
  if (c.insecureIgnoreHostKey) return { ok: true };
  return { ok: false, reason: "no host key to verify against (connection.hostKey or connection.knownHosts)" };
}

/**
 * As OpenSSH reads known_hosts: a matching @revoked line refuses the key wherever it stands (even after a plain line
 * that accepts it), and a line with a marker OpenSSH does not know refuses the whole verification (fail closed).
 */
function matchKnownHosts(text: string, host: string, port: number, keyBlob: Buffer, presented: string): HostKeyVerdict {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  let sawHost = false;
  let accepted = false;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
    if (marker !== undefined && marker !== "@revoked" && marker !== "@cert-authority") {
      return { ok: false, reason: `connection.knownHosts line ${index + 1} has the marker '${marker.slice(0, 32)}', which OpenSSH does not know (only @revoked and @cert-authority); fix or remove that line` };
    }
    if (fields.length < 3 || marker === "@cert-authority") continue;
    const [patterns, , base64Key] = fields;
    if (!names.some((n) => hostPatternsMatch(patterns, n))) continue;
    sawHost = true;
    const matches = Buffer.from(base64Key, "base64").equals(keyBlob);
    if (matches && marker === "@revoked") return { ok: false, reason: `the host presented ${presented}, which connection.knownHosts marks @revoked` };
    if (matches) accepted = true;
  }
  if (accepted) return { ok: true };
  return {
    ok: false,
    reason: sawHost
      ? `host key mismatch: the host presented ${presented}, which no connection.knownHosts line for ${names[0]} lists`
      : `connection.knownHosts has no line for ${names[0]}; the host presented ${presented}`,
  };
}

function hostPatternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) return hashedHostMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    if (globMatch(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function hashedHostMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split("|");
  if (!salt || !hash) return false;
  return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "i");
  return re.test(name);
}
