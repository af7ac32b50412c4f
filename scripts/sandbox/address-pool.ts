// Picks the /30 for a sandbox's veth pair from 198.18.0.0/15 (RFC 2544's benchmarking range, so never a real
// network), avoiding every IPv4 prefix already configured in the root namespace.
import { randomInt } from "node:crypto";
import { z } from "zod";
import { parseJsonOutput } from "../../provider/iproute2/parse-json";
import { run } from "./exec";

const POOL_BASE = ipv4ToInt("198.18.0.0");
const POOL_BLOCKS = 2 ** (32 - 15) / 4;
const ATTEMPTS = 200;

const addrShow = z.array(
  z.object({
    addr_info: z.array(z.object({ family: z.string(), local: z.string().optional(), address: z.string().optional(), prefixlen: z.number().int() })).default([]),
  }),
);

export function ipv4ToInt(a: string): number {
  const parts = a.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${a}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Prefixes in use in the root namespace, including the peer address of point-to-point links. */
async function prefixesInUse(): Promise<Array<{ base: number; len: number }>> {
  const links = parseJsonOutput(await run(["ip", "-j", "-4", "addr", "show"]), addrShow, "ip -j -4 addr show");
  return links.flatMap((l) =>
    l.addr_info
      .filter((i) => i.family === "inet")
      .flatMap((i) => [i.local, i.address].filter((a): a is string => a !== undefined).map((a) => ({ base: ipv4ToInt(a), len: i.prefixlen }))),
  );
}

function overlaps(block: number, used: { base: number; len: number }): boolean {
  // Two prefixes overlap when they agree on the shorter of their lengths (the block's is 30).
  const len = Math.min(used.len, 30);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((block & mask) >>> 0) === ((used.base & mask) >>> 0);
}

/**
 * A free /30 as [root-side address, namespace-side address]. Only unique while the caller holds the allocation
 * lock until the root-side address is configured: the kernel happily assigns one address to two interfaces.
 */
export async function allocateBlock(): Promise<[string, string]> {
  const used = await prefixesInUse();
  for (let i = 0; i < ATTEMPTS; i++) {
    const block = POOL_BASE + randomInt(POOL_BLOCKS) * 4;
    if (!used.some((u) => overlaps(block, u))) return [intToIpv4(block + 1), intToIpv4(block + 2)];
  }
  throw new Error(`could not find a free /30 in 198.18.0.0/15 after ${ATTEMPTS} tries`);
}
