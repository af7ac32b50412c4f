// Safe apply's scripts (docs/architecture.md §3.9): a dead-man switch armed in the same exec as a risky change. The
// host keeps the change's undo and a timer that runs it unless a new connection confirms the change in time;
// confirmation and rollback each start with a rename of one file, so exactly one of them can win.
import { quoteArg, quoteArgv } from "../exec/quote";
import { PREPARE } from "../exec/detached-script";
import { renderOperation } from "../iproute2/render-operation";
import type { Operation } from "../net/operation";
import { renderApplyScript } from "./apply-script";
import { rollbackInverses } from "./inverse";

export const TX_BUSY_MARKER = "@@virtnet-tx-busy";
export const TX_MARKER = "@@virtnet-tx";

export interface Transaction {
  /** 16 hex digits. */
  id: string;
  timeoutSeconds: number;
}

/** The transaction's directory on the host, under virtnet's run directory (tmpfs: a reboot clears it). */
const TX_DIR = (id: string) => `"$vd/tx/${id}"`;
export const txUnit = (id: string) => `virtnet-rollback-${id}`;

/**
 * The change's undo, step by step and best effort: a rollback that stopped at its first failure would leave the
 * host half-way, and one that undid itself would restore the change that cut the connection.
 */
export function renderRollback(ops: readonly Operation[]): string {
  const undo = [...rollbackInverses(ops)].reverse().flat();
  const lines = undo.map((o) => {
    const { argv, requiresPath } = renderOperation(o);
    const shown = quoteArgv(argv);
    const command = `${shown} || { echo ${quoteArg(`failed: ${shown.length > 160 ? `${shown.slice(0, 157)}...` : shown}`)} >&2; status=1; }`;
    return requiresPath ? `if [ -e ${quoteArg(requiresPath)} ]; then ${command}; fi` : command;
  });
  return ["status=0", ...lines, "exit $status", ""].join("\n");
}

/** The apply of a risky plan: refuse if another transaction is pending, arm the switch, apply, disarm on failure. */
export function renderArmedApply(ops: readonly Operation[], tx: Transaction): string {
  const dir = TX_DIR(tx.id);
  const guard = [
    'cd "${0%/*}" || exit 0',
    "mv pending running 2>/dev/null || exit 0",
    // Under the host-wide lock, as every apply: no other apply runs beside the rollback.
    "exec 9>../../lock && flock 9",
    'sh rollback.sh >rollback.log 2>&1; echo "rolled-back $?" >result',
    // Done: no longer a pending transaction, but kept (result and log) for the provider, or an administrator, to read.
    "mv running rolled-back",
    // The rollback in the host's log: the journal of the transient unit, and syslog where there is one.
    "cat rollback.log",
    `command -v logger >/dev/null 2>&1 && logger -t virtnet "safe apply ${tx.id}: the change was not confirmed within ${tx.timeoutSeconds} s and was rolled back ($(cat result))"`,
    ":",
  ].join("\n");
  return [
    `${PREPARE} || exit 97`,
    // Rolled-back transactions no one came back to read are kept for a while, then go.
    `find "$vd/tx" -mindepth 1 -maxdepth 1 -type d -mmin +60 -exec sh -c '[ -e "$1/pending" ] || [ -e "$1/running" ] || rm -rf "$1"' virtnet-gc {} \; 2>/dev/null`,
    `for p in "$vd"/tx/*/pending "$vd"/tx/*/running; do [ -e "$p" ] || continue; t=\${p%/*}; printf '%s %s\\n' ${TX_BUSY_MARKER} "\${t##*/}"; exit 1; done`,
    `mkdir -p ${dir} || exit 1`,
    `cat > ${dir}/rollback.sh <<'VIRTNET_ROLLBACK_${tx.id}'`,
    renderRollback(ops).trimEnd(),
    `VIRTNET_ROLLBACK_${tx.id}`,
    `cat > ${dir}/guard.sh <<'VIRTNET_GUARD_${tx.id}'`,
    guard,
    `VIRTNET_GUARD_${tx.id}`,
    `: > ${dir}/pending`,
    // PID 1 owns a systemd timer, which outlives this session; without systemd, a sleeper in a session of its own.
    `if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then`,
    `  systemd-run --quiet --unit=${txUnit(tx.id)} --on-active=${tx.timeoutSeconds}s --timer-property=AccuracySec=1s /bin/sh ${dir}/guard.sh || { rm -rf ${dir}; exit 1; }`,
    "else",
    // Without the apply's lock (fd 9): holding it, the sleeper would keep every observation waiting for the window.
    `  setsid sh -c 'sleep "$1"; exec sh "$2"' virtnet-guard ${tx.timeoutSeconds} ${dir}/guard.sh </dev/null >/dev/null 2>&1 9>&- &`,
    `  echo $! > ${dir}/guard.pid`,
    "fi",
    `(\n${renderApplyScript(ops).trimEnd()}\n)`,
    "rc=$?",
    // A failed apply has undone itself: nothing is left to guard.
    `if [ $rc -ne 0 ] && mv ${dir}/pending ${dir}/cancelled 2>/dev/null; then ${disarm(tx.id)}; rm -rf ${dir}; fi`,
    "exit $rc",
    "",
  ].join("\n");
}

function disarm(id: string): string {
  // The sleeper leads a session (and group) of its own: its sleep goes with it.
  return `systemctl stop ${txUnit(id)}.timer 2>/dev/null; [ -f ${TX_DIR(id)}/guard.pid ] && { g=$(cat ${TX_DIR(id)}/guard.pid); kill -- "-$g" 2>/dev/null || kill "$g" 2>/dev/null; }; :`;
}

/** Whether an operation only writes autostart's boot artefacts, which a risky change writes once it is confirmed. */
export function isBootArtefact(o: Operation): boolean {
  if (o.op === "unitEnable") return true;
  return (o.op === "fileWrite" || o.op === "fileRemove") && /^\/etc\/(virtnet\/|systemd\/system\/virtnet-|sysctl\.d\/60-virtnet-)/.test(o.path);
}

/**
 * Run over a new connection: confirm (the change stays, the timer goes, then `after` runs: the boot artefacts, so that
 * a reboot inside the window boots the old configuration), or report the rollback that won. Run again after a
 * rollback, it reports it; either way the transaction's directory is removed once reported.
 */
export function renderConfirm(id: string, after: readonly Operation[] = []): string {
  const dir = TX_DIR(id);
  const then = after.length > 0 ? `(
${renderApplyScript(after).trimEnd()}
) >&2 || echo '${TX_MARKER}-after-failed'; ` : "";
  return [
    `${PREPARE} 2>/dev/null`,
    `if [ ! -d ${dir} ]; then echo '${TX_MARKER} gone'; exit 0; fi`,
    `if mv ${dir}/pending ${dir}/confirmed 2>/dev/null; then ${disarm(id)}; rm -rf ${dir}; ${then}echo '${TX_MARKER} confirmed'; exit 0; fi`,
    // The guard won: wait (bounded) for its rollback to finish, then report it.
    `i=0; while [ ! -f ${dir}/result ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done`,
    `printf '%s rolled-back %s\\n' '${TX_MARKER}' "$(cut -d' ' -f2 ${dir}/result 2>/dev/null || echo unknown)"`,
    `tail -n 20 ${dir}/rollback.log 2>/dev/null`,
    `rm -rf ${dir}`,
    "",
  ].join("\n");
}

export type ConfirmOutcome = { kind: "confirmed"; afterFailed?: boolean } | { kind: "gone" } | { kind: "rolledBack"; exit: string; log: string };

export function parseConfirm(stdout: string): ConfirmOutcome | undefined {
  const m = new RegExp(`^${TX_MARKER} (confirmed|gone|rolled-back)(?: (\\S+))?$`, "m").exec(stdout);
  if (!m) return undefined;
  if (m[1] === "confirmed") return new RegExp(`^${TX_MARKER}-after-failed$`, "m").test(stdout) ? { kind: "confirmed", afterFailed: true } : { kind: "confirmed" };
  if (m[1] === "gone") return { kind: "gone" };
  return { kind: "rolledBack", exit: m[2] ?? "unknown", log: stdout.slice(m.index + m[0].length).trim() };
}
