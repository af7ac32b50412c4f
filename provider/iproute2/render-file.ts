// Renders file operations (autostart units, dnsmasq configuration) to argv. A write goes to a temporary file renamed
// over the target, so a reader never sees half a file and a cut connection never leaves one.
import type { Operation } from "../net/operation";
import type { RenderedCommand } from "./rendered-command";

const WRITE = 'umask 077 && printf %s "$1" > "$2.virtnet-tmp" && chmod "$3" "$2.virtnet-tmp" && mv -f "$2.virtnet-tmp" "$2"';

export function renderFileOperation(o: Extract<Operation, { op: "fileWrite" | "fileRemove" }>): RenderedCommand {
  if (o.op === "fileRemove") return { argv: ["rm", "-f", "--", o.path] };
  return { argv: ["sh", "-c", WRITE, "virtnet-write", o.content, o.path, o.mode.toString(8)] };
}
