// DHCP guests for the DHCP/DNS tests: a namespace on a veth port of a network's bridge, with a chosen MAC, that asks
// for its address with busybox's udhcpc (a real DHCP client, bounded by timeouts) and queries DNS with dig.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { attachNamespace, type RigHost } from "./forward-rig";

const REPORT = path.join(__dirname, "udhcpc-report.sh");

function run(argv: string[], timeoutMs = 20_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? r.error?.message ?? "" };
}

export interface DhcpGuest {
  ns: string;
  dev: string;
  mac: string;
}

/** What a DHCP server handed out, as udhcpc's event script printed it. */
export interface DhcpOffer {
  ip: string;
  prefix: number;
  hostname: string;
  leaseSeconds: number;
  router: string;
  dns: string;
  domain: string;
}

/** A guest without an address, with the MAC its DHCP server knows it by. */
export function addDhcpGuest(sb: RigHost, id: string, bridge: string, mac: string): DhcpGuest {
  return { ...attachNamespace(sb, id, bridge, mac), mac };
}

/**
 * One DHCP exchange (discover, offer, request, ack), at most ~10 s; undefined when no server answered. `hostname`
 * is sent as the client's name (option 12), as a guest's DHCP client does.
 */
export function requestLease(g: DhcpGuest, hostname?: string): DhcpOffer | undefined {
  const argv = ["ip", "netns", "exec", g.ns, "busybox", "udhcpc", "-i", g.dev, "-n", "-q", "-f", "-t", "4", "-T", "2", "-s", REPORT];
  if (hostname) argv.push("-x", `hostname:${hostname}`);
  const r = run(argv, 30_000);
  const line = r.stdout.split("\n").find((l) => l.startsWith("bound "));
  if (!line) return undefined;
  const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(line)?.[1] ?? "";
  return { ip: field("ip"), prefix: Number(field("mask")), hostname: field("hostname"), leaseSeconds: Number(field("lease")), router: field("router"), dns: field("dns"), domain: field("domain") };
}

/** The addresses a DNS query for `name` returns from `server`, asked from inside the guest (empty: none). */
export function resolve(g: DhcpGuest, server: string, name: string, type = "A"): string[] {
  const r = run(["ip", "netns", "exec", g.ns, "dig", "+short", "+time=2", "+tries=2", `@${server}`, name, type], 15_000);
  if (r.status !== 0) throw new Error(`dig ${name} @${server} from ${g.ns} failed: ${r.stdout}${r.stderr}`);
  return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
}

const DHCP6_CLIENT = path.join(__dirname, "dhcp6-client.py");

/** What a DHCPv6 server handed out, as dhcp6-client.py printed it. */
export interface Dhcp6Lease {
  ip: string;
  iaid: number;
  /** The client's DUID-LL, made from its MAC: 00:03:00:01 and the MAC. */
  duid: string;
  validSeconds: number;
}

/** One DHCPv6 exchange (solicit, advertise, request, reply) for an address, once the guest's link-local address is usable. */
export async function requestLease6(g: DhcpGuest, timeoutSeconds = 10): Promise<Dhcp6Lease | undefined> {
  // The client sends from the link-local address, which the kernel holds back until duplicate detection is done.
  for (let i = 0; i < 100 && run(["ip", "-n", g.ns, "-6", "addr", "show", "dev", g.dev, "tentative"]).stdout.trim() !== ""; i++) await new Promise((r) => setTimeout(r, 100));
  const r = run(["ip", "netns", "exec", g.ns, "python3", DHCP6_CLIENT, g.dev, g.mac, String(timeoutSeconds)], (timeoutSeconds + 10) * 1000);
  const m = /^bound ip=(\S+) iaid=(\d+) duid=(\S+) valid=(\d+)$/m.exec(r.stdout);
  return m ? { ip: m[1], iaid: Number(m[2]), duid: m[3], validSeconds: Number(m[4]) } : undefined;
}
