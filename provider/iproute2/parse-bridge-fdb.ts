// Parses `bridge -j fdb show brport DEV` output: the entries the bridge holds for that port.
import { z } from "zod";
import { parseJsonOutput } from "./parse-json";

const entry = z.object({ mac: z.string(), ifname: z.string().optional(), master: z.string().optional(), state: z.string().optional(), flags: z.array(z.string()).default([]) });

/**
 * The MACs the bridge forwards to the port because someone added them: libvirt's "master temp" entries print as
 * static. Learned entries (no state), the port's own permanent address and "self" entries are left out.
 */
/** `bridge -j fdb show state static` for the whole host, in one process: each port's added MACs. */
export function parseBridgeFdbByPort(json: string): Map<string, string[]> {
  const byPort = new Map<string, string[]>();
  for (const e of parseJsonOutput(json.trim() === "" ? "[]" : json, z.array(entry), "bridge -j fdb show state static")) {
    if (e.master === undefined || e.state !== "static" || e.flags.includes("self") || e.ifname === undefined) continue;
    byPort.set(e.ifname, [...(byPort.get(e.ifname) ?? []), e.mac.toLowerCase()]);
  }
  return byPort;
}

export function parseBridgeFdb(json: string): string[] {
  return parseJsonOutput(json, z.array(entry), "bridge -j fdb show").filter((e) => e.master !== undefined && e.state === "static" && !e.flags.includes("self")).map((e) => e.mac.toLowerCase());
}
