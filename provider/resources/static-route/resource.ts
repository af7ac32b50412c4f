// The StaticRoute resource (libvirt's <route> as a resource of its own, on a Network's bridge or a host bridge) as
// the lifecycle needs it. It shares its rules and planner with Network.routes (../route/).
import type { Host } from "../../host/host";
import type { HostSnapshot } from "../../host/snapshot";
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import type { Known } from "../../known";
import { stripUndefined } from "../../strip-undefined";
import { lifecycle, type ResourceType } from "../lifecycle";
import { isLegacyState } from "../owned-link";
import { desiredRoute, destinationText, isVirtnetRoute, routeOutputs } from "../route/model";
import { allRouteSteps, planRoutes, routeCollisions } from "../route/plan";
import { checkStaticRoute, routeAgainstNetworkFailures, staticRouteRuleFailures } from "./check";
import { staticRoutePolicy } from "./diff";
import { planFragment, observedFragment } from "../autostart-fragment";
import { renderRouteFragment } from "../../plan/boot-script";
import { routeFragmentPath } from "../../systemd/autostart-paths";
import { STATIC_ROUTE_SCHEMA_VERSION, type StaticRouteInputs, type StaticRouteOutputs } from "./schema";

type Route = Known<StaticRouteInputs>;

export function staticRouteId(host: string, r: Route): string {
  const d = desiredRoute(r);
  return `${host}/${r.bridge}/route/${d.address}/${d.prefix}`;
}

function label(r: Route, host: Host): string {
  return `route to ${destinationText(desiredRoute(r))} via ${r.gateway} on ${r.bridge} (${host.label})`;
}

/**
 * The route this resource manages, as observed: virtnet's, on the bridge, to the destination, preferring the managed
 * metric. Someone else's route there is not it: the resource reads as gone.
 */
function observedRoute(snapshot: HostSnapshot, r: Route, legacy: boolean): ObservedRoute | undefined {
  const d = desiredRoute(r);
  const candidates = snapshot.routesTo(d).filter((o) => o.dev === r.bridge && o.gateway !== undefined && isVirtnetRoute(o, legacy));
  return candidates.find((o) => o.metric === d.metric) ?? candidates[0];
}

/**
 * Checks that need the host, before anything changes: the bridge exists, the gateway is reachable through the
 * bridge's addresses (when preview could not know them), and no other route has the destination.
 */
function preflight(n: Route, snapshot: HostSnapshot, host: Host, managed: StaticRouteOutputs | undefined): void {
  const link = snapshot.link(n.bridge);
  if (!link) throw new Error(`${label(n, host)}: bridge ${n.bridge} does not exist on ${host.label}; create its network first`);
  const ips = n.networkIps ?? link.addresses.filter((a) => a.scope !== "link").map((a) => ({ address: a.address, prefix: a.prefix, family: a.family }));
  const problems = [
    ...staticRouteRuleFailures(n).map((f) => `${f.property}: ${f.reason}`),
    ...routeAgainstNetworkFailures(n, ips, "").map((f) => `${f.property}: ${f.reason}`),
    ...routeCollisions(
      { bridge: n.bridge, desired: [desiredRoute(n)], managed: managed ? [desiredRoute(managed)] : [], observed: routesConcerned(snapshot, n, managed), legacy: isLegacyState(managed), adopt: n.adopt === true },
      () => "the route",
      true,
    ),
  ];
  if (problems.length > 0) throw new Error(`${label(n, host)}: ${[...new Set(problems)].join("; ")}`);
}

/**
 * The observed routes the route planner can match for this resource: it matches only by destination (its own route,
 * a collision, one to adopt), so the routes to the desired and the recorded destination are all it needs.
 */
function routesConcerned(snapshot: HostSnapshot, ...routes: (Route | undefined)[]): ObservedRoute[] {
  return [...new Set(routes.flatMap((r) => (r ? snapshot.routesTo(desiredRoute(r)) : [])))];
}

function fragmentPath(r: Route): string {
  const d = desiredRoute(r);
  return routeFragmentPath(r.bridge, d.address, d.prefix, d.metric);
}

/** The route at boot: the same add as its create, when its network has autostart. */
function bootFragment(r: Route): string | undefined {
  if (r.networkAutostart !== true) return undefined;
  const d = desiredRoute(r);
  return renderRouteFragment(`route to ${destinationText(d)} via ${d.gateway} on ${r.bridge}`, planRoutes({ bridge: r.bridge, desired: [d], managed: [], observed: [] }).additions);
}

const recorded = (r: Route): StaticRouteOutputs => stripUndefined({ ...r, schemaVersion: STATIC_ROUTE_SCHEMA_VERSION });

export const staticRouteType: ResourceType<StaticRouteInputs, StaticRouteOutputs> = {
  noun: "route",
  schemaVersion: STATIC_ROUTE_SCHEMA_VERSION,
  check: checkStaticRoute,
  policy: staticRoutePolicy,
  intended: (o) => o,
  nameOf: () => "",
  id: (host, r) => staticRouteId(host, r),
  recorded,
  observe: async () => undefined,

  plan({ host, snapshot, desired, previous }) {
    if (desired) preflight(desired, snapshot, host, previous);
    const managed = previous ? [desiredRoute(previous)] : [];
    const bridge = desired?.bridge ?? previous!.bridge;
    const adopt = desired?.adopt === true;
    const steps = allRouteSteps(planRoutes({ bridge, desired: desired ? [desiredRoute(desired)] : [], managed, observed: routesConcerned(snapshot, desired, previous), legacy: isLegacyState(previous), adopt }));
    const r = desired ?? previous!;
    // The fragment after the live change, in the same exec (docs/libvirt-behaviour.md §11.1).
    return [...steps, ...planFragment(fragmentPath(r), desired && bootFragment(desired), snapshot.autostart, previous && fragmentPath(previous))];
  },

  outputs({ snapshot, desired, previous }) {
    // The route, or the bridge it went through, was removed: the resource is gone.
    const observed = observedRoute(snapshot, desired, isLegacyState(previous));
    if (!observed) return undefined;
    return { ...recorded(routeOutputs(desired, observed)), ...observedFragment(desired.networkAutostart, fragmentPath(desired), bootFragment(desired), snapshot.autostart) };
  },
};

/** The StaticRoute handlers the serialized shim delegates to. */
export const staticRouteHandlers = lifecycle(staticRouteType);
