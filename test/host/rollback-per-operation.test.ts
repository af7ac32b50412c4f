// Rollback of every kind of operation against a real kernel (docs/architecture.md §3.2–§3.3), in pyroute2's shape:
// for each kind, a precondition is set up in the sandbox namespace, the kernel state is recorded with iproute2's own
// JSON and tc's text (never through the provider's parsers), the operation is applied followed by one that fails, and
// the state must be exactly the recorded one again; then the operation alone must really take effect. The dnsmasq
// operations act on this machine's filesystem (the sandbox shares it) and start real processes, so their state is
// read from virtnet's dnsmasq directories and /proc, for bridges named rpdm* only.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApplyError, Host } from "../../provider/host/host";
import { quoteArgv } from "../../provider/exec/quote";
import { renderOperation } from "../../provider/iproute2/render-operation";
import type { DnsmasqFiles, Operation, OperationKind, RouteSpec } from "../../provider/net/operation";
import { DNSMASQ_RUN_DIR, DNSMASQ_STATE_DIR, dnsmasqPaths } from "../../provider/dnsmasq/dnsmasq-paths";
import type { DhcpStaticHost, DnsHostRecord } from "../../provider/dnsmasq/dnsmasq-config";
import { dnsmasqFilesOf } from "../../provider/resources/network/dnsmasq-plan";
import { inverseOf } from "../../provider/plan/inverse";
import { planNetworkRules, type NftRule } from "../../provider/net/firewall-rule";
import { LocalShell } from "../support/local-shell";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { jsonList, jsonNormalizer } from "../support/kernel-state";

let sb: Sandbox;
let host: Host;
let dir: string;
/** What this kernel has, found by trying each feature in the namespace (independently of the provider's probe). */
let kernel: { sfq: boolean; fw: boolean; police: boolean };

/** Runs argv in the sandbox namespace; throws with stderr on failure. */
function ns(argv: string[]): string {
  if (typeof sb.execInNamespace === "function") return sb.execInNamespace(argv);
  const r = spawnSync("ip", ["netns", "exec", sb.namespace, ...argv], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}
const sh = (script: string) => ns(["sh", "-ec", script]);
/** Whether a path exists as the namespace sees it (its own /sys). */
const nsPathExists = (p: string) => sh(`if [ -e '${p}' ]; then echo yes; else echo no; fi`).trim() === "yes";

beforeAll(async () => {
  // What an interrupted earlier run left would be counted as state, and its dnsmasq would hold the DHCP port.
  removeDnsmasqOf(dnsmasqBridgesOnHost());
  sb = await createSandbox();
  host = new Host(new LocalShell(sb.namespace));
  // The sandbox's own uplink finishes IPv6 duplicate address detection a moment after creation: let it settle, so
  // that no state compared below changes by itself.
  for (let i = 0; i < 100 && sh("ip -6 addr show tentative").trim() !== ""; i++) await new Promise((r) => setTimeout(r, 100));
  expect(sh("ip -6 addr show tentative")).toBe("");
  dir = mkdtempSync(path.join(os.tmpdir(), "virtnet-rollback-"));
  const tries = (script: string) => {
    try {
      sh(`ip link add rpprobe type ifb; trap 'ip link del rpprobe' EXIT; ${script}`);
      return true;
    } catch {
      return false;
    }
  };
  const htb = "tc qdisc add dev rpprobe root handle 1: htb default 1; tc class add dev rpprobe parent 1: classid 1:1 htb rate 1kbps";
  kernel = {
    sfq: tries(`${htb}; tc qdisc add dev rpprobe parent 1:1 handle 2: sfq perturb 10`),
    fw: tries(`${htb}; tc filter add dev rpprobe parent 1:0 protocol all prio 1 handle 1 fw flowid 1`),
    police: tries("tc qdisc add dev rpprobe ingress; tc filter add dev rpprobe parent ffff: protocol all u32 match u32 0 0 police rate 1kbps burst 1kb mtu 64kb drop flowid :1"),
  };
});
afterAll(async () => {
  // Each row cleans up after itself; this catches a row that failed before its clean-up knew what it had started.
  removeDnsmasqOf(dnsmasqBridgesOnHost());
  if (dir) rmSync(dir, { recursive: true, force: true });
  await sb?.destroy();
});

// ---- the kernel state, read independently ---------------------------------------------------------------------

/**
 * Values that change by themselves (timers), name an object rather than describe it (ifindex of a recreated link), or
 * that the kernel derives from a bridge's current ports (its offload limits, which stay raised after a port leaves).
 */
const VOLATILE = /^(ifindex|link_index|.*_timer|[gt]so_max_(size|segs)|gro_max_size|g[rs]o_ipv4_max_size)$/;
/** tc actions are numbered by the kernel, which frees a deleted action's index only later: an id, not a setting. */
const tcText = (text: string) => text.replace(/\bindex \d+ ref/g, "index _ ref");
const { normalized, sorted } = jsonNormalizer(VOLATILE);

const STATE_SCRIPT = `
echo @@link; ip -j -d link show
echo @@addr; ip -j addr show
echo @@route4; ip -j -d -4 route show table all
echo @@route6; ip -j -d -6 route show table all
echo @@brlink; bridge -j -d link show
echo @@fdb; bridge -j fdb show
echo @@nft; nft list ruleset
echo @@sysctl; for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv6/conf/*/disable_ipv6 /proc/sys/net/ipv6/conf/*/accept_ra /proc/sys/net/ipv6/conf/*/autoconf; do printf '%s=' "$f"; cat "$f"; done
echo @@tc; for d in /sys/class/net/*; do d=\${d##*/}; echo "== $d"; tc -d qdisc show dev "$d"; echo "-- class"; tc -d class show dev "$d"; echo "-- filter"; tc -d filter show dev "$d"; echo "-- ingress"; tc -d filter show dev "$d" parent ffff: 2>&1; done
`;

interface KernelState {
  links: Record<string, unknown>;
  addresses: Record<string, unknown>;
  routes: string[];
  bridgePorts: string[];
  fdb: string[];
  sysctl: string[];
  nft: string;
  tc: string;
  /** The temp dir's files by path relative to it, in nested directories too. */
  files: Record<string, { content: string; mode: string }>;
  /** The temp dir's directories by relative path with a trailing "/", and their modes: a pruning remove takes them away. */
  dirs: Record<string, string>;
  dnsmasq: DnsmasqState;
}

function state(): KernelState {
  const out = sh(STATE_SCRIPT);
  const sections = new Map(out.split(/^@@/m).slice(1).map((s) => [s.slice(0, s.indexOf("\n")), s.slice(s.indexOf("\n") + 1)] as const));
  const section = (n: string) => sections.get(n) ?? "";
  const byName = (items: unknown[]) => Object.fromEntries(items.map((i) => [(i as { ifname: string }).ifname, normalized(i)]));
  const files: KernelState["files"] = {};
  const dirs: KernelState["dirs"] = {};
  const walk = (rel: string) => {
    for (const f of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${f}` : f;
      const st = statSync(path.join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        dirs[`${r}/`] = mode;
        walk(r);
      } else {
        files[r] = { content: readFileSync(path.join(dir, r), "utf8"), mode };
      }
    }
  };
  walk("");
  return {
    links: byName(jsonList(section("link"))),
    addresses: Object.fromEntries(jsonList(section("addr")).map((l) => [(l as { ifname: string }).ifname, normalized((l as { addr_info: unknown }).addr_info)])),
    routes: [...sorted(jsonList(section("route4"))), ...sorted(jsonList(section("route6")))],
    bridgePorts: sorted(jsonList(section("brlink"))),
    fdb: sorted(jsonList(section("fdb"))),
    sysctl: section("sysctl").trim().split("\n"),
    nft: section("nft"),
    tc: tcText(section("tc")),
    files,
    dirs,
    dnsmasq: dnsmasqState(),
  };
}

// ---- the dnsmasq rows' state on this machine, read independently -------------------------------------------------

/** The dnsmasq rows' bridges: state() and the clean-ups look at nothing else under virtnet's dnsmasq directories. */
const DM = "rpdm";
const DM_CONF = new RegExp(`^--conf-file=${DNSMASQ_STATE_DIR}/(${DM}[0-9a-z]*)\\.conf$`);

interface DnsmasqState {
  /** Every file and directory of the rows' bridges, by path (a directory ends in "/"). A pid file's content is left out: a restart changes it. */
  files: Record<string, { content?: string; mode: string }>;
  /** The bridges whose pid file names a live dnsmasq started with their configuration. */
  running: string[];
  /** One entry per live dnsmasq process of a row's bridge, found in /proc whatever the pid files say (a leaked one shows here). */
  processes: string[];
}

/** A process's argv, or [] once it is gone or a zombie (the kernel empties a dying process's command line). */
function argvOf(pid: string | number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
  } catch {
    return [];
  }
}

/** The row bridges' dnsmasq processes by pid, from /proc. */
function dnsmasqProcesses(): Map<number, string> {
  const out = new Map<number, string>();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    const argv = argvOf(pid);
    if (path.basename(argv[0] ?? "") !== "dnsmasq") continue;
    const bridge = argv.map((a) => DM_CONF.exec(a)?.[1]).find((b) => b !== undefined);
    if (bridge) out.set(Number(pid), bridge);
  }
  return out;
}

/** Entries of one of virtnet's dnsmasq directories that belong to a row's bridge. */
const rowEntries = (root: string) => (existsSync(root) ? readdirSync(root).filter((f) => f.startsWith(DM)).sort() : []);

function dnsmasqState(): DnsmasqState {
  const files: DnsmasqState["files"] = {};
  const walk = (p: string) => {
    const st = lstatSync(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      files[`${p}/`] = { mode };
      for (const f of readdirSync(p).sort()) walk(path.join(p, f));
    } else {
      files[p] = p.endsWith(".pid") ? { mode } : { content: readFileSync(p, "utf8"), mode };
    }
  };
  for (const root of [DNSMASQ_STATE_DIR, DNSMASQ_RUN_DIR]) for (const f of rowEntries(root)) walk(path.join(root, f));
  const running = rowEntries(DNSMASQ_RUN_DIR)
    .filter((f) => f.endsWith(".pid"))
    .map((f) => f.slice(0, -".pid".length))
    .filter((b) => argvOf(readFileSync(dnsmasqPaths(b).pidFile, "utf8").trim()).includes(`--conf-file=${dnsmasqPaths(b).conf}`));
  return { files, running, processes: [...dnsmasqProcesses().values()].sort() };
}

/** Alive and not yet a zombie: a killed process closes its sockets only on the way to becoming one. */
function holdsFiles(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

/** The row bridges that have a file or a process on this machine. */
function dnsmasqBridgesOnHost(): string[] {
  const names = [...rowEntries(DNSMASQ_STATE_DIR), ...rowEntries(DNSMASQ_RUN_DIR)].map((f) => f.slice(0, f.indexOf(".")));
  return [...new Set([...names, ...dnsmasqProcesses().values()])];
}

/** Kills the bridges' dnsmasq (and waits until it has let go of its ports), then removes every file of theirs. */
function removeDnsmasqOf(bridges: readonly string[]): void {
  const victims = [...dnsmasqProcesses()].filter(([, b]) => bridges.includes(b)).map(([pid]) => pid);
  for (const pid of victims) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && victims.some(holdsFiles); i++) spawnSync("sleep", ["0.05"]);
  for (const root of [DNSMASQ_STATE_DIR, DNSMASQ_RUN_DIR]) {
    for (const f of rowEntries(root).filter((f) => bridges.includes(f.slice(0, f.indexOf("."))))) rmSync(path.join(root, f), { recursive: true, force: true });
  }
}

// Independent readings for the effect checks.
type Link = { ifname: string; address?: string; mtu: number; flags: string[]; master?: string; ifalias?: string; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } };
const link = (s: KernelState, name: string) => s.links[name] as Link | undefined;
const addrs = (s: KernelState, name: string) => (s.addresses[name] ?? []) as Array<{ local: string; prefixlen: number; broadcast?: string }>;
const routes = (s: KernelState) => s.routes.map((r) => JSON.parse(r) as { dst: string; gateway?: string; dev: string; protocol?: string; metric?: number });
const port = (s: KernelState, name: string) => s.bridgePorts.map((p) => JSON.parse(p) as Record<string, unknown>).find((p) => p.ifname === name);
const fdb = (s: KernelState, name: string) => s.fdb.map((e) => JSON.parse(e) as { mac: string; ifname: string; master?: string; state?: string }).filter((e) => e.ifname === name);
const sysctl = (s: KernelState, dev: string, key: string) => s.sysctl.find((l) => l.startsWith(`/proc/sys/net/ipv6/conf/${dev}/${key}=`))?.split("=")[1];
/** tc's text for one device, with its four parts. */
function tcOf(s: KernelState, dev: string): { qdisc: string; class: string; filter: string; ingress: string } {
  const block = s.tc.split(/^== /m).find((b) => b.startsWith(`${dev}\n`)) ?? "";
  const [head = "", rest = ""] = block.split("-- class\n");
  const [cls = "", rest2 = ""] = rest.split("-- filter\n");
  const [filter = "", ingress = ""] = rest2.split("-- ingress\n");
  return { qdisc: head.slice(dev.length + 1), class: cls, filter, ingress };
}

// ---- the table ------------------------------------------------------------------------------------------------

/** One kind of operation, set up, applied and checked. */
interface Case {
  /** Shell run in the namespace first: the precondition. */
  setup?: string;
  /** Files written under the temp dir first (name → content, mode). */
  files?: Record<string, { content: string; mode: number }>;
  /**
   * Operations the plan runs before the one under test: when it has no inverse of its own (it goes with them), or
   * when it needs an object the same plan creates (a network's dnsmasq on the bridge it has just made).
   */
  before?: Operation[];
  op: Operation;
  /** Links to delete afterwards, whatever happened. */
  devices: string[];
  /** Bridges whose dnsmasq to kill, and whose files to remove, afterwards, whatever happened. */
  dnsmasq?: string[];
  /** The operation applied alone changed what it should. */
  effect(s: KernelState): void;
  /** The kernel lacks what the operation needs: it must fail by itself and leave everything as it was. */
  refused?: RegExp;
  /** Whether the operation is skipped on this host (its requiresPath is absent): then applying it changes nothing. */
  skipped?: () => boolean;
}
interface Row {
  kind: OperationKind;
  title: string;
  make(): Case;
}

const MAC = (n: number) => `52:54:00:7a:00:${n.toString(16).padStart(2, "0")}`;
const tap = (name: string, more = "") => `ip tuntap add dev ${name} mode tap${more ? `; ${more}` : ""}`;
const bridge = (name: string, more = "") => `ip link add ${name} type bridge${more ? `; ${more}` : ""}`;
const htbRoot = (dev: string, defaultClass = "1") => `tc qdisc add dev ${dev} root handle 1: htb default ${defaultClass}`;
const floorFilter = (dev: string, id: number, mac: string) => {
  const hex = mac.replace(/:/g, "");
  return `tc filter add dev ${dev} protocol ip prio 2 handle 800::${800 + id} u32 match u16 0x0800 0xffff at -2 match u32 0x${hex.slice(4)} 0xffffffff at -12 match u16 0x${hex.slice(0, 4)} 0xffff at -14 flowid 1:${id.toString(16)}`;
};
const abs = (f: string) => path.join(dir, f);
/** A network's firewall as virtnet writes it, for preconditions (the table and its chains are never removed). */
const firewall = (bridge: string, rules: NftRule[]) => quoteArgv(renderOperation({ op: "firewallReplace", bridge, subnets: ["10.50.0.0/24"], rules }).argv);
const RP_SUBNET = [{ family: "ipv4" as const, cidr: "10.50.0.0/24" }];
const rpRules = (bridge: string, mode: "isolated" | "nat" | "route") => planNetworkRules(bridge, { mode }, RP_SUBNET);
/** A route as virtnet adds it (its protocol marks it as virtnet's), for preconditions. */
const route = (o: { name: string } & RouteSpec) => quoteArgv(renderOperation({ op: "routeAdd", ...o }).argv);
/**
 * A network's dnsmasq files as virtnet renders them: DHCP on 10.60.N.10 - 10.60.N.END of an isolated bridge. Each
 * row has its own subnet and bridge, so that no row's dnsmasq could ever answer another's.
 */
const dmFiles = (br: string, n: number, more: { end?: number; hosts?: DhcpStaticHost[]; records?: DnsHostRecord[] } = {}): DnsmasqFiles =>
  dnsmasqFilesOf({
    networkName: br,
    bridge: br,
    isolated: true,
    ips: [{ address: `10.60.${n}.1`, prefix: 24, dhcp: { ranges: [{ start: `10.60.${n}.10`, end: `10.60.${n}.${more.end ?? 20}` }], ...(more.hosts ? { hosts: more.hosts } : {}) } }],
    ...(more.records ? { dns: { hosts: more.records } } : {}),
  });
/** A bridge with the address its dnsmasq binds: dnsmasq needs both before it starts. */
const dmBridge = (br: string, n: number) => bridge(br, `ip link set dev ${br} up; ip addr add 10.60.${n}.1/24 broadcast 10.60.${n}.255 dev ${br}`);
/** A network's dnsmasq started as virtnet starts it, for preconditions. */
const dmStart = (br: string, files: DnsmasqFiles) => quoteArgv(renderOperation({ op: "dnsmasqStart", bridge: br, files, from: null }).argv);
/** The row's file under virtnet's state directory, as state() keys it. */
const dmFile = (s: KernelState, br: string, suffix: string) => s.dnsmasq.files[`${DNSMASQ_STATE_DIR}/${br}.${suffix}`];
/** A reservation line as a DhcpHost writes it into its network's hosts directory, for the row on 10.60.N.0/24. */
const RESERVATION = (n: number) => `${MAC(n)},10.60.${n}.30,vm${n}\n`;

const rows: Row[] = [
  // Links.
  { kind: "linkAddBridge", title: "adding a bridge", make: () => ({
      op: { op: "linkAddBridge", name: "rpbr1", mac: MAC(1) }, devices: ["rpbr1"],
      effect: (s) => expect(link(s, "rpbr1")).toMatchObject({ address: MAC(1), linkinfo: { info_kind: "bridge" } }) }) },
  { kind: "ifbAdd", title: "adding an ifb", make: () => ({
      op: { op: "ifbAdd", name: "rpifb2" }, devices: ["rpifb2"],
      effect: (s) => expect(link(s, "rpifb2")?.linkinfo?.info_kind).toBe("ifb") }) },
  { kind: "tapAdd", title: "adding a persistent tap", make: () => ({
      op: { op: "tapAdd", name: "rptap3" }, devices: ["rptap3"],
      effect: (s) => expect(link(s, "rptap3")?.linkinfo).toMatchObject({ info_kind: "tun", info_data: { type: "tap", persist: true } }) }) },
  { kind: "linkDel", title: "deleting a bridge with what restores it", make: () => ({
      setup: bridge("rpbr4", `ip link set dev rpbr4 address ${MAC(4)}; ip link set dev rpbr4 alias virtnet; ip link set dev rpbr4 mtu 1400; ip link set dev rpbr4 up`),
      op: { op: "linkDel", name: "rpbr4", restore: [
        { op: "linkAddBridge", name: "rpbr4", mac: MAC(4) }, { op: "linkSetAlias", name: "rpbr4", alias: "virtnet" },
        { op: "linkSetMtu", name: "rpbr4", mtu: 1400 }, { op: "linkSetUp", name: "rpbr4" }] },
      devices: ["rpbr4"], effect: (s) => expect(link(s, "rpbr4")).toBeUndefined() }) },
  { kind: "tapDel", title: "deleting a tap with what restores it", make: () => ({
      setup: tap("rptap5", "ip link set dev rptap5 address fe:54:00:7a:00:05; ip link set dev rptap5 alias virtnet"),
      op: { op: "tapDel", name: "rptap5", restore: [
        { op: "tapAdd", name: "rptap5" }, { op: "linkSetAddress", name: "rptap5", mac: "fe:54:00:7a:00:05" }, { op: "linkSetAlias", name: "rptap5", alias: "virtnet" }] },
      devices: ["rptap5"], effect: (s) => expect(link(s, "rptap5")).toBeUndefined() }) },
  { kind: "linkSetUp", title: "setting a link up", make: () => ({
      // A link's first up attaches its default root qdisc, which going down again keeps: this tap has been up before.
      setup: tap("rptap6", "ip link set dev rptap6 up; ip link set dev rptap6 down"), op: { op: "linkSetUp", name: "rptap6", from: false }, devices: ["rptap6"],
      effect: (s) => expect(link(s, "rptap6")?.flags).toContain("UP") }) },
  { kind: "linkSetDown", title: "setting a link down", make: () => ({
      setup: tap("rptap7", "ip link set dev rptap7 up"), op: { op: "linkSetDown", name: "rptap7", from: true }, devices: ["rptap7"],
      effect: (s) => expect(link(s, "rptap7")?.flags).not.toContain("UP") }) },
  { kind: "linkSetMtu", title: "changing the MTU", make: () => ({
      setup: tap("rptap8"), op: { op: "linkSetMtu", name: "rptap8", mtu: 9000, from: 1500 }, devices: ["rptap8"],
      effect: (s) => expect(link(s, "rptap8")?.mtu).toBe(9000) }) },
  { kind: "linkSetAddress", title: "changing the MAC", make: () => ({
      setup: tap("rptap9", "ip link set dev rptap9 address fe:54:00:7a:00:09"),
      op: { op: "linkSetAddress", name: "rptap9", mac: "fe:54:00:7a:00:99", from: "fe:54:00:7a:00:09" }, devices: ["rptap9"],
      effect: (s) => expect(link(s, "rptap9")?.address).toBe("fe:54:00:7a:00:99") }) },
  { kind: "linkSetAlias", title: "changing an alias", make: () => ({
      setup: tap("rptap10", "ip link set dev rptap10 alias before"),
      op: { op: "linkSetAlias", name: "rptap10", alias: "virtnet", from: "before" }, devices: ["rptap10"],
      effect: (s) => expect(link(s, "rptap10")?.ifalias).toBe("virtnet") }) },
  { kind: "linkSetAlias", title: "giving an alias to a link that had none (from the empty alias)", make: () => ({
      setup: tap("rptap11"), op: { op: "linkSetAlias", name: "rptap11", alias: "virtnet", from: "" }, devices: ["rptap11"],
      effect: (s) => expect(link(s, "rptap11")?.ifalias).toBe("virtnet") }) },
  { kind: "linkSetMaster", title: "moving a port to another bridge", make: () => ({
      // Bridges with a MAC of their own, as virtnet makes them (one without takes its ports' MAC, and 0 when they go).
      setup: [bridge("rpbr12a", `ip link set dev rpbr12a address ${MAC(0x12)}`), bridge("rpbr12b", `ip link set dev rpbr12b address ${MAC(0x13)}`), tap("rptap12", "ip link set dev rptap12 master rpbr12a")].join("; "),
      op: { op: "linkSetMaster", name: "rptap12", master: "rpbr12b", from: "rpbr12a" }, devices: ["rptap12", "rpbr12a", "rpbr12b"],
      effect: (s) => expect(link(s, "rptap12")?.master).toBe("rpbr12b") }) },
  // Bridge settings and ports.
  { kind: "bridgeSetForwardDelay", title: "changing a bridge's forward delay", make: () => ({
      setup: bridge("rpbr13", "ip link set dev rpbr13 type bridge forward_delay 1500"),
      op: { op: "bridgeSetForwardDelay", name: "rpbr13", centiseconds: 300, from: 1500 }, devices: ["rpbr13"],
      effect: (s) => expect(link(s, "rpbr13")?.linkinfo?.info_data?.forward_delay).toBe(300) }) },
  { kind: "bridgeSetStp", title: "turning STP on", make: () => ({
      setup: bridge("rpbr14", "ip link set dev rpbr14 type bridge stp_state 0"),
      op: { op: "bridgeSetStp", name: "rpbr14", on: true, from: false }, devices: ["rpbr14"],
      effect: (s) => expect(link(s, "rpbr14")?.linkinfo?.info_data?.stp_state).toBe(1) }) },
  { kind: "bridgeSetVlanFiltering", title: "turning VLAN filtering on (skipped where the kernel has no vlan_filtering)", make: () => ({
      setup: bridge("rpbr15"), op: { op: "bridgeSetVlanFiltering", name: "rpbr15", on: true, from: false }, devices: ["rpbr15"],
      skipped: () => !nsPathExists("/sys/class/net/rpbr15/bridge/vlan_filtering"),
      effect: (s) => expect(link(s, "rpbr15")?.linkinfo?.info_data?.vlan_filtering).toBe(1) }) },
  ...(["learning", "flood", "isolated"] as const).map((setting, i): Row => ({
    kind: "bridgePortSet", title: `turning a port's ${setting} ${setting === "isolated" ? "on" : "off"}`, make: () => {
      const [br, t] = [`rpbr${16 + i}`, `rptap${16 + i}`];
      const on = setting === "isolated";
      return {
        setup: [bridge(br), tap(t, `ip link set dev ${t} master ${br}`), `bridge link set dev ${t} ${setting} ${on ? "off" : "on"}`].join("; "),
        op: { op: "bridgePortSet", name: t, setting, on, from: !on }, devices: [t, br],
        effect: (s) => expect(port(s, t)?.[setting]).toBe(on),
      };
    } })),
  { kind: "fdbAdd", title: "adding a guest MAC to the fdb", make: () => ({
      setup: [bridge("rpbr19"), tap("rptap19", "ip link set dev rptap19 master rpbr19")].join("; "),
      op: { op: "fdbAdd", name: "rptap19", mac: MAC(0x19) }, devices: ["rptap19", "rpbr19"],
      effect: (s) => expect(fdb(s, "rptap19")).toContainEqual(expect.objectContaining({ mac: MAC(0x19), master: "rpbr19" })) }) },
  { kind: "fdbDel", title: "removing a guest MAC from the fdb", make: () => ({
      setup: [bridge("rpbr20"), tap("rptap20", "ip link set dev rptap20 master rpbr20"), `bridge fdb add ${MAC(0x20)} dev rptap20 master temp`].join("; "),
      op: { op: "fdbDel", name: "rptap20", mac: MAC(0x20) }, devices: ["rptap20", "rpbr20"],
      effect: (s) => expect(fdb(s, "rptap20").map((e) => e.mac)).not.toContain(MAC(0x20)) }) },
  // Per-device IPv6 sysctls.
  { kind: "ipv6Sysctl", title: "turning accept_ra off", make: () => ({
      setup: bridge("rpbr21", "sysctl -q -w net/ipv6/conf/rpbr21/accept_ra=1"),
      op: { op: "ipv6Sysctl", name: "rpbr21", key: "accept_ra", value: 0, from: 1 }, devices: ["rpbr21"],
      effect: (s) => expect(sysctl(s, "rpbr21", "accept_ra")).toBe("0") }) },
  { kind: "ipv6Sysctl", title: "disabling IPv6 on a bridge", make: () => ({
      setup: bridge("rpbr22", "sysctl -q -w net/ipv6/conf/rpbr22/disable_ipv6=0"),
      op: { op: "ipv6Sysctl", name: "rpbr22", key: "disable_ipv6", value: 1, from: 0 }, devices: ["rpbr22"],
      effect: (s) => expect(sysctl(s, "rpbr22", "disable_ipv6")).toBe("1") }) },
  // Addresses and routes.
  { kind: "addrAdd", title: "adding an IPv4 address", make: () => ({
      setup: bridge("rpbr23", "ip link set dev rpbr23 up"),
      op: { op: "addrAdd", name: "rpbr23", family: "ipv4", address: "10.123.0.1", prefix: 24 }, devices: ["rpbr23"],
      effect: (s) => expect(addrs(s, "rpbr23")).toContainEqual(expect.objectContaining({ local: "10.123.0.1", prefixlen: 24, broadcast: "10.123.0.255" })) }) },
  { kind: "addrAdd", title: "adding an IPv6 address", make: () => ({
      setup: bridge("rpbr24", "ip link set dev rpbr24 up"),
      op: { op: "addrAdd", name: "rpbr24", family: "ipv6", address: "2001:db8:24::1", prefix: 64 }, devices: ["rpbr24"],
      effect: (s) => expect(addrs(s, "rpbr24")).toContainEqual(expect.objectContaining({ local: "2001:db8:24::1", prefixlen: 64 })) }) },
  { kind: "addrDel", title: "removing an IPv4 address", make: () => ({
      setup: bridge("rpbr25", "ip link set dev rpbr25 up; ip addr add 10.125.0.1/24 broadcast 10.125.0.255 dev rpbr25"),
      op: { op: "addrDel", name: "rpbr25", family: "ipv4", address: "10.125.0.1", prefix: 24 }, devices: ["rpbr25"],
      effect: (s) => expect(addrs(s, "rpbr25").map((a) => a.local)).not.toContain("10.125.0.1") }) },
  { kind: "addrDel", title: "removing an IPv6 address", make: () => ({
      setup: bridge("rpbr26", "ip link set dev rpbr26 up; ip -6 addr add 2001:db8:26::1/64 dev rpbr26"),
      op: { op: "addrDel", name: "rpbr26", family: "ipv6", address: "2001:db8:26::1", prefix: 64 }, devices: ["rpbr26"],
      effect: (s) => expect(addrs(s, "rpbr26").map((a) => a.local)).not.toContain("2001:db8:26::1") }) },
  { kind: "routeAdd", title: "adding an IPv4 route", make: () => ({
      setup: bridge("rpbr27", "ip link set dev rpbr27 up; ip addr add 10.127.0.1/24 broadcast 10.127.0.255 dev rpbr27"),
      op: { op: "routeAdd", name: "rpbr27", family: "ipv4", address: "10.227.0.0", prefix: 16, gateway: "10.127.0.10", metric: 1 }, devices: ["rpbr27"],
      effect: (s) => expect(routes(s)).toContainEqual(expect.objectContaining({ dst: "10.227.0.0/16", gateway: "10.127.0.10", dev: "rpbr27", metric: 1 })) }) },
  { kind: "routeAdd", title: "adding an IPv6 route", make: () => ({
      setup: bridge("rpbr28", "ip link set dev rpbr28 up; ip -6 addr add 2001:db8:28::1/64 dev rpbr28"),
      op: { op: "routeAdd", name: "rpbr28", family: "ipv6", address: "2001:db8:128::", prefix: 64, gateway: "2001:db8:28::10", metric: 2 }, devices: ["rpbr28"],
      effect: (s) => expect(routes(s)).toContainEqual(expect.objectContaining({ dst: "2001:db8:128::/64", gateway: "2001:db8:28::10", dev: "rpbr28", metric: 2 })) }) },
  { kind: "routeDel", title: "removing a route", make: () => ({
      setup: bridge("rpbr29", `ip link set dev rpbr29 up; ip addr add 10.129.0.1/24 broadcast 10.129.0.255 dev rpbr29; ${route({ name: "rpbr29", family: "ipv4", address: "10.229.0.0", prefix: 16, gateway: "10.129.0.10", metric: 1 })}`),
      op: { op: "routeDel", name: "rpbr29", family: "ipv4", address: "10.229.0.0", prefix: 16, gateway: "10.129.0.10", metric: 1 }, devices: ["rpbr29"],
      effect: (s) => expect(routes(s).map((r) => r.dst)).not.toContain("10.229.0.0/16") }) },
  { kind: "routeReplace", title: "changing a route's gateway", make: () => ({
      setup: bridge("rpbr30", `ip link set dev rpbr30 up; ip addr add 10.130.0.1/24 broadcast 10.130.0.255 dev rpbr30; ${route({ name: "rpbr30", family: "ipv4", address: "10.230.0.0", prefix: 16, gateway: "10.130.0.10", metric: 1 })}`),
      op: { op: "routeReplace", name: "rpbr30", family: "ipv4", address: "10.230.0.0", prefix: 16, gateway: "10.130.0.20", metric: 1, fromGateway: "10.130.0.10" }, devices: ["rpbr30"],
      effect: (s) => expect(routes(s).filter((r) => r.dst === "10.230.0.0/16").map((r) => r.gateway)).toEqual(["10.130.0.20"]) }) },
  { kind: "routeReplace", title: "taking over a route made by hand on another device (adopt), put back with its device and protocol", make: () => ({
      setup: `${bridge("rpbr31", "ip link set dev rpbr31 up; ip addr add 10.131.0.1/24 broadcast 10.131.0.255 dev rpbr31")}; ${bridge("rpbr32", "ip link set dev rpbr32 up; ip addr add 10.132.0.1/24 broadcast 10.132.0.255 dev rpbr32")}; ip route add 10.231.0.0/16 via 10.132.0.10 dev rpbr32 metric 1`,
      op: { op: "routeReplace", name: "rpbr31", family: "ipv4", address: "10.231.0.0", prefix: 16, gateway: "10.131.0.20", metric: 1, fromGateway: "10.132.0.10", fromDev: "rpbr32", fromProtocol: "boot" },
      devices: ["rpbr31", "rpbr32"],
      effect: (s) => expect(routes(s).filter((r) => r.dst === "10.231.0.0/16")).toEqual([expect.objectContaining({ gateway: "10.131.0.20", dev: "rpbr31", protocol: "241", metric: 1 })]) }) },
  // Traffic control.
  { kind: "qdiscAdd", title: "adding the HTB root", make: () => ({
      setup: tap("rptap31"), op: { op: "qdiscAdd", dev: "rptap31", qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } }, devices: ["rptap31"],
      effect: (s) => expect(tcOf(s, "rptap31").qdisc).toMatch(/^qdisc htb 1: root .*default 0x1/m) }) },
  { kind: "qdiscAdd", title: "adding an sfq leaf to a class (refused where the kernel has no sch_sfq)", make: () => ({
      setup: tap("rptap32", `${htbRoot("rptap32")}; tc class add dev rptap32 parent 1: classid 1:1 htb rate 1000kbps`),
      op: { op: "qdiscAdd", dev: "rptap32", qdisc: { kind: "sfq", parent: "1:1", handle: "2:" } }, devices: ["rptap32"],
      refused: kernel.sfq ? undefined : /^applying a refused operation on .*: `tc qdisc add dev rptap32 parent 1:1 handle 2: sfq perturb 10` failed \(exit \d+\): .*unknown/s,
      effect: (s) => expect(tcOf(s, "rptap32").qdisc).toMatch(/^qdisc sfq 2: parent 1:1 /m) }) },
  { kind: "qdiscAdd", title: "adding a pfifo leaf to a class", make: () => ({
      setup: tap("rptap33", `${htbRoot("rptap33")}; tc class add dev rptap33 parent 1: classid 1:1 htb rate 1000kbps`),
      op: { op: "qdiscAdd", dev: "rptap33", qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } }, devices: ["rptap33"],
      effect: (s) => expect(tcOf(s, "rptap33").qdisc).toMatch(/^qdisc pfifo 2: parent 1:1 /m) }) },
  { kind: "qdiscAdd", title: "adding the ingress qdisc", make: () => ({
      setup: tap("rptap34"), op: { op: "qdiscAdd", dev: "rptap34", qdisc: { kind: "ingress" } }, devices: ["rptap34"],
      effect: (s) => expect(tcOf(s, "rptap34").qdisc).toMatch(/^qdisc ingress ffff: parent ffff:fff1/m) }) },
  { kind: "qdiscDel", title: "deleting the HTB root with what restores it", make: () => ({
      setup: tap("rptap35", `${htbRoot("rptap35")}; tc class add dev rptap35 parent 1: classid 1:1 htb rate 1000kbps ceil 2000kbps burst 16kb quantum 85; tc qdisc add dev rptap35 parent 1:1 handle 2: pfifo`),
      op: { op: "qdiscDel", dev: "rptap35", target: "root", restore: [
        { op: "qdiscAdd", dev: "rptap35", qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } },
        { op: "classAdd", dev: "rptap35", cls: { parent: "1:", classId: "1:1", rateKbps: 1000, ceilKbps: 2000, burstKb: 16, quantum: 85 } },
        { op: "qdiscAdd", dev: "rptap35", qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } }] },
      devices: ["rptap35"], effect: (s) => expect(tcOf(s, "rptap35").qdisc).not.toMatch(/htb|pfifo/) }) },
  { kind: "qdiscDel", title: "deleting the ingress qdisc with what restores it", make: () => ({
      setup: [`ip link add rpifb36 type ifb`, tap("rptap36", "tc qdisc add dev rptap36 ingress; tc filter add dev rptap36 parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev rpifb36")].join("; "),
      op: { op: "qdiscDel", dev: "rptap36", target: "ingress", restore: [
        { op: "qdiscAdd", dev: "rptap36", qdisc: { kind: "ingress" } }, { op: "filterAdd", dev: "rptap36", filter: { kind: "redirect", to: "rpifb36" } }] },
      devices: ["rptap36", "rpifb36"], effect: (s) => expect(tcOf(s, "rptap36").qdisc).not.toMatch(/ingress/) }) },
  { kind: "qdiscDel", title: "deleting a leaf by its class and handle with what restores it", make: () => ({
      setup: tap("rptap46", `${htbRoot("rptap46")}; tc class add dev rptap46 parent 1: classid 1:1 htb rate 1000kbps; tc qdisc add dev rptap46 parent 1:1 handle 2: pfifo`),
      op: { op: "qdiscDel", dev: "rptap46", target: { parent: "1:1", handle: "2:" }, restore: [{ op: "qdiscAdd", dev: "rptap46", qdisc: { kind: "pfifo", parent: "1:1", handle: "2:" } }] },
      devices: ["rptap46"], effect: (s) => expect(tcOf(s, "rptap46").qdisc).not.toMatch(/qdisc pfifo 2:/) }) },
  { kind: "classAdd", title: "adding an HTB class", make: () => ({
      setup: tap("rptap37", htbRoot("rptap37")),
      op: { op: "classAdd", dev: "rptap37", cls: { parent: "1:", classId: "1:1", rateKbps: 500, ceilKbps: 1000, burstKb: 8, quantum: 42 } }, devices: ["rptap37"],
      effect: (s) => expect(tcOf(s, "rptap37").class).toMatch(/^class htb 1:1 root .*quantum 42 rate 4Mbit ceil 8Mbit .*burst 8Kb/m) }) },
  { kind: "classChange", title: "changing an HTB class's rates", make: () => ({
      setup: tap("rptap38", `${htbRoot("rptap38")}; tc class add dev rptap38 parent 1: classid 1:1 htb rate 500kbps ceil 1000kbps quantum 42`),
      op: { op: "classChange", dev: "rptap38", cls: { parent: "1:", classId: "1:1", rateKbps: 700, ceilKbps: 1400, burstKb: 4, quantum: 59 },
        from: { parent: "1:", classId: "1:1", rateKbps: 500, ceilKbps: 1000, quantum: 42 } }, devices: ["rptap38"],
      effect: (s) => expect(tcOf(s, "rptap38").class).toMatch(/^class htb 1:1 root .*quantum 59 rate 5600Kbit ceil 11200Kbit .*burst 4Kb/m) }) },
  { kind: "classDel", title: "deleting a floor class", make: () => ({
      setup: tap("rptap39", `${htbRoot("rptap39", "2")}; tc class add dev rptap39 parent 1: classid 1:1 htb rate 2000kbps quantum 170; tc class add dev rptap39 parent 1:1 classid 1:3 htb rate 300kbps ceil 2000kbps quantum 87`),
      op: { op: "classDel", dev: "rptap39", classId: "1:3", from: { parent: "1:1", classId: "1:3", rateKbps: 300, ceilKbps: 2000, quantum: 87 } }, devices: ["rptap39"],
      effect: (s) => expect(tcOf(s, "rptap39").class).not.toMatch(/class htb 1:3 /) }) },
  // Filters other than a floor's have no inverse of their own: they go with the qdisc the same plan added first.
  { kind: "filterAdd", title: "adding libvirt's fw filter with its HTB root (refused where the kernel has no cls_fw)", make: () => ({
      setup: tap("rptap40"), before: [{ op: "qdiscAdd", dev: "rptap40", qdisc: { kind: "htb", handle: "1:", defaultClass: "1" } }],
      op: { op: "filterAdd", dev: "rptap40", filter: { kind: "fw" } }, devices: ["rptap40"],
      refused: kernel.fw ? undefined : /`tc filter add dev rptap40 parent 1:0 protocol all prio 1 handle 1 fw flowid 1` failed \(exit \d+\).*; the steps before it were undone/s,
      effect: (s) => expect(tcOf(s, "rptap40").filter).toMatch(/fw chain 0 handle 0x1 classid :1/) }) },
  { kind: "filterAdd", title: "adding an ingress police filter with its ingress qdisc (refused where the kernel has no act_police)", make: () => ({
      setup: tap("rptap41"), before: [{ op: "qdiscAdd", dev: "rptap41", qdisc: { kind: "ingress" } }],
      op: { op: "filterAdd", dev: "rptap41", filter: { kind: "police", rateKbps: 512, burstKb: 64 } }, devices: ["rptap41"],
      refused: kernel.police ? undefined : /`tc filter add dev rptap41 parent ffff: .* police rate 512kbps burst 64kb mtu 64kb drop flowid :1` failed \(exit \d+\).*; the steps before it were undone/s,
      effect: (s) => expect(tcOf(s, "rptap41").ingress).toMatch(/police .*rate 4096Kbit burst 64Kb/) }) },
  { kind: "filterAdd", title: "adding an ingress redirect to an ifb with its ingress qdisc", make: () => ({
      setup: `ip link add rpifb42 type ifb; ${tap("rptap42")}`, before: [{ op: "qdiscAdd", dev: "rptap42", qdisc: { kind: "ingress" } }],
      op: { op: "filterAdd", dev: "rptap42", filter: { kind: "redirect", to: "rpifb42" } }, devices: ["rptap42", "rpifb42"],
      effect: (s) => expect(tcOf(s, "rptap42").ingress).toMatch(/mirred \(Egress Redirect to device rpifb42\)/) }) },
  { kind: "filterAdd", title: "adding a guest's floor filter next to another guest's", make: () => ({
      setup: bridge("rpbr43", [htbRoot("rpbr43", "2"), "tc class add dev rpbr43 parent 1: classid 1:1 htb rate 2000kbps quantum 170",
        "tc class add dev rpbr43 parent 1:1 classid 1:3 htb rate 300kbps ceil 2000kbps quantum 1", "tc class add dev rpbr43 parent 1:1 classid 1:4 htb rate 300kbps ceil 2000kbps quantum 1",
        floorFilter("rpbr43", 3, MAC(0x43))].join("; ")),
      op: { op: "filterAdd", dev: "rpbr43", filter: { kind: "floorMac", id: 4, mac: MAC(0x44) } }, devices: ["rpbr43"],
      effect: (s) => expect(tcOf(s, "rpbr43").filter).toMatch(/fh 800::804 order 2052 key ht 800 bkt 0 \*flowid 1:4 .*\n  match 00000800\/0000ffff at -4\n  match 007a0044\/ffffffff at -12\n  match 00005254\/0000ffff at -16/) }) },
  { kind: "filterAdd", title: "adding the first floor filter on a bridge", make: () => ({
      setup: bridge("rpbr44", [htbRoot("rpbr44", "2"), "tc class add dev rpbr44 parent 1: classid 1:1 htb rate 2000kbps quantum 170",
        "tc class add dev rpbr44 parent 1:1 classid 1:3 htb rate 300kbps ceil 2000kbps quantum 1"].join("; ")),
      op: { op: "filterAdd", dev: "rpbr44", filter: { kind: "floorMac", id: 3, mac: MAC(0x45) } }, devices: ["rpbr44"],
      effect: (s) => expect(tcOf(s, "rpbr44").filter).toMatch(/fh 800::803 .*flowid 1:3/) }) },
  { kind: "filterDelFloor", title: "deleting a guest's floor filter with what restores it", make: () => ({
      setup: bridge("rpbr45", [htbRoot("rpbr45", "2"), "tc class add dev rpbr45 parent 1: classid 1:1 htb rate 2000kbps quantum 170",
        "tc class add dev rpbr45 parent 1:1 classid 1:3 htb rate 300kbps ceil 2000kbps quantum 1", "tc class add dev rpbr45 parent 1:1 classid 1:4 htb rate 300kbps ceil 2000kbps quantum 1",
        floorFilter("rpbr45", 3, MAC(0x46)), floorFilter("rpbr45", 4, MAC(0x47))].join("; ")),
      op: { op: "filterDelFloor", dev: "rpbr45", id: 3, from: { kind: "floorMac", id: 3, mac: MAC(0x46) } }, devices: ["rpbr45"],
      effect: (s) => {
        expect(tcOf(s, "rpbr45").filter).not.toMatch(/800::803/);
        expect(tcOf(s, "rpbr45").filter).toMatch(/fh 800::804 .*flowid 1:4/);
      } }) },
  // The forward modes' firewall and host forwarding.
  { kind: "firewallReplace", title: "writing a NAT network's rules", make: () => ({
      setup: bridge("rpbr50", firewall("rpbr50", [])),
      op: { op: "firewallReplace", bridge: "rpbr50", subnets: ["10.50.0.0/24"], rules: rpRules("rpbr50", "nat"), from: [] }, devices: ["rpbr50"],
      effect: (s) => {
        expect(s.nft).toMatch(/iif "rpbr50" counter packets 0 bytes 0 reject/);
        expect(s.nft).toMatch(/ip saddr 10\.50\.0\.0\/24 ip daddr != 10\.50\.0\.0\/24 counter packets 0 bytes 0 masquerade to :1024-65535/);
      } }) },
  { kind: "firewallReplace", title: "replacing an isolated network's rules with a routed one's", make: () => ({
      setup: bridge("rpbr51", firewall("rpbr51", rpRules("rpbr51", "isolated"))),
      op: { op: "firewallReplace", bridge: "rpbr51", subnets: ["10.50.0.0/24"], rules: rpRules("rpbr51", "route"), from: rpRules("rpbr51", "isolated") }, devices: ["rpbr51"],
      effect: (s) => {
        expect(s.nft).toMatch(/ip daddr 10\.50\.0\.0\/24 oif "rpbr51" counter packets 0 bytes 0 accept/);
        expect(s.nft.match(/oif "rpbr51" counter packets 0 bytes 0 reject/g)).toHaveLength(1);
      } }) },
  { kind: "forwardingSysctl", title: "turning IPv4 forwarding on", make: () => ({
      setup: "sysctl -q -w net/ipv4/ip_forward=0",
      op: { op: "forwardingSysctl", family: "ipv4", value: 1, from: 0 }, devices: [],
      effect: (s) => expect(s.sysctl).toContain("/proc/sys/net/ipv4/ip_forward=1") }) },
  // Files.
  { kind: "fileWrite", title: "writing a new file", make: () => ({
      op: { op: "fileWrite", path: abs("new.conf"), content: "interface=virbr9\nbind-dynamic\n", mode: 0o644, from: null }, devices: [],
      effect: (s) => expect(s.files["new.conf"]).toEqual({ content: "interface=virbr9\nbind-dynamic\n", mode: "644" }) }) },
  { kind: "fileWrite", title: "rewriting a file", make: () => ({
      files: { "old.conf": { content: "old 'quoted' $content\n", mode: 0o600 } },
      op: { op: "fileWrite", path: abs("old.conf"), content: "new\n", mode: 0o600, from: "old 'quoted' $content\n" }, devices: [],
      effect: (s) => expect(s.files["old.conf"]).toEqual({ content: "new\n", mode: "600" }) }) },
  { kind: "fileRemove", title: "removing a file", make: () => ({
      files: { "gone.conf": { content: "keep me\n", mode: 0o640 } },
      op: { op: "fileRemove", path: abs("gone.conf"), from: { content: "keep me\n", mode: 0o640 } }, devices: [],
      effect: (s) => expect(s.files["gone.conf"]).toBeUndefined() }) },
  // Autostart's files: a network's or a fragment's removal takes the directories it emptied with it, up to and
  // including /etc/virtnet (here the temp dir's "etc-virtnet"); the rollback's write makes them again.
  { kind: "fileRemove", title: "removing the last fragment of a nested directory, pruning the emptied directories up to the prune one", make: () => ({
      files: { "etc-virtnet/vnbr0.d/70-guest-vnet0.sh": { content: "#!/bin/sh\n# a fragment\n", mode: 0o644 } },
      op: { op: "fileRemove", path: abs("etc-virtnet/vnbr0.d/70-guest-vnet0.sh"), from: { content: "#!/bin/sh\n# a fragment\n", mode: 0o644 }, prune: abs("etc-virtnet") }, devices: [],
      effect: (s) => {
        expect(s.files).toEqual({});
        // The prune directory goes too; the temp dir above it stays.
        expect(s.dirs).toEqual({});
        expect(existsSync(dir)).toBe(true);
      } }) },
  { kind: "fileRemove", title: "removing a fragment whose prune directory still holds a network's script: only the emptied fragment directory goes", make: () => ({
      files: {
        "etc-virtnet/vnbr1.sh": { content: "#!/bin/sh\n# a network\n", mode: 0o644 },
        "etc-virtnet/vnbr1.d/50-route-10.1.0.0_16-1.sh": { content: "#!/bin/sh\n# a route\n", mode: 0o644 },
      },
      op: { op: "fileRemove", path: abs("etc-virtnet/vnbr1.d/50-route-10.1.0.0_16-1.sh"), from: { content: "#!/bin/sh\n# a route\n", mode: 0o644 }, prune: abs("etc-virtnet") }, devices: [],
      effect: (s) => {
        expect(s.files).toEqual({ "etc-virtnet/vnbr1.sh": { content: "#!/bin/sh\n# a network\n", mode: "644" } });
        expect(s.dirs).toEqual({ "etc-virtnet/": "755" });
      } }) },
  // A network's dnsmasq: real processes. A start's undo must leave no process and no file; a restart's must leave the
  // old configuration running (in a new process: state() compares "running", not pids).
  { kind: "dnsmasqStart", title: "starting a network's dnsmasq on the bridge and address the same plan creates (from nothing)", make: () => {
      const files = dmFiles("rpdm50", 50);
      return {
        before: [
          { op: "linkAddBridge", name: "rpdm50", mac: MAC(0x50) },
          { op: "addrAdd", name: "rpdm50", family: "ipv4", address: "10.60.50.1", prefix: 24 },
          { op: "linkSetUp", name: "rpdm50" },
        ],
        op: { op: "dnsmasqStart", bridge: "rpdm50", files, from: null }, devices: ["rpdm50"], dnsmasq: ["rpdm50"],
        effect: (s) => {
          expect(s.dnsmasq.running).toEqual(["rpdm50"]);
          expect(s.dnsmasq.processes).toEqual(["rpdm50"]);
          expect(dmFile(s, "rpdm50", "conf")).toEqual({ content: files.conf, mode: "600" });
          expect(dmFile(s, "rpdm50", "hostsfile")).toEqual({ content: "", mode: "644" });
          expect(dmFile(s, "rpdm50", "addnhosts")).toEqual({ content: "", mode: "644" });
          expect(dmFile(s, "rpdm50", "hosts.d/")).toEqual({ mode: "755" });
          expect(dmFile(s, "rpdm50", "leases")).toBeDefined();
          expect(s.dnsmasq.files[dnsmasqPaths("rpdm50").pidFile]).toBeDefined();
        },
      };
    } },
  { kind: "dnsmasqStart", title: "restarting a network's dnsmasq with a changed range (from the old files)", make: () => {
      const old = dmFiles("rpdm51", 51, { hosts: [{ mac: MAC(0x51), ip: "10.60.51.5", name: "vm51" }] });
      const files = dmFiles("rpdm51", 51, { end: 40, hosts: [{ mac: MAC(0x51), ip: "10.60.51.5", name: "vm51" }] });
      return {
        setup: `${dmBridge("rpdm51", 51)}; ${dmStart("rpdm51", old)}`,
        op: { op: "dnsmasqStart", bridge: "rpdm51", files, from: old }, devices: ["rpdm51"], dnsmasq: ["rpdm51"],
        effect: (s) => {
          expect(s.dnsmasq.running).toEqual(["rpdm51"]);
          expect(s.dnsmasq.processes).toEqual(["rpdm51"]);
          expect(dmFile(s, "rpdm51", "conf")).toEqual({ content: files.conf, mode: "600" });
          expect(dmFile(s, "rpdm51", "conf")?.content).toMatch(/^dhcp-range=10\.60\.51\.10,10\.60\.51\.40,255\.255\.255\.0$/m);
        },
      };
    } },
  { kind: "dnsmasqStop", title: "stopping a network's dnsmasq, its files as `from`", make: () => {
      const files = dmFiles("rpdm52", 52, { hosts: [{ mac: MAC(0x52), ip: "10.60.52.5", name: "vm52" }], records: [{ ip: "10.60.52.50", hostnames: ["files"] }] });
      return {
        setup: `${dmBridge("rpdm52", 52)}; ${dmStart("rpdm52", files)}`,
        op: { op: "dnsmasqStop", bridge: "rpdm52", from: files }, devices: ["rpdm52"], dnsmasq: ["rpdm52"],
        effect: (s) => {
          expect(s.dnsmasq.running).toEqual([]);
          expect(s.dnsmasq.processes).toEqual([]);
          expect(Object.keys(s.dnsmasq.files)).toEqual([]);
        },
      };
    } },
  { kind: "dnsmasqReload", title: "reloading changed reservations and DNS records (SIGHUP), the old ones as `from`", make: () => {
      const files = dmFiles("rpdm53", 53, { hosts: [{ mac: MAC(0x53), ip: "10.60.53.5", name: "vm53" }], records: [{ ip: "10.60.53.50", hostnames: ["files"] }] });
      const next = dmFiles("rpdm53", 53, { hosts: [{ mac: MAC(0x53), ip: "10.60.53.6", name: "vm53b" }], records: [{ ip: "10.60.53.51", hostnames: ["files", "www"] }] });
      return {
        setup: `${dmBridge("rpdm53", 53)}; ${dmStart("rpdm53", files)}`,
        op: { op: "dnsmasqReload", bridge: "rpdm53", hostsfile: next.hostsfile, addnhosts: next.addnhosts, from: { hostsfile: files.hostsfile, addnhosts: files.addnhosts } },
        devices: ["rpdm53"], dnsmasq: ["rpdm53"],
        effect: (s) => {
          expect(s.dnsmasq.running).toEqual(["rpdm53"]);
          expect(dmFile(s, "rpdm53", "hostsfile")).toEqual({ content: "52:54:00:7a:00:53,10.60.53.6,vm53b\n", mode: "644" });
          expect(dmFile(s, "rpdm53", "addnhosts")).toEqual({ content: "10.60.53.51\tfiles\twww\t\n", mode: "644" });
          expect(dmFile(s, "rpdm53", "conf")).toEqual({ content: files.conf, mode: "600" });
        },
      };
    } },
  { kind: "dhcpHostSet", title: "adding a reservation to a running network's hosts directory (from nothing)", make: () => ({
      setup: `${dmBridge("rpdm54", 54)}; ${dmStart("rpdm54", dmFiles("rpdm54", 54))}`,
      op: { op: "dhcpHostSet", bridge: "rpdm54", key: "10.60.54.30", line: RESERVATION(54), from: null }, devices: ["rpdm54"], dnsmasq: ["rpdm54"],
      effect: (s) => {
        expect(dmFile(s, "rpdm54", "hosts.d/10.60.54.30")).toEqual({ content: RESERVATION(54), mode: "644" });
        expect(s.dnsmasq.running).toEqual(["rpdm54"]);
      } }) },
  { kind: "dhcpHostSet", title: "removing a reservation from a running network's hosts directory (line null)", make: () => ({
      setup: [dmBridge("rpdm55", 55), dmStart("rpdm55", dmFiles("rpdm55", 55)), `printf %s '${RESERVATION(55)}' > ${dnsmasqPaths("rpdm55").hostsDir}/10.60.55.30`, `chmod 644 ${dnsmasqPaths("rpdm55").hostsDir}/10.60.55.30`].join("; "),
      op: { op: "dhcpHostSet", bridge: "rpdm55", key: "10.60.55.30", line: null, from: RESERVATION(55) }, devices: ["rpdm55"], dnsmasq: ["rpdm55"],
      effect: (s) => {
        expect(dmFile(s, "rpdm55", "hosts.d/10.60.55.30")).toBeUndefined();
        expect(dmFile(s, "rpdm55", "hosts.d/")).toEqual({ mode: "755" });
        expect(s.dnsmasq.running).toEqual(["rpdm55"]);
      } }) },
  // Autostart's unit. The sandbox host's init is not systemd, so systemctl refuses; with systemd the enable, disable
  // and their undo run for real in the autostart tests.
  { kind: "unitEnable", title: "enabling a network's autostart instance, refused without systemd as init", make: () => ({
      before: [{ op: "linkAddBridge", name: "rpun60", mac: "52:54:00:6e:00:60" }],
      op: { op: "unitEnable", unit: "virtnet-net@rpun60.service", on: true, from: false }, devices: ["rpun60"],
      refused: /`sh -c .*systemctl daemon-reload.*` failed \(exit \d+\): .*(not been booted with systemd|Host is down).*; the steps before it were undone/s,
      effect: () => undefined }) },
];

/** Every kind in the Operation union: a kind added there and not here fails to compile. */
const EVERY_KIND = {
  linkAddBridge: true, ifbAdd: true, tapAdd: true, linkDel: true, tapDel: true, linkSetUp: true, linkSetDown: true, linkSetMtu: true,
  linkSetAddress: true, linkSetAlias: true, linkSetMaster: true, bridgeSetForwardDelay: true, bridgeSetStp: true, bridgeSetVlanFiltering: true,
  bridgePortSet: true, fdbAdd: true, fdbDel: true, ipv6Sysctl: true, addrAdd: true, addrDel: true, routeAdd: true, routeDel: true,
  routeReplace: true, qdiscAdd: true, qdiscDel: true, classAdd: true, classChange: true, classDel: true, filterAdd: true, filterDelFloor: true,
  firewallReplace: true, forwardingSysctl: true, fileWrite: true, fileRemove: true, dnsmasqStart: true, dnsmasqStop: true, dnsmasqReload: true, dhcpHostSet: true, unitEnable: true,
} as const satisfies Record<OperationKind, true>;

/** A step that always fails: an address on a device that does not exist. */
const FAILING: Operation = { op: "addrAdd", name: "rpnosuchdev", family: "ipv4", address: "10.255.255.1", prefix: 32 };

function cleanUp(c: Pick<Case, "devices" | "files" | "dnsmasq">): void {
  // dnsmasq first: its process would outlive the bridge, and its files live outside the sandbox.
  removeDnsmasqOf(c.dnsmasq ?? []);
  for (const d of c.devices) spawnSync("ip", ["-n", sb.namespace, "link", "del", "dev", d]);
  for (const f of readdirSync(dir)) rmSync(path.join(dir, f), { recursive: true, force: true });
}

describe("rollback of each kind of operation", () => {
  it("has a row for every kind of operation in the Operation union", () => {
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(Object.keys(EVERY_KIND)));
  });

  for (const row of rows) it(`${row.kind}: ${row.title} is undone exactly when a later step fails, and takes effect when committed`, async () => {
    let c: Case | undefined;
    try {
      c = row.make();
      expect(c.op.op).toBe(row.kind);
      if (c.setup) sh(c.setup);
      for (const [f, { content, mode }] of Object.entries(c.files ?? {})) {
        // Directories as /etc's are (0755), which is also what fileWrite makes when it puts a file back.
        mkdirSync(path.dirname(abs(f)), { recursive: true });
        for (let d = path.dirname(abs(f)); d !== dir; d = path.dirname(d)) chmodSync(d, 0o755);
        writeFileSync(abs(f), content);
        chmodSync(abs(f), mode);
      }
      const before = state();
      const ops = [...(c.before ?? []), c.op];

      if (c.refused) {
        // The kernel lacks the feature: the operation itself fails, and whatever ran before it is undone.
        const err = await host.apply(ops, "applying a refused operation").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ApplyError);
        expect((err as ApplyError).rolledBack).toBe(true);
        expect((err as Error).message).toMatch(c.refused);
        expect(state()).toEqual(before);
        return;
      }

      const err = await host.apply([...ops, FAILING], `rolling back ${row.kind}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplyError);
      expect((err as ApplyError).rolledBack).toBe(true);
      expect((err as Error).message).toMatch(/`ip addr add 10\.255\.255\.1\/32 broadcast 10\.255\.255\.1 dev rpnosuchdev` failed \(exit 1\): Cannot find device "rpnosuchdev"; the steps before it were undone$/);
      expect(state()).toEqual(before);

      await host.apply(ops, `committing ${row.kind}`);
      const after = state();
      if (c.skipped?.()) {
        expect(renderOperation(c.op).requiresPath).toBe("/sys/class/net/rpbr15/bridge/vlan_filtering");
        expect(after).toEqual(before);
      } else {
        expect(after).not.toEqual(before);
        c.effect(after);
      }
    } finally {
      if (c) cleanUp(c);
    }
  });

  it("gives filters other than a floor's no inverse: they are undone by deleting the qdisc the plan added first", () => {
    expect(inverseOf({ op: "filterAdd", dev: "x", filter: { kind: "fw" } })).toEqual([]);
    expect(inverseOf({ op: "filterAdd", dev: "x", filter: { kind: "redirect", to: "y" } })).toEqual([]);
    expect(inverseOf({ op: "qdiscAdd", dev: "x", qdisc: { kind: "ingress" } })).toEqual([{ op: "qdiscDel", dev: "x", target: "ingress" }]);
  });
});

/**
 * Provider defects found by this file (reported, not fixed here). Each test asserts today's wrong behaviour precisely,
 * so it fails once the provider is fixed: then move the case into the table above.
 */
describe("known provider defects", () => {
  async function failedApply(ops: Operation[]): Promise<ApplyError> {
    const err = await host.apply([...ops, FAILING], "showing a defect").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    return err as ApplyError;
  }

  it("a rewritten file gets its content back on rollback but keeps the new mode (fileWrite's `from` has no mode)", async () => {
    const c = { devices: [] };
    try {
      writeFileSync(abs("mode.conf"), "old\n");
      chmodSync(abs("mode.conf"), 0o600);
      const err = await failedApply([{ op: "fileWrite", path: abs("mode.conf"), content: "new\n", mode: 0o644, from: "old\n" }]);
      expect(err.rolledBack).toBe(true);
      expect(state().files["mode.conf"]).toEqual({ content: "old\n", mode: "644" }); // was 600
    } finally {
      cleanUp(c);
    }
  });

  it("removing a primary IPv4 address removes its secondaries too (promote_secondaries 0), and the rollback brings back only the primary", async () => {
    const c = { devices: ["rpdef4"] };
    try {
      expect(sh("sysctl -n net.ipv4.conf.rpdef4.promote_secondaries 2>/dev/null || sysctl -n net.ipv4.conf.default.promote_secondaries").trim()).toBe("0");
      sh(bridge("rpdef4", "ip link set dev rpdef4 up; ip addr add 10.140.0.1/24 broadcast 10.140.0.255 dev rpdef4; ip addr add 10.140.0.2/24 broadcast 10.140.0.255 dev rpdef4"));
      expect(addrs(state(), "rpdef4").map((a) => a.local).filter((a) => a.startsWith("10."))).toEqual(["10.140.0.1", "10.140.0.2"]);
      // The forward step alone already loses the address that stays wanted.
      await host.apply([{ op: "addrDel", name: "rpdef4", family: "ipv4", address: "10.140.0.1", prefix: 24 }], "removing the primary");
      expect(addrs(state(), "rpdef4").map((a) => a.local).filter((a) => a.startsWith("10."))).toEqual([]);
      sh("ip addr add 10.140.0.1/24 broadcast 10.140.0.255 dev rpdef4; ip addr add 10.140.0.2/24 broadcast 10.140.0.255 dev rpdef4");
      const err = await failedApply([{ op: "addrDel", name: "rpdef4", family: "ipv4", address: "10.140.0.1", prefix: 24 }]);
      expect(err.rolledBack).toBe(true);
      expect(addrs(state(), "rpdef4").map((a) => a.local).filter((a) => a.startsWith("10."))).toEqual(["10.140.0.1"]);
    } finally {
      cleanUp(c);
    }
  });

  it("a stopped dnsmasq comes back from a rollback with its leases and its hosts directory's reservations (its `from` holds them)", async () => {
    const c = { devices: ["rpdm56"], dnsmasq: ["rpdm56"] };
    try {
      const files = dmFiles("rpdm56", 56);
      const p = dnsmasqPaths("rpdm56");
      const reservation = `${p.hostsDir}/10.60.56.30`;
      // A guest's lease, as dnsmasq writes it, read by the dnsmasq that starts; and a DhcpHost's reservation.
      const lease = `$(($(date +%s) + 3600)) ${MAC(0x56)} 10.60.56.12 guest56 01:${MAC(0x56)}`;
      sh(`${dmBridge("rpdm56", 56)}; mkdir -p ${p.hostsDir}; echo "${lease}" > ${p.leases}; ${dmStart("rpdm56", files)}; printf %s '${RESERVATION(56)}' > ${reservation}; chmod 644 ${reservation}`);
      const before = state();
      expect(before.dnsmasq.files[reservation]).toEqual({ content: RESERVATION(56), mode: "644" });
      expect(before.dnsmasq.files[p.leases]?.content).toMatch(/ 52:54:00:7a:00:56 10\.60\.56\.12 guest56 /);
      // The stop's `from` as the network's plan makes it: with the leases and the reservations it removes.
      const from = { ...files, leases: before.dnsmasq.files[p.leases]!.content, hosts: { "10.60.56.30": RESERVATION(56) } };
      const err = await failedApply([{ op: "dnsmasqStop", bridge: "rpdm56", from }]);
      expect(err.rolledBack).toBe(true);
      const after = state();
      expect(after.dnsmasq.running).toEqual(["rpdm56"]);
      expect(after.dnsmasq.files[p.conf]).toEqual(before.dnsmasq.files[p.conf]);
      expect(after.dnsmasq.files[reservation]).toEqual(before.dnsmasq.files[reservation]);
      expect(after.dnsmasq.files[p.leases]?.content).toMatch(/ 52:54:00:7a:00:56 10\.60\.56\.12 guest56 /);
    } finally {
      cleanUp(c);
    }
  });

  it("an address added by hand without a broadcast comes back from a rollback with one (AddressSpec has no broadcast)", async () => {
    const c = { devices: ["rpdef5"] };
    try {
      sh(bridge("rpdef5", "ip link set dev rpdef5 up; ip addr add 10.150.0.1/24 dev rpdef5"));
      expect(addrs(state(), "rpdef5").find((a) => a.local === "10.150.0.1")?.broadcast).toBeUndefined();
      const err = await failedApply([{ op: "addrDel", name: "rpdef5", family: "ipv4", address: "10.150.0.1", prefix: 24 }]);
      expect(err.rolledBack).toBe(true);
      expect(addrs(state(), "rpdef5").find((a) => a.local === "10.150.0.1")?.broadcast).toBe("10.150.0.255");
    } finally {
      cleanUp(c);
    }
  });
});
