// How virtnet marks what it owns (docs/architecture.md §4, ownership). Interfaces carry an alias naming the owning
// resource, "virtnet:" and a hash of its project, stack and name; virtnet before owners were recorded wrote
// "virtnet" alone, still read as virtnet's. Routes carry virtnet's own route protocol number.
import { createHash } from "node:crypto";

/** The alias of virtnet's interfaces before owners were recorded, and the prefix of every owner alias. */
export const OWNER_ALIAS = "virtnet";

/** `proto 241` in `ip route`: virtnet's routes, told apart from the administrator's (static, boot) and the kernel's. */
export const ROUTE_PROTOCOL = 241;

/** The alias that says which resource owns an interface; plain "virtnet" for state written before owners existed. */
export function ownerAlias(owner: string | undefined): string {
  return owner === undefined ? OWNER_ALIAS : `${OWNER_ALIAS}:${createHash("sha256").update(owner).digest("hex").slice(0, 12)}`;
}

/** Any alias virtnet writes. */
export function isVirtnetAlias(alias: string | undefined): boolean {
  return alias === OWNER_ALIAS || (alias?.startsWith(`${OWNER_ALIAS}:`) ?? false);
}

/**
 * Whose an interface is, seen from the resource with this owner: its own (or virtnet's legacy marker, which only a
 * resource whose state records the object may claim), another virtnet resource's, or not virtnet's at all.
 */
/**
 * Whether an interface under a name this resource records is still its own: its marker; virtnet's legacy marker for
 * state written before owners existed; or no virtnet marker at all when the resource adopts what it finds.
 */
export function claimable(alias: string | undefined, owner: string | undefined, how: { legacy: boolean; adopt: boolean }): boolean {
  const whose = ownership(alias, owner);
  return whose === "own" || (whose === "legacy" && how.legacy) || (whose === "foreign" && how.adopt);
}

export function ownership(alias: string | undefined, owner: string | undefined): "own" | "legacy" | "other" | "foreign" {
  if (alias === ownerAlias(owner)) return "own";
  if (alias === OWNER_ALIAS) return "legacy";
  return isVirtnetAlias(alias) ? "other" : "foreign";
}
