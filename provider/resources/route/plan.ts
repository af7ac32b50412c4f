// Route planner shared by Network.routes and StaticRoute: pure functions over desired, managed and observed routes.
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import type { Operation } from "../../net/operation";
import { describeObservedRoute, destinationText, routeKey, sameDestination, type DesiredRoute } from "./model";

export interface RoutePlanInput {
  bridge: string;
  desired: readonly DesiredRoute[];
  /** Routes this resource put on the bridge before (from its previous outputs). */
  managed: readonly DesiredRoute[];
  /** Main-table routes of the whole host. */
  observed: readonly ObservedRoute[];
}

function op(kind: "routeAdd" | "routeDel", bridge: string, r: DesiredRoute): Operation {
  return { op: kind, name: bridge, family: r.family, address: r.address, prefix: r.prefix, gateway: r.gateway, metric: r.metric };
}

function ours(o: ObservedRoute, bridge: string, r: { family: DesiredRoute["family"]; address: string; prefix: number; metric: number }): boolean {
  return o.dev === bridge && o.metric === r.metric && sameDestination(o, r);
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

export function planRoutes({ bridge, desired, managed, observed }: RoutePlanInput): RouteSteps {
  const plan: RouteSteps = { removals: [], additions: [], superseded: [] };
  for (const r of desired) {
    const present = observed.find((o) => ours(o, bridge, r));
    if (!present) plan.additions.push(op("routeAdd", bridge, r));
    else if (present.gateway !== r.gateway) {
      plan.additions.push({ op: "routeReplace", name: bridge, family: r.family, address: r.address, prefix: r.prefix, gateway: r.gateway, metric: r.metric, fromGateway: present.gateway });
    }
  }
  const wanted = new Set(desired.map(routeKey));
  for (const m of managed) {
    if (wanted.has(routeKey(m))) continue;
    const present = observed.find((o) => ours(o, bridge, m));
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
export function routeCollisions({ bridge, desired, managed, observed }: RoutePlanInput, label: (r: DesiredRoute) => string): string[] {
  const problems: string[] = [];
  for (const r of desired) {
    if (observed.some((o) => ours(o, bridge, r))) continue;
    const clash = observed.find((o) => sameDestination(o, r) && !managed.some((m) => ours(o, bridge, m)));
    if (clash) {
      problems.push(`${label(r)} to ${destinationText(r)} collides with the host's existing route '${describeObservedRoute(clash)}'; remove that route or choose another destination`);
    }
  }
  return problems;
}
