// Parses `bridge -j fdb show brport DEV` output: the entries the bridge holds for that port.
import { z } from "zod";

const entry = z.object({ mac: z.string(), master: z.string().optional(), state: z.string().optional(), flags: z.array(z.string()).default([]) });

/**
 * The MACs the bridge forwards to the port because someone added them: libvirt's "master temp" entries print as
 * static. Learned entries (no state), the port's own permanent address and "self" entries are left out.
 */
export function parseBridgeFdb(json: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(json.trim() === "" ? "[]" : json);
  } catch {
    throw new Error(`'bridge -j fdb show' printed something that is not JSON: ${json.slice(0, 200)}`);
  }
  const parsed = z.array(entry).safeParse(data);
  if (!parsed.success) throw new Error(`'bridge -j fdb show' printed JSON of an unexpected shape: ${parsed.error.issues[0]?.message}`);
  return parsed.data.filter((e) => e.master !== undefined && e.state === "static" && !e.flags.includes("self")).map((e) => e.mac.toLowerCase());
}
