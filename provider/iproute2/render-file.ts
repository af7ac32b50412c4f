// Renders file operations (autostart units, dnsmasq configuration) to argv. A write goes to a temporary file renamed
// over the target, so a reader never sees half a file and a cut connection never leaves one.
import type { Operation } from "../net/operation";
import type { RenderedCommand } from "./rendered-command";

// The directory is made first (0755, as /etc's are): autostart's files are the first in /etc/virtnet.
const WRITE = 'umask 077 && { [ -d "${2%/*}" ] || (umask 022 && mkdir -p "${2%/*}"); } && printf %s "$1" > "$2.virtnet-tmp" && chmod "$3" "$2.virtnet-tmp" && mv -f "$2.virtnet-tmp" "$2"';
// Empty directories go with the last file, up to the one named: nothing of virtnet's is left behind.
const PRUNE = 'rm -f -- "$1" && d=${1%/*} && while [ "${d#"$2"}" != "$d" ] && rmdir "$d" 2>/dev/null; do [ "$d" = "$2" ] && break; d=${d%/*}; done; :';

export function renderFileOperation(o: Extract<Operation, { op: "fileWrite" | "fileRemove" }>): RenderedCommand {
  if (o.op === "fileRemove") return o.prune === undefined ? { argv: ["rm", "-f", "--", o.path] } : { argv: ["sh", "-c", PRUNE, "virtnet-remove", o.path, o.prune] };
  return { argv: ["sh", "-c", WRITE, "virtnet-write", o.content, o.path, o.mode.toString(8)] };
}
