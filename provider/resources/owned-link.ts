// Which interface under a recorded name a resource may manage (docs/architecture.md §4, ownership): shared by the
// resources that own an interface (a network's bridge, a guest's tap).
import type { Host } from "../host/host";
import type { HostSnapshot } from "../host/snapshot";
import type { ObservedLink } from "../iproute2/parse-ip-addr";
import { claimable } from "../net/owner-alias";

/** Recorded state from before owner markers (schema 1): its objects carry "virtnet" alone and `proto static`. */
export function isLegacyState(o: { schemaVersion?: number } | undefined): boolean {
  return (o?.schemaVersion ?? 2) < 2;
}

/**
 * The interface under the name when it is this resource's: its own marker, the legacy marker of legacy state, or
 * any unmarked interface it adopts. Someone else's reads as absent (gone, never changed or deleted).
 */
export function ownedLink(
  snapshot: HostSnapshot,
  name: string,
  n: { owner?: string; adopt?: boolean },
  previous: { schemaVersion?: number; adopt?: boolean } | undefined,
): ObservedLink | undefined {
  const link = snapshot.link(name);
  const adopt = n.adopt === true || previous?.adopt === true;
  return link && claimable(link.alias, n.owner, { legacy: isLegacyState(previous), adopt }) ? link : undefined;
}

/** Refuses to plan over an interface of the name that is someone else's. */
export function refuseForeign(snapshot: HostSnapshot, noun: string, name: string, host: Host, owned: ObservedLink | undefined): void {
  const other = snapshot.link(name);
  if (owned || !other) return;
  throw new Error(
    `${noun} ${name} on ${host.label} is no longer virtnet's (its marker is '${other.alias ?? ""}'): someone else made an interface of that name; virtnet will not change it. Remove it, or set adopt: true`,
  );
}
