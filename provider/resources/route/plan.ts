// Route planner shared by Network.routes and StaticRoute: pure functions over desired, managed and observed routes.
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import type { Operation } from "../../net/operation";
import { describeObservedRoute, destinationText, isVirtnetRoute, routeKey, sameDestination, type DesiredRoute } from "./model";

export interface RoutePlanInput {
  bridge: string;
  desired: readonly DesiredRoute[];
  /** Routes this resource put on the bridge before (from its previous outputs). */
  managed: readonly DesiredRoute[];
  /** Main-table routes of the whole host. */
  observed: readonly ObservedRoute[];
  /** State written before virtnet's route protocol: its managed routes may carry `proto static`. */
  legacy?: boolean;
}

function op(kind: "routeAdd" | "routeDel", bridge: string, r: DesiredRoute): Operation {
  return { op: kind, name: bridge, family: r.family, address: r.address, prefix: r.prefix, gateway: r.gateway, metric: r.metric };
}

/** A route is ours when it is on the bridge with the destination and metric, and carries virtnet's protocol. */
function ours(o: ObservedRoute, bridge: string, r: { family: DesiredRoute["family"]; address: string; prefix: number; metric: number }, legacy = false): boolean {
  return o.dev === bridge && o.metric === r.metric && sameDestination(o, r) && isVirtnetRoute(o, legacy);
}

/** Route steps in three groups, so the caller can put address changes between them. */
export interface RouteSteps {
  /** Routes to destinations no longer wanted: before addresses change (their gateway may go with an address). */
  removals: Operation[];
  /** New routes and gateway changes (`ip route replace`, atomic): after the addresses they go through exist. */
  additions: Operation[];
  /** A changed metric's old route: last, after its replacement exists, so the destination never becomes unreachable. */
  superseded: Operation[];
}

export function planRoutes({ bridge, desired, managed, observed, legacy }: RoutePlanInput): RouteSteps {
  const plan: RouteSteps = { removals: [], additions: [], superseded: [] };
  const isManaged = (r: DesiredRoute) => managed.some((m) => routeKey(m) === routeKey(r));
  for (const r of desired) {
    const present = observed.find((o) => ours(o, bridge, r, legacy && isManaged(r)));
    if (!present) plan.additions.push(op("routeAdd", bridge, r));
    // A legacy route is re-marked with virtnet's protocol by the same atomic replace.
    else if (present.gateway !== r.gateway || !isVirtnetRoute(present)) {
      plan.additions.push({ op: "routeReplace", name: bridge, family: r.family, address: r.address, prefix: r.prefix, gateway: r.gateway, metric: r.metric, fromGateway: present.gateway });
    }
  }
  const wanted = new Set(desired.map(routeKey));
  for (const m of managed) {
    if (wanted.has(routeKey(m))) continue;
    const present = observed.find((o) => ours(o, bridge, m, legacy));
    if (!present) continue;
    const remove = op("routeDel", bridge, { ...m, gateway: present.gateway ?? m.gateway });
    (desired.some((r) => sameDestination(r, m)) ? plan.superseded : plan.removals).push(remove);
  }
  return plan;
}

export function allRouteSteps(plan: RouteSteps): Operation[] {
  return [...plan.removals, ...plan.additions, ...plan.superseded];
}

/**
 * libvirt's networkCheckRouteCollision, done better (docs/libvirt-behaviour.md §2.3): a route to add whose destination the host already
 * routes elsewhere is an error naming both, never a skipped route. Routes this resource manages do not count.
 */
export function routeCollisions({ bridge, desired, managed, observed, legacy }: RoutePlanInput, label: (r: DesiredRoute) => string): string[] {
  const problems: string[] = [];
  for (const r of desired) {
    const clash = observed.find((o) => sameDestination(o, r) && !managed.some((m) => ours(o, bridge, m, legacy)) && !adoptable(o, bridge, r));
    if (clash) {
      problems.push(`${label(r)} to ${destinationText(r)} collides with the host's existing route '${describeObservedRoute(clash)}'; remove that route or choose another destination`);
    }
  }
  return problems;
}

/**
 * A route exactly as wanted (bridge, destination, metric, gateway) with virtnet's protocol is what an interrupted
 * create of this very route left behind: it is converged, not refused.
 */
function adoptable(o: ObservedRoute, bridge: string, r: DesiredRoute): boolean {
  return ours(o, bridge, r) && o.gateway === r.gateway;
}
