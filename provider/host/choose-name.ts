// Interface naming on a host: an explicit name must be free; a '%d' template takes the first free id
// (docs/libvirt-behaviour.md §1.9, §4.2). Names handed out but not yet created are reserved on the Host, so
// concurrent creates never collide.
import { expandNameTemplate, isNameTemplate } from "../net/interface-name";
import { OWNER_ALIAS } from "../net/owner-alias";
import type { Host } from "./host";
import type { HostSnapshot } from "./snapshot";

export interface NameRequest {
  /** The name, or a template such as virbr%d. */
  wanted: string;
  /** Highest id a template may take (libvirt: 256 for bridges, 10000 tries for taps). */
  maxId: number;
  /** "bridge" or "tap", for messages. */
  noun: string;
  /** The resource id an import of this name would use. */
  importId: (name: string) => string;
}

/** The caller must delete the returned name from host.reservedNames once its create has finished. */
export function chooseName(r: NameRequest, snapshot: HostSnapshot, host: Host): string {
  if (!isNameTemplate(r.wanted)) {
    const existing = snapshot.link(r.wanted);
    if (existing) {
      throw new Error(
        existing.alias === OWNER_ALIAS
          ? `${r.noun} ${r.wanted} already exists on ${host.label} and carries virtnet's marker: another stack or an interrupted deployment created it. Delete it (ip link del ${r.wanted}) or adopt it with 'pulumi import' (id ${r.importId(r.wanted)})`
          : `${r.wanted} already exists on ${host.label} and was not created by virtnet; virtnet will not take it over. Choose another name, or adopt it explicitly with 'pulumi import' (id ${r.importId(r.wanted)})`,
      );
    }
    return r.wanted;
  }
  for (let id = 0; id <= r.maxId; id++) {
    const candidate = expandNameTemplate(r.wanted, id);
    if (!snapshot.link(candidate) && !host.reservedNames.has(candidate)) {
      host.reservedNames.add(candidate);
      return candidate;
    }
  }
  throw new Error(`no free ${r.noun} name on ${host.label}: ${expandNameTemplate(r.wanted, 0)} … ${expandNameTemplate(r.wanted, r.maxId)} are all taken`);
}
