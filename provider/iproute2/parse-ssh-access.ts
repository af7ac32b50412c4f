// How the deployment reaches the host, as the host sees it (docs/architecture.md §3.9): the SSH client's and the
// server's addresses from $SSH_CONNECTION, and the kernel's route back to the client (`ip -j route get`). Safe apply
// classifies a plan as risky by them.
import { normalizeAddress, addressFamily } from "../net/ip-address";

export interface SshAccess {
  client: string;
  server: string;
  /** The device and gateway the host's replies to the client leave by. */
  dev?: string;
  gateway?: string;
}

/** The section: `CLIENT CPORT SERVER SPORT` and the route's JSON; undefined when not reached over SSH. */
export function parseSshAccess(text: string): SshAccess | undefined {
  const [first = "", ...rest] = text.trim().split("\n");
  const [client, , server] = first.trim().split(/\s+/);
  if (!client || !server || !addressFamily(client) || !addressFamily(server)) return undefined;
  let route: { dev?: string; gateway?: string } = {};
  try {
    route = (JSON.parse(rest.join("\n") || "[]") as { dev?: string; gateway?: string }[])[0] ?? {};
  } catch {
    // An unreadable route leaves only the addresses to classify by.
  }
  return { client: normalizeAddress(client), server: normalizeAddress(server), ...(route.dev ? { dev: route.dev } : {}), ...(route.gateway ? { gateway: route.gateway } : {}) };
}

/** The observation's script for the section. */
export const SSH_ACCESS_SCRIPT = `if [ -n "$SSH_CONNECTION" ]; then printf '%s\\n' "$SSH_CONNECTION"; ip -j route get "\${SSH_CONNECTION%% *}" 2>/dev/null || echo '[]'; fi`;
