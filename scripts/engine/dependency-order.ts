// Engine-faithful harness: the order in which the engine steps through resources (dependencies first) and deletes
// them (dependents first).
export interface Node {
  urn: string;
  dependencies: readonly string[];
}

/** Orders `items` so each comes after the items it depends on; otherwise keeps their given order. */
export function dependencyOrder<T extends Node>(items: readonly T[]): T[] {
  const byUrn = new Map(items.map((i) => [i.urn, i]));
  const visited = new Set<string>();
  const ordered: T[] = [];
  const visit = (item: T) => {
    if (visited.has(item.urn)) {
      return;
    }
    visited.add(item.urn);
    for (const dep of item.dependencies) {
      const d = byUrn.get(dep);
      if (d) {
        visit(d);
      }
    }
    ordered.push(item);
  };
  items.forEach(visit);
  return ordered;
}

/** Order in which to delete `items`: every dependent before what it depends on. */
export function deletionOrder<T extends Node>(items: readonly T[]): T[] {
  return dependencyOrder(items).reverse();
}
