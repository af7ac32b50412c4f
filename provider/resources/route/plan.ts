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
  /**
   * Take over a route of a desired route's identity (family, destination, metric; the main table) that carries no
   * virtnet mark, as StaticRoute's `adopt: true` asks: it is replaced in place by the desired route.
   */
  adopt?: boolean;
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

export function planRoutes({ bridge, desired, managed, observed, legacy, adopt }: RoutePlanInput): RouteSteps {
  const plan: RouteSteps = { removals: [], additions: [], superseded: [] };
  const isManaged = (r: DesiredRoute) => managed.some((m) => routeKey(m) === routeKey(r));
  for (const r of desired) {
    const present = observed.find((o) => ours(o, bridge, r, legacy && isManaged(r))) ?? (adopt ? observed.find((o) => takeable(o, r)) : undefined);
    if (!present) plan.additions.push(op("routeAdd", bridge, r));
    // A legacy route is re-marked with virtnet's protocol by the same atomic replace, and an adopted one is moved to
    // the bridge, given the gateway and marked by it; the replace records what the route was, for its undo.
    else if (present.gateway !== r.gateway || present.dev !== bridge || !isVirtnetRoute(present)) {
      plan.additions.push({
        op: "routeReplace",
        name: bridge,
        family: r.family,
        address: r.address,
        prefix: r.prefix,
        gateway: r.gateway,
        metric: r.metric,
        fromGateway: present.gateway,
        ...(present.dev !== bridge ? { fromDev: present.dev } : {}),
        ...(!isVirtnetRoute(present) && present.protocol !== undefined ? { fromProtocol: present.protocol } : {}),
      });
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
 * routes elsewhere is an error naming both, never a skipped route. Routes this resource manages do not count, nor,
 * with `adopt`, the unmarked route of the same identity that the plan takes over. `offersAdopt` says that the
 * resource has an `adopt` input (StaticRoute), so that the message can say whether it would help.
 */
export function routeCollisions(input: RoutePlanInput, label: (r: DesiredRoute) => string, offersAdopt = false): string[] {
  const { bridge, desired, managed, observed, legacy, adopt } = input;
  const problems: string[] = [];
  for (const r of desired) {
    const clash = observed.find(
      (o) => sameDestination(o, r) && !managed.some((m) => ours(o, bridge, m, legacy)) && !leftByInterruptedCreate(o, bridge, r) && !(adopt && takeable(o, r)),
    );
    if (!clash) continue;
    const why = unadoptable(clash, r);
    const hint = !offersAdopt ? "" : why ? ` (adopt: true cannot take it over: ${why})` : ", or set adopt: true to take it over (it is then converged to the declared route, marked with virtnet's proto 241 and deleted with the resource)";
    problems.push(`${label(r)} to ${destinationText(r)} collides with the host's existing route '${describeObservedRoute(clash)}'; remove that route or choose another destination${hint}`);
  }
  return problems;
}

/**
 * A route exactly as wanted (bridge, destination, metric, gateway) with virtnet's protocol is what an interrupted
 * create of this very route left behind: it is converged, not refused.
 */
function leftByInterruptedCreate(o: ObservedRoute, bridge: string, r: DesiredRoute): boolean {
  return ours(o, bridge, r) && o.gateway === r.gateway;
}

/**
 * Why `adopt` cannot take over the route `o` for `r`, or undefined when it can: the kernel's identity of a main-table
 * route is its family, destination and metric, so only that route can become `r` in one atomic replace; it must have
 * one gateway and a device (what the undo needs to put it back), and carry no virtnet mark (another resource's).
 */
function unadoptable(o: ObservedRoute, r: DesiredRoute): string | undefined {
  if (!sameDestination(o, r)) return "it has another destination";
  if (isVirtnetRoute(o)) return "it carries virtnet's proto 241: another virtnet resource manages it";
  if (o.metric !== r.metric) return `it has metric ${o.metric} and the route declares metric ${r.metric}; adopt takes over only a route of the same destination and metric`;
  if (o.type !== "unicast" || o.nexthops !== undefined || o.gateway === undefined || o.dev === "") return "it is not a route through one gateway";
  return undefined;
}

/** A route `adopt` takes over for `r`. */
function takeable(o: ObservedRoute, r: DesiredRoute): boolean {
  return unadoptable(o, r) === undefined;
}
