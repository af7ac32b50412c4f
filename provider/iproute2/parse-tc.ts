// Parses tc's output for one device. Classes and filters are read from text: on iproute2 6.1 `tc -j class show`
// prints text for htb, and `tc -j filter show` repeats the "match" key of u32 filters (invalid JSON, matches lost).
import { z } from "zod";
import type { TcClass, TcFilter, TcQdisc } from "../net/tc";
import { parseJsonOutput } from "./parse-json";

/** tc prints rates in decimal bits per second. */
export function parseTcRate(text: string): number {
  const m = /^([\d.]+)(bit|Kbit|Mbit|Gbit|Tbit)$/.exec(text);
  if (!m) throw new Error(`tc printed a rate virtnet cannot read: '${text}'`);
  return Number(m[1]) * { bit: 1, Kbit: 1e3, Mbit: 1e6, Gbit: 1e9, Tbit: 1e12 }[m[2] as "bit"];
}

/** tc prints sizes in binary units of bytes. */
export function parseTcSize(text: string): number {
  const m = /^([\d.]+)(b|Kb|Mb|Gb)$/.exec(text);
  if (!m) throw new Error(`tc printed a size virtnet cannot read: '${text}'`);
  return Number(m[1]) * { b: 1, Kb: 1024, Mb: 1024 ** 2, Gb: 1024 ** 3 }[m[2] as "b"];
}

export type { TcClass, TcFilter, TcQdisc, TcU32Match } from "../net/tc";

const qdiscJson = z.array(
  z.object({ kind: z.string(), handle: z.string(), parent: z.string().optional(), options: z.object({ default: z.union([z.string(), z.number()]).optional() }).loose().optional() }),
);

/** htb's `default` is a hex string in tc's JSON ("0x1"), written back as the class minor in hex ("1"). */
export function parseTcQdiscs(json: string): TcQdisc[] {
  return parseJsonOutput(json, qdiscJson, "tc -j qdisc show").map((q) => {
    const out: TcQdisc = { kind: q.kind, handle: q.handle, parent: q.parent };
    const d = q.options?.default;
    if (q.kind === "htb" && d !== undefined) out.defaultClass = Number(d).toString(16);
    return out;
  });
}

const field = (line: string, name: string): string | undefined => new RegExp(`(?:^|\\s)${name} (\\S+)`).exec(line)?.[1];

export function parseTcClasses(text: string): TcClass[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("class htb "))
    .map((l) => ({
      classId: l.split(/\s+/)[2],
      parent: field(l, "parent"),
      rateBits: parseTcRate(field(l, "rate")!),
      ceilBits: parseTcRate(field(l, "ceil")!),
      // `tc -d` prints "burst 4Kb/1" and the quantum; plain `tc` neither.
      burstBytes: parseTcSize(field(l, "burst")!.split("/")[0]),
      ...(field(l, "quantum") !== undefined ? { quantum: Number(field(l, "quantum")) } : {}),
    }));
}

/** u32 filters with a node handle (fh 800::N); the hash-table lines (fh 800:) are not filters of anyone's. */
export function parseTcFilters(text: string): TcFilter[] {
  const filters: TcFilter[] = [];
  let current: TcFilter | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("filter ")) {
      current = undefined;
      const handle = field(line, "fh");
      if (!handle || !/::/.test(handle)) continue;
      current = { handle, pref: Number(field(line, "pref") ?? 0), flowid: field(line, "\\*?flowid"), matches: [] };
      filters.push(current);
      continue;
    }
    if (!current) continue;
    const match = /^\s+match ([0-9a-f]{8})\/([0-9a-f]{8}) at (-?\d+)/.exec(line);
    if (match) current.matches.push({ value: match[1], mask: match[2], offset: Number(match[3]) });
    const police = /police \S+ rate (\S+) burst (\S+)/.exec(line);
    if (police) current.police = { rateBits: parseTcRate(police[1]), burstBytes: parseTcSize(police[2]) };
    const redirect = /mirred \(Egress Redirect to device (\S+)\)/.exec(line);
    if (redirect) current.redirectTo = redirect[1];
  }
  return filters;
}

/**
 * One device's `tc -d -batch` report of `class show`, `filter show` and `filter show parent ffff:` (one process per
 * device, not three): egress filters print their parent, ingress ones (asked for by parent) do not.
 */
export function splitTcDeviceReport(text: string): { classes: string; filters: string; ingress: string } {
  const classes: string[] = [];
  const filters: string[] = [];
  const ingress: string[] = [];
  let into = classes;
  for (const line of text.split("\n")) {
    if (line.startsWith("class ")) into = classes;
    else if (line.startsWith("filter parent ")) into = filters;
    else if (line.startsWith("filter ")) into = ingress;
    into.push(line);
  }
  return { classes: classes.join("\n"), filters: filters.join("\n"), ingress: ingress.join("\n") };
}

/** The guest MAC a floor filter selects (destination MAC at -14..-9, widened by the kernel to words at -16 and -12). */
export function filterDestinationMac(f: TcFilter): string | undefined {
  const high = f.matches.find((m) => m.offset === -16 && m.mask === "0000ffff");
  const low = f.matches.find((m) => m.offset === -12 && m.mask === "ffffffff");
  if (!high || !low) return undefined;
  return (high.value.slice(4) + low.value).match(/../g)!.join(":");
}
