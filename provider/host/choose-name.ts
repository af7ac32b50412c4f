// Interface naming on a host: an explicit name must be free; a '%d' template takes the first free id
// (docs/libvirt-behaviour.md §1.9, §4.2). Names handed out but not yet created are reserved on the Host, so
// concurrent creates never collide.
import { expandNameTemplate, isNameTemplate, nameMatchesTemplate } from "../net/interface-name";
import { ownership } from "../net/owner-alias";
import type { Host } from "./host";
import type { HostSnapshot } from "./snapshot";

export interface NameRequest {
  /** The name, or a template such as virbr%d. */
  wanted: string;
  /** Highest id a template may take (libvirt: 256 for bridges, 10000 tries for taps). */
  maxId: number;
  /** "bridge" or "tap", for messages. */
  noun: string;
  /** The owning resource (project/stack/name): what it left behind in an interrupted create is its own. */
  owner?: string;
  /** Take over an existing interface of the wanted name that no virtnet resource marks (an explicit adoption). */
  adopt?: boolean;
}

export interface ChosenName {
  name: string;
  /** The interface exists already and carries this resource's own marker (an interrupted create made it). */
  adopted: boolean;
}

/** The caller must delete the returned name from host.reservedNames once its create has finished. */
export function chooseName(r: NameRequest, snapshot: HostSnapshot, host: Host): ChosenName {
  const own = (alias: string | undefined) => r.owner !== undefined && ownership(alias, r.owner) === "own";
  if (!isNameTemplate(r.wanted)) {
    const existing = snapshot.link(r.wanted);
    if (existing && (own(existing.alias) || (r.adopt && ownership(existing.alias, r.owner) === "foreign"))) return { name: r.wanted, adopted: true };
    if (existing) {
      throw new Error(
        ownership(existing.alias, r.owner) !== "foreign"
          ? `${r.noun} ${r.wanted} already exists on ${host.label} and belongs to another virtnet resource (marker '${existing.alias}'): another stack or program manages it. Choose another name, or delete it there`
          : `${r.wanted} already exists on ${host.label} and was not created by virtnet; virtnet will not take it over. Choose another name, or set adopt: true to take it over (it is then converged to the declared state and deleted with the resource)`,
      );
    }
    host.reservedNames.add(r.wanted);
    return { name: r.wanted, adopted: false };
  }
  // An interface an interrupted create of this resource left behind is taken again, not a second one made.
  for (const link of snapshot.links.values()) {
    if (own(link.alias) && nameMatchesTemplate(link.name, r.wanted) && !host.reservedNames.has(link.name)) {
      host.reservedNames.add(link.name);
      return { name: link.name, adopted: true };
    }
  }
  for (let id = 0; id <= r.maxId; id++) {
    const candidate = expandNameTemplate(r.wanted, id);
    if (!snapshot.link(candidate) && !host.reservedNames.has(candidate) && !host.takenNames.has(candidate)) {
      host.reservedNames.add(candidate);
      return { name: candidate, adopted: false };
    }
  }
  throw new Error(`no free ${r.noun} name on ${host.label}: ${expandNameTemplate(r.wanted, 0)} … ${expandNameTemplate(r.wanted, r.maxId)} are all taken`);
}
