// Scripts that must finish on the host whatever happens to the SSH session (docs/architecture.md §3.3). An apply
// runs in a session of its own (setsid), under the host-wide virtnet lock, and leaves its output and exit status in
// virtnet's run directory: a connection cut mid-apply neither stops it half-way nor runs a second apply beside it,
// and an observation waits for it, so no one plans from a half-applied state.
import { randomBytes } from "node:crypto";

/** Where applies keep their output until the exec that started them has read it (root's; a user's own elsewhere). */
const RUN_DIR = "/run/virtnet";

/**
 * Sets $vd to the run directory and makes it; a user without root gets one of their own, so their error is the
 * kernel's. The first script of an exec to run it exports the directory, so that the scripts it starts (the detached
 * job, the observation) find it made: an exec's scripts nest three deep, and each process saved is a millisecond or
 * more on a busy host (docs/architecture.md §5). A directory that is there and is this user's own is taken as made;
 * one that is someone else's (a user's directory in a shared /tmp) still fails at chmod.
 */
export const PREPARE = `{ if [ -n "\${VIRTNET_RUN_DIR:-}" ]; then vd=$VIRTNET_RUN_DIR; else vd=${RUN_DIR}; [ "$(id -u)" = 0 ] || vd="\${TMPDIR:-/tmp}/virtnet-$(id -u)"; { [ -d "$vd" ] && [ -O "$vd" ] || { mkdir -p "$vd" && chmod 700 "$vd"; }; } && export VIRTNET_RUN_DIR="$vd"; fi; }`;

/**
 * The script, run detached under the exclusive lock; its stdout, stderr and exit status are passed through. When
 * the run directory cannot be made (no root), it says so with exit 97.
 */
export function renderDetached(script: string): string {
  const nonce = randomBytes(8).toString("hex");
  const job = `"$vd/apply-${nonce}"`;
  const delimiter = `VIRTNET_SCRIPT_${nonce}`;
  // One brace group: sh parses all of it before running any of it, so a script cut short in transit (a dropped
  // connection) is a syntax error that runs nothing, never a half-written job.
  return [
    "{",
    `${PREPARE} || { echo "virtnet cannot write its run directory $vd" >&2; exit 97; }`,
    `cat > ${job}.sh <<'${delimiter}'`,
    script.endsWith("\n") ? script.slice(0, -1) : script,
    delimiter,
    // The child holds the lock and writes its status last, atomically; the parent only waits and relays.
    `setsid -w sh -c 'exec 9>"$0/lock"; flock 9; sh "$1.sh" >"$1.out" 2>"$1.err" </dev/null; echo $? >"$1.rc.tmp"; mv -f "$1.rc.tmp" "$1.rc"' "$vd" ${job} </dev/null`,
    // Builtins where they do: a status is one line, and an apply's error output is usually empty.
    `cat ${job}.out; [ ! -s ${job}.err ] || cat ${job}.err >&2`,
    `rc=; [ ! -r ${job}.rc ] || read -r rc <${job}.rc; [ -n "$rc" ] || rc=98`,
    `rm -f ${job}.sh ${job}.out ${job}.err ${job}.rc`,
    `exit "$rc"`,
    "}",
  ].join("\n") + "\n";
}

/**
 * Prefix of an observation: wait (shared) for any apply in progress, if the lock can be had at all. A whole one also
 * removes what execs cut off long ago left in the run directory (their jobs finished on their own; their files are
 * no one's to read after a while): it runs at the start of every deployment's planning and after every failed exec,
 * which is often enough, and no apply runs while it holds the lock.
 */
export function observePrefix(whole: boolean): string {
  const lock = `if ${PREPARE} 2>/dev/null; then exec 9>"$vd/lock" && flock -s 9`;
  const sweep = `; find "$vd" -maxdepth 1 \\( -name 'apply-*' -o -name 'batch.*' \\) -mmin +10 -exec rm -rf {} + 2>/dev/null`;
  return `${lock}${whole ? sweep : ""}; fi`;
}
