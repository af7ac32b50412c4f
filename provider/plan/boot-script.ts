// The scripts autostart leaves on a host (docs/libvirt-behaviour.md §11.1): rendered from the same typed operations as
// the live apply, each part inside guards that make a second run change nothing. A network's script creates the
// bridge with everything inline when it is missing, re-applies only the firewall and forwarding when it is there, then
// runs its attached resources' fragments, each of which creates its object only when it is missing. dnsmasq has a unit
// of its own.
import { quoteArg, quoteArgv } from "../exec/quote";
import { renderOperation } from "../iproute2/render-operation";
import type { Operation } from "../net/operation";
import { fragmentDir } from "../systemd/autostart-paths";
import { renderApplyScript } from "./apply-script";

export interface NetworkBoot {
  bridge: string;
  /** The owner marker the bridge carries: a bridge of that name without it is someone else's. */
  alias: string;
  /** The network's create plan from a host without it, dnsmasq left out (its unit starts it). */
  create: Operation[];
  /** What a start on a live bridge, and an nftables reload, apply again: the firewall and forwarding. */
  converge: Operation[];
  /**
   * With guests' floors: class 1:2 set, once every fragment has run, to what the floors the fragments mark leave of
   * `limitKbps` (rendered with the rate `FLOOR_SUM_SENTINEL`, which the script replaces by the computed one).
   */
  rebalance?: { limitKbps: number; op: Operation };
}

/** The rate a rendered class change carries where the script puts what the floors leave. */
export const FLOOR_SUM_SENTINEL = 999_999_937;
/** A guest fragment's line that says how much of the network's inbound rate its floor guarantees. */
export const FLOOR_MARKER = "# virtnet-floor";

/** Runs `ops` as one apply script in a subshell: all or nothing, with the live apply's undo on failure. */
function subshell(ops: readonly Operation[]): string {
  return ops.length === 0 ? "true" : `(\n${renderApplyScript(ops)})`;
}

/** The network's boot script, run as `sh BRIDGE.sh start` at boot and `sh BRIDGE.sh firewall` on nftables reloads. */
export function renderNetworkBootScript(b: NetworkBoot): string {
  const bridge = quoteArg(b.bridge);
  return [
    "#!/bin/sh",
    `# virtnet: network ${b.bridge} at boot, run by ${"virtnet-net@"}${b.bridge}.service (written by virtnet; changes are overwritten)`,
    `case "\${1:-start}" in`,
    `  firewall) ${subshell(b.converge)}; exit $? ;;`,
    "  start) ;;",
    `  *) echo "usage: $0 start|firewall" >&2; exit 2 ;;`,
    "esac",
    "status=0",
    `if [ -e /sys/class/net/${bridge} ]; then`,
    `  a=$(cat /sys/class/net/${bridge}/ifalias 2>/dev/null)`,
    `  if [ "$a" != ${quoteArg(b.alias)} ]; then echo ${quoteArg(`${b.bridge} exists and is not virtnet's; not touching it`)} >&2; exit 1; fi`,
    `  ${subshell(b.converge)} || status=1`,
    "else",
    `  ${subshell(b.create)} || status=1`,
    "fi",
    // Each fragment in its own shell: one that fails does not stop the others, and the unit shows as failed.
    `for f in ${quoteArg(fragmentDir(b.bridge))}/*.sh; do [ -f "$f" ] || continue; sh "$f" || { echo "$f failed" >&2; status=1; }; done`,
    ...rebalance(b),
    "exit $status",
    "",
  ].join("\n");
}

/**
 * The floors are plugged by the guests' fragments, in whatever order they run: the class that takes what they leave
 * is set once, from the floors the fragments mark, so that it ends as the live apply left it.
 */
function rebalance(b: NetworkBoot): string[] {
  if (!b.rebalance) return [];
  const command = quoteArgv(renderOperation(b.rebalance.op).argv).replace(String(FLOOR_SUM_SENTINEL), `$((${b.rebalance.limitKbps} - sum))`);
  return [
    `sum=$(cat ${quoteArg(fragmentDir(b.bridge))}/*.sh 2>/dev/null | awk '$1 == "#" && $2 == "${FLOOR_MARKER.slice(2)}" { s += $3 } END { print s + 0 }')`,
    `if [ "$sum" -gt 0 ]; then ${command} || status=1; fi`,
  ];
}

/** A guest's fragment: its create plan, run only when its tap is missing; `floorKbps` marks its floor for the rebalance. */
export function renderGuestFragment(what: string, tap: string, ops: readonly Operation[], floorKbps?: number): string {
  return [
    "#!/bin/sh",
    `# virtnet: ${what} at boot (written by virtnet; changes are overwritten)`,
    ...(floorKbps !== undefined ? [`${FLOOR_MARKER} ${floorKbps}`] : []),
    `[ -e /sys/class/net/${quoteArg(tap)} ] && exit 0`,
    subshell(ops),
    "",
  ].join("\n");
}

/** A route's fragment: each route added unless the kernel already has it ("File exists"). */
export function renderRouteFragment(what: string, ops: readonly Operation[]): string {
  const adds = ops.map((o) => `out=$(${quoteArgv(renderOperation(o).argv)} 2>&1) || case "$out" in *"File exists"*) ;; *) echo "$out" >&2; exit 1 ;; esac`);
  return ["#!/bin/sh", `# virtnet: ${what} at boot (written by virtnet; changes are overwritten)`, ...adds, ""].join("\n");
}
