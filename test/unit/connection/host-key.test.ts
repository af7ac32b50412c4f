import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Connection } from "../../../provider/connection/connection";
import { fingerprintOf, verifyHostKey } from "../../../provider/connection/host-key";

const key = randomBytes(51);
const other = randomBytes(51);
const b64 = key.toString("base64");
const base: Connection = { host: "198.18.0.2", port: 22, user: "root", insecureIgnoreHostKey: false, sudo: false };

describe("host-key verification (fails closed)", () => {
  it("computes OpenSSH's SHA256 fingerprint without padding", () => {
    expect(fingerprintOf(Buffer.from("abc"))).toBe("SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0");
  });
  it("accepts the fingerprint it was given and refuses another, naming both", () => {
    expect(verifyHostKey({ ...base, hostKey: fingerprintOf(key) }, key).ok).toBe(true);
    const v = verifyHostKey({ ...base, hostKey: fingerprintOf(key) }, other);
    expect(v.ok).toBe(false);
    expect(v.reason).toContain(fingerprintOf(other));
    expect(v.reason).toContain(fingerprintOf(key));
  });
  it("accepts a matching known_hosts line and refuses a host that has none", () => {
    expect(verifyHostKey({ ...base, knownHosts: `198.18.0.2 ssh-ed25519 ${b64}` }, key).ok).toBe(true);
    expect(verifyHostKey({ ...base, knownHosts: `# comment\n\nother.example,198.18.0.2 ssh-ed25519 ${b64}` }, key).ok).toBe(true);
    expect(verifyHostKey({ ...base, knownHosts: `10.0.0.1 ssh-ed25519 ${b64}` }, key)).toMatchObject({ ok: false, reason: expect.stringMatching(/no line for 198.18.0.2/) });
    expect(verifyHostKey({ ...base, knownHosts: `198.18.0.2 ssh-ed25519 ${b64}` }, other)).toMatchObject({ ok: false, reason: expect.stringMatching(/mismatch/) });
  });
  it("matches bracketed ports, hashed hosts and wildcards, and honours @revoked", () => {
    expect(verifyHostKey({ ...base, port: 2222, knownHosts: `[198.18.0.2]:2222 ssh-ed25519 ${b64}` }, key).ok).toBe(true);
    expect(verifyHostKey({ ...base, port: 2222, knownHosts: `198.18.0.2 ssh-ed25519 ${b64}` }, key).ok).toBe(false);
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("198.18.0.2").digest("base64");
    expect(verifyHostKey({ ...base, knownHosts: `|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${b64}` }, key).ok).toBe(true);
    expect(verifyHostKey({ ...base, knownHosts: `198.18.* ssh-ed25519 ${b64}` }, key).ok).toBe(true);
    expect(verifyHostKey({ ...base, knownHosts: `198.18.*,!198.18.0.2 ssh-ed25519 ${b64}` }, key).ok).toBe(false);
    expect(verifyHostKey({ ...base, knownHosts: `@revoked 198.18.0.2 ssh-ed25519 ${b64}\n198.18.0.2 ssh-ed25519 ${b64}` }, key).ok).toBe(false);
  });
  it("refuses a key @revoked anywhere in known_hosts, even after a plain line that accepts it (as OpenSSH)", () => {
    expect(verifyHostKey({ ...base, knownHosts: `198.18.0.2 ssh-ed25519 ${b64}\n@revoked 198.18.0.2 ssh-ed25519 ${b64}` }, key)).toMatchObject({ ok: false, reason: expect.stringMatching(/@revoked/) });
    expect(verifyHostKey({ ...base, knownHosts: `198.18.0.2 ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${b64}` }, key).ok).toBe(false);
  });
  it("refuses known_hosts with a marker OpenSSH does not know, naming the line", () => {
    expect(verifyHostKey({ ...base, knownHosts: `@bogus 198.18.0.2 ssh-ed25519 ${b64}` }, key)).toMatchObject({ ok: false, reason: expect.stringMatching(/line 1 has the marker '@bogus'/) });
    expect(verifyHostKey({ ...base, knownHosts: `198.18.0.2 ssh-ed25519 ${b64}\n@bogus 198.18.0.2 ssh-ed25519 ${b64}` }, key).ok).toBe(false);
  });
  it("accepts any key only with the explicit opt-out, and refuses when nothing was given", () => {
    expect(verifyHostKey({ ...base, insecureIgnoreHostKey: true }, key).ok).toBe(true);
    expect(verifyHostKey(base, key).ok).toBe(false);
  });
});
