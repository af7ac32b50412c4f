// Namespaces around a sandbox host for forward-mode traffic tests: guests on veth ports of a bridge, and a "WAN"
// beyond the host's second uplink. Each is named after the host's namespace, so destroying a sandbox removes it too
// (removeAttached does it for any other host).
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
/** A host the rig attaches to: a sandbox host, or the namespace of a libvirt peer. */
export interface RigHost {
  namespace: string;
  execInNamespace(argv: string[]): string;
}

const PROBE = path.join(__dirname, "tcp-probe.py");
const PORT = "5002";

function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export interface Endpoint {
  ns: string;
  address: string;
}

/**
 * A guest's namespace, named after the host's so that destroying the sandbox removes it too, on a veth whose other end
 * is a port of `bridge`; its end is `dev`, up, with the MAC given if any.
 */
export function attachNamespace(sb: RigHost, id: string, bridge: string, mac?: string): { ns: string; dev: string } {
  const ns = `${sb.namespace}-${id}`;
  const [hostEnd, dev] = [`${id}h`, `${id}g`];
  sh(["ip", "netns", "add", ns]);
  sb.execInNamespace(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", dev]);
  sb.execInNamespace(["ip", "link", "set", dev, "netns", ns]);
  sb.execInNamespace(["ip", "link", "set", hostEnd, "master", bridge]);
  sb.execInNamespace(["ip", "link", "set", hostEnd, "up"]);
  if (mac) sh(["ip", "-n", ns, "link", "set", dev, "address", mac]);
  sh(["ip", "-n", ns, "link", "set", dev, "up"]);
  sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  return { ns, dev };
}

/** A guest: a namespace whose veth's other end is a port of `bridge` on the sandbox host, default route via `gateway`. */
export function addGuest(sb: RigHost, id: string, bridge: string, cidr: string, gateway: string): Endpoint {
  const { ns, dev: guestEnd } = attachNamespace(sb, id, bridge);
  sh(["ip", "-n", ns, "addr", "add", cidr, "dev", guestEnd]);
  sh(["ip", "-n", ns, "route", "add", "default", "via", gateway]);
  return { ns, address: cidr.split("/")[0] };
}

/**
 * A WAN: a namespace on a veth from the sandbox host (`wan0`, hostAddress) to the WAN (wanAddress), a /24 of
 * TEST-NET-3. With `routeTo`, the WAN routes those subnets back through the host (what a routed network needs).
 */
export function addWan(sb: RigHost, routeTo: string[] = []): { wan: Endpoint; hostAddress: string; routeBack(cidr: string): void } {
  const ns = `${sb.namespace}-wan`;
  const [hostAddress, wanAddress] = ["203.0.113.1", "203.0.113.2"];
  sh(["ip", "netns", "add", ns]);
  sb.execInNamespace(["ip", "link", "add", "wan0", "type", "veth", "peer", "name", "wan0p"]);
  sb.execInNamespace(["ip", "link", "set", "wan0p", "netns", ns]);
  sb.execInNamespace(["ip", "addr", "add", `${hostAddress}/24`, "dev", "wan0"]);
  sb.execInNamespace(["ip", "link", "set", "wan0", "up"]);
  sh(["ip", "-n", ns, "addr", "add", `${wanAddress}/24`, "dev", "wan0p"]);
  sh(["ip", "-n", ns, "link", "set", "wan0p", "up"]);
  sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
  const routeBack = (cidr: string) => void sh(["ip", "-n", ns, "route", "replace", cidr, "via", hostAddress]);
  routeTo.forEach(routeBack);
  return { wan: { ns, address: wanAddress }, hostAddress, routeBack };
}

/**
 * One TCP connection from `from` to `to` (a server started for it and stopped after), bounded by timeouts: what
 * the server saw as the client's address ("seen A"), or why no connection was made ("refused", "timeout", …).
 */
export async function tcpCheck(from: Endpoint, to: Endpoint, timeoutSeconds = 3): Promise<string> {
  const server = spawn("ip", ["netns", "exec", to.ns, "python3", PROBE, "serve", PORT, String(timeoutSeconds + 5)]);
  let out = "";
  server.stdout.on("data", (d: Buffer) => (out += d));
  const closed = new Promise((r) => server.on("close", r));
  try {
    const deadline = Date.now() + 10_000;
    while (!out.includes("ready")) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the TCP server in ${to.ns} did not start`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = spawnSync("ip", ["netns", "exec", from.ns, "python3", PROBE, "connect", to.address, PORT, String(timeoutSeconds)], { encoding: "utf8", timeout: (timeoutSeconds + 10) * 1000 });
    return r.stdout.trim() || `error: ${r.stderr.trim()}`;
  } finally {
    server.kill("SIGKILL");
    await closed;
  }
}

/** Deletes the namespaces attached to a host's namespace (guests, the WAN), whatever their state. */
export function removeAttached(host: RigHost): void {
  const listed = spawnSync("ip", ["-j", "netns", "list"], { encoding: "utf8" }).stdout;
  const names = (JSON.parse(listed.trim() || "[]") as Array<{ name: string }>).map((n) => n.name).filter((n) => n.startsWith(`${host.namespace}-`));
  for (const n of names) spawnSync("ip", ["netns", "del", n]);
}
