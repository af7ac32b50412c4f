// The `connection` input: how to reach a host over SSH. Credentials are secrets (docs/architecture.md §2, §5).
import { z } from "zod";
import { unknownOr } from "../schema/unknown-or";
import { isUnknown } from "../unknown";

const HOST = /^[A-Za-z0-9.:_-]+$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

export const connectionSchema = z
  .object({
    host: unknownOr(z.string().max(253, "must be at most 253 characters (a DNS name)").regex(HOST, "must be a host name or an IP address")),
    port: unknownOr(z.number().int().min(1).max(65535)).default(22),
    user: unknownOr(z.string().max(32, "must be at most 32 characters (a Unix user name)").regex(USER, "must be a Unix user name")).default("root"),
    privateKey: unknownOr(z.string().min(1)).optional(),
    passphrase: unknownOr(z.string()).optional(),
    password: unknownOr(z.string()).optional(),
    agentSocket: unknownOr(z.string().min(1)).optional(),
    hostKey: unknownOr(z.string().regex(FINGERPRINT, "must be an OpenSSH SHA256 fingerprint such as 'SHA256:…' (ssh-keygen -lf)")).optional(),
    knownHosts: unknownOr(z.string().min(1)).optional(),
    insecureIgnoreHostKey: unknownOr(z.boolean()).default(false),
    sudo: unknownOr(z.boolean()).default(false),
    /**
     * Safe apply's window (docs/architecture.md §3.9): a change that may cut this connection is rolled back on the
     * host unless a new connection confirms it within this many seconds; 0 turns it off. Absent: 60.
     */
    confirmTimeoutSeconds: unknownOr(
      z
        .number({ error: "must be a number of seconds" })
        .int("must be a whole number of seconds")
        .refine((v) => v === 0 || (v >= 15 && v <= 900), "must be 0 (safe apply off) or 15 to 900 seconds"),
    ).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const auth = [c.privateKey, c.password, c.agentSocket].filter((v) => v !== undefined);
    if (auth.length === 0) {
      ctx.addIssue({ code: "custom", message: "needs one of privateKey, password or agentSocket" });
    } else if (auth.length > 1) {
      ctx.addIssue({ code: "custom", message: "give only one of privateKey, password or agentSocket" });
    }
    if (c.passphrase !== undefined && c.privateKey === undefined) {
      ctx.addIssue({ code: "custom", path: ["passphrase"], message: "is only used with privateKey" });
    }
    const verified = c.hostKey !== undefined || c.knownHosts !== undefined;
    if (!verified && c.insecureIgnoreHostKey !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["hostKey"],
        message:
          "is required to verify the host (or give knownHosts lines); to skip verification, which allows a man in the middle, set insecureIgnoreHostKey: true",
      });
    }
    if (verified && c.insecureIgnoreHostKey === true) {
      ctx.addIssue({ code: "custom", path: ["insecureIgnoreHostKey"], message: "cannot be combined with hostKey or knownHosts" });
    }
  });

export type ConnectionInputs = z.output<typeof connectionSchema>;

/** A connection whose every field is known: what the executor gets at apply time. */
export interface Connection {
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  passphrase?: string;
  password?: string;
  agentSocket?: string;
  hostKey?: string;
  knownHosts?: string;
  insecureIgnoreHostKey: boolean;
  sudo: boolean;
  confirmTimeoutSeconds?: number;
}

/** Safe apply's window when the connection does not say (docs/architecture.md §3.9). */
export const DEFAULT_CONFIRM_TIMEOUT_SECONDS = 60;

/** Every credential the connection carries, for redaction. */
export function connectionSecrets(c: Partial<Connection> | undefined): string[] {
  if (!c) return [];
  return [c.privateKey, c.passphrase, c.password].filter((s): s is string => typeof s === "string" && s.length > 0);
}

/** Whether a connection now points at another host, which replaces every resource on it (unknown counts as changed). */
export function connectionHostChanged(previous: ConnectionInputs | string, next: ConnectionInputs | string): boolean {
  return typeof next === "string" || typeof previous === "string" || isUnknown(next.host) || next.host !== previous.host;
}

/** How users and error messages name a host. */
export function hostLabel(c: Pick<Connection, "host" | "port">): string {
  const host = c.host.includes(":") ? `[${c.host}]` : c.host;
  return c.port === 22 ? c.host : `${host}:${c.port}`;
}
