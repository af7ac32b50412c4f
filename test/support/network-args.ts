// Network arguments for a sandbox host, as a user would write them (with a verified host key).
import type { Sandbox } from "./sandbox";

export function sandboxConnection(sb: Sandbox, extra: Record<string, unknown> = {}) {
  return { host: sb.host, port: sb.port, user: sb.user, privateKey: sb.privateKey, hostKey: sb.hostKey, ...extra };
}

/** A bridge name unique to this test run, so parallel runs never collide even outside sandboxes. */
export function uniqueBridgeName(prefix = "vt"): string {
  return `${prefix}${Math.random().toString(36).slice(2, 8)}`;
}
