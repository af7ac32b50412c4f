// The fragment an attached resource (a StaticRoute, a GuestInterface) keeps in its network's autostart directory
// (docs/libvirt-behaviour.md §11.1): written when its network has autostart, removed when not, each resource only its
// own file, so nothing it does not own is ever rewritten.
import type { AutostartObservation } from "../systemd/observe-autostart";
import type { Operation } from "../net/operation";
import { AUTOSTART_DIR } from "../systemd/autostart-paths";

/**
 * From the host's fragments to the wanted one at `path` (undefined: none), removing the resource's fragment at
 * `previousPath` too when it moved (a route's new metric). Removing the last file removes the emptied directories.
 */
export function planFragment(path: string, wanted: string | undefined, observed: AutostartObservation, previousPath?: string): Operation[] {
  const ops: Operation[] = [];
  const remove = (p: string) => {
    const content = observed.files.get(p);
    if (content !== undefined) ops.push({ op: "fileRemove", path: p, from: { content, mode: 0o644 }, prune: AUTOSTART_DIR });
  };
  if (previousPath !== undefined && previousPath !== path) remove(previousPath);
  if (wanted === undefined) {
    remove(path);
    return ops;
  }
  const present = observed.files.get(path);
  if (present !== wanted) ops.push({ op: "fileWrite", path, content: wanted, mode: 0o644, from: present ?? null, prune: AUTOSTART_DIR });
  return ops;
}

/** The fragment as observed, in the terms of the resource's `networkAutostart` input: absent when never asked for. */
export function observedFragment(asked: boolean | undefined, path: string, wanted: string | undefined, observed: AutostartObservation): { networkAutostart?: boolean } {
  const present = observed.files.get(path);
  if (asked === undefined && present === undefined) return {};
  return { networkAutostart: present !== undefined && present === wanted };
}
