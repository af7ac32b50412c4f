// Renders the dnsmasq operations to one `sh -c` each (docs/libvirt-behaviour.md §10.4): files written to a temporary
// name and renamed, so dnsmasq never reads half a file; the process found by its pid file and recognised by its
// command line, so a reused pid is never signalled; a restart that waits for the old process to let go of its ports.
import type { DnsmasqFiles, Operation } from "../net/operation";
import type { RenderedCommand } from "../iproute2/rendered-command";
import { DNSMASQ_RUN_DIR, DNSMASQ_STATE_DIR, dnsmasqPaths, OWNS_PID } from "./dnsmasq-paths";

type DnsmasqOperation = Extract<Operation, { op: "dnsmasqStart" | "dnsmasqStop" | "dnsmasqReload" | "dhcpHostSet" }>;

/** The shell that every script starts with: `b` is the bridge ($1), `own` tells whether pid `p` is its dnsmasq. */
const PRELUDE = [
  `b=$1; d=${DNSMASQ_STATE_DIR}; r=${DNSMASQ_RUN_DIR}`,
  `w() { printf %s "$2" > "$1.virtnet-tmp" && chmod "$3" "$1.virtnet-tmp" && mv -f "$1.virtnet-tmp" "$1"; }`,
  `p=$(cat "$r/$b.pid" 2>/dev/null)`,
  `own() { ${OWNS_PID}; }`,
  // Still holding its sockets: alive and not yet a zombie, its command line ours or already emptied (the kernel frees a
  // process's memory, and with it the command line, before it closes its files); a pid reused since is not ours.
  `busy() { s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ] && { own || [ -z "$(tr -d '\\0' < "/proc/$p/cmdline" 2>/dev/null)" ]; }; }`,
  // SIGTERM, up to 5 s for the ports to be released, then SIGKILL (docs/libvirt-behaviour.md §10.4).
  `stop() { own || return 0; kill "$p" 2>/dev/null; i=0; while busy && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; if own; then kill -9 "$p"; fi; i=0; while busy && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done; }`,
  // With autostart, the network's dnsmasq is its systemd unit's (docs/libvirt-behaviour.md §11.2): started and stopped
  // through systemctl, so that systemd's view and the process agree.
  `unit="virtnet-dnsmasq@$b.service"; managed() { [ -d /run/systemd/system ] && systemctl is-enabled --quiet "$unit" 2>/dev/null; }`,
  `run() { exec dnsmasq --conf-file="$d/$b.conf" --dhcp-leasefile="$d/$b.leases" --dhcp-hostsdir="$d/$b.hosts.d"; }`,
].join("\n");

/** The command line virtnet starts a network's dnsmasq with; `--conf-file=` is what identifies it on the host. */
export function dnsmasqCommand(bridge: string): string[] {
  const p = dnsmasqPaths(bridge);
  return ["dnsmasq", `--conf-file=${p.conf}`, `--dhcp-leasefile=${p.leases}`, `--dhcp-hostsdir=${p.hostsDir}`];
}

const START = [
  PRELUDE,
  `umask 022; mkdir -p "$d/$b.hosts.d" "$r" || exit 1`,
  `w "$d/$b.conf" "$2" 600 && w "$d/$b.hostsfile" "$3" 644 && w "$d/$b.addnhosts" "$4" 644 || exit 1`,
  // An undo of a stop also puts back the leases ("-": none) and the DhcpHosts' files (name, content pairs).
  `shift 4; if [ $# -gt 0 ]; then { [ "$1" = - ] || w "$d/$b.leases" "$1" 644; } || exit 1; shift; fi`,
  `while [ $# -ge 2 ]; do w "$d/$b.hosts.d/$1" "$2" 644 || exit 1; shift 2; done`,
  // dnsmasq daemonizes, closes what it inherited and drops to nobody; its leader exits once the pid file is written,
  // with a non-zero status and the reason on stderr when it cannot start.
  `stop; if managed; then systemctl restart "$unit"; else run; fi`,
].join("\n");

const STOP = [
  PRELUDE,
  // The reservations go with the network: no dnsmasq would read them, and a DhcpHost whose file is gone reads as gone.
  `if managed; then systemctl stop "$unit"; fi; stop; rm -rf "$d/$b.conf" "$d/$b.hostsfile" "$d/$b.addnhosts" "$d/$b.leases" "$r/$b.pid" "$d/$b.hosts.d"`,
].join("\n");

// SIGHUP re-reads the hostsfile, the hosts directory and addnhosts; the configuration file is not re-read (dnsmasq(8)).
const RELOAD = [PRELUDE, `umask 022; w "$d/$b.hostsfile" "$2" 644 && w "$d/$b.addnhosts" "$3" 644 || exit 1`, `if own; then kill -HUP "$p"; fi`].join("\n");

const HOST_SET = [
  PRELUDE,
  `umask 022; f="$d/$b.hosts.d/$2"`,
  `if [ $# -ge 3 ]; then mkdir -p "$d/$b.hosts.d" && w "$f" "$3" 644 || exit 1; else rm -f "$f" || exit 1; fi`,
  `if own; then kill -HUP "$p"; fi`,
].join("\n");

/** The leases and reservations a start puts back (an undo of a stop); nothing for an ordinary start. */
function restored(f: DnsmasqFiles): string[] {
  if (f.leases === undefined && f.hosts === undefined) return [];
  return [f.leases ?? "-", ...Object.entries(f.hosts ?? {}).flat()];
}

/**
 * Handing a network's dnsmasq to its systemd unit (`on`: the running one stops, the unit starts another on the same
 * files and leases) or back (the unit stops, dnsmasq is started directly while the network still has its files).
 */
export function renderDnsmasqHandover(bridge: string, on: boolean): RenderedCommand {
  const script = on
    ? [PRELUDE, 'stop; systemctl daemon-reload && systemctl enable --quiet --now "$unit"'].join("\n")
    : [PRELUDE, 'systemctl disable --quiet --now "$unit" || exit 1', 'p=$(cat "$r/$b.pid" 2>/dev/null); if [ -f "$d/$b.conf" ] && ! own; then run; fi'].join("\n");
  return { argv: ["sh", "-c", script, "virtnet-dnsmasq", bridge] };
}

export function renderDnsmasqOperation(o: DnsmasqOperation): RenderedCommand {
  switch (o.op) {
    case "dnsmasqStart":
      return { argv: ["sh", "-c", START, "virtnet-dnsmasq", o.bridge, o.files.conf, o.files.hostsfile, o.files.addnhosts, ...restored(o.files)] };
    case "dnsmasqStop":
      return { argv: ["sh", "-c", STOP, "virtnet-dnsmasq", o.bridge] };
    case "dnsmasqReload":
      return { argv: ["sh", "-c", RELOAD, "virtnet-dnsmasq", o.bridge, o.hostsfile, o.addnhosts] };
    case "dhcpHostSet":
      return { argv: ["sh", "-c", HOST_SET, "virtnet-dnsmasq", o.bridge, o.key, ...(o.line === null ? [] : [o.line])] };
  }
}
