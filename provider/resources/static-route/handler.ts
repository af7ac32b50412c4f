// StaticRoute lifecycle: observe the bridge and its routes, plan with the shared route planner, apply, observe.
import { knownConnection } from "../../connection/known-connection";
import type { Host } from "../../host/host";
import { hostFor } from "../../host/host-pool";
import type { HostSnapshot } from "../../host/snapshot";
import type { ObservedRoute } from "../../iproute2/parse-ip-route";
import { redactedHandlers } from "../../resource-error";
import { assertStateVersion } from "../../schema/state-version";
import { stripUndefined } from "../network/check";
import type { IpInputs } from "../network/schema";
import { desiredRoute, destinationText, routeOutputs, sameDestination } from "../route/model";
import { allRouteSteps, planRoutes, routeCollisions } from "../route/plan";
import { checkStaticRoute, routeAgainstNetworkFailures, staticRouteRuleFailures } from "./check";
import { diffStaticRoute } from "./diff";
import { STATIC_ROUTE_SCHEMA_VERSION, staticRouteArgsSchema, type StaticRouteInputs, type StaticRouteOutputs } from "./schema";

type Props = Record<string, unknown>;

export function staticRouteId(host: string, r: StaticRouteInputs): string {
  const d = desiredRoute(r);
  return `${host}/${r.bridge}/route/${d.address}/${d.prefix}`;
}

function label(r: StaticRouteInputs, host: Host): string {
  return `route to ${destinationText(desiredRoute(r))} via ${r.gateway} on ${r.bridge} (${host.label})`;
}

function outputsFromState(props: Props): StaticRouteOutputs {
  assertStateVersion(props, STATIC_ROUTE_SCHEMA_VERSION, "static route");
  return props as unknown as StaticRouteOutputs;
}

/** The route this resource manages, as observed: same bridge and destination, preferring the managed metric. */
function observedRoute(snapshot: HostSnapshot, r: StaticRouteInputs): ObservedRoute | undefined {
  const d = desiredRoute(r);
  const candidates = snapshot.routesOn(r.bridge).filter((o) => sameDestination(o, d) && o.gateway !== undefined);
  return candidates.find((o) => o.metric === d.metric) ?? candidates.find((o) => o.protocol === "static");
}

function outputsOf(intended: StaticRouteInputs, observed: ObservedRoute): Props {
  return intendedOf(routeOutputs(intended, observed)) as unknown as Props;
}

function intendedOf(n: StaticRouteInputs): StaticRouteOutputs {
  return stripUndefined({ ...n, schemaVersion: STATIC_ROUTE_SCHEMA_VERSION });
}

/**
 * Checks that need the host, before anything changes: the bridge exists, the gateway is reachable through the
 * bridge's addresses (when preview could not know them), and no other route has the destination.
 */
function preflight(n: StaticRouteInputs, snapshot: HostSnapshot, host: Host, managed: StaticRouteInputs | undefined): void {
  const link = snapshot.link(n.bridge);
  if (!link) throw new Error(`${label(n, host)}: bridge ${n.bridge} does not exist on ${host.label}; create its network first`);
  const ips: IpInputs[] =
    (n.networkIps as IpInputs[] | undefined) ?? link.addresses.filter((a) => a.scope !== "link").map((a) => ({ address: a.address, prefix: a.prefix, family: a.family }));
  const problems = [
    ...staticRouteRuleFailures(n).map((f) => `${f.property}: ${f.reason}`),
    ...routeAgainstNetworkFailures(n, ips, "").map((f) => `${f.property}: ${f.reason}`),
    ...routeCollisions(
      { bridge: n.bridge, desired: [desiredRoute(n)], managed: managed ? [desiredRoute(managed)] : [], observed: snapshot.routes },
      () => "the route",
    ),
  ];
  if (problems.length > 0) throw new Error(`${label(n, host)}: ${[...new Set(problems)].join("; ")}`);
}

async function apply(n: StaticRouteInputs, previous: StaticRouteInputs | undefined, what: string): Promise<{ host: Host; outs: Props }> {
  const host = hostFor(knownConnection(n.connection, what));
  const snapshot = await host.observe();
  preflight(n, snapshot, host, previous);
  const steps = allRouteSteps(
    planRoutes({ bridge: n.bridge, desired: [desiredRoute(n)], managed: previous ? [desiredRoute(previous)] : [], observed: snapshot.routes }),
  );
  const after = steps.length > 0 ? await host.apply(steps, `${what} ${label(n, host)}`) : snapshot;
  return { host, outs: outputsOf(n, observedRoute(after, n)!) };
}

async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
  const n = inputs as unknown as StaticRouteInputs;
  const { outs } = await apply(n, undefined, "adding");
  return { id: staticRouteId(knownConnection(n.connection, "adding a route").host, n), outs };
}

async function update(_id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
  const { outs } = await apply(news as unknown as StaticRouteInputs, outputsFromState(olds), "changing");
  return { outs };
}

/** For import, read gets the program's inputs rather than outputs. */
function previousForRead(id: string, props: Props): StaticRouteOutputs {
  if (props.schemaVersion !== undefined) return outputsFromState(props);
  const { __provider: _ignored, ...args } = props;
  const parsed = staticRouteArgsSchema.safeParse(args);
  if (!parsed.success) throw new Error(`cannot import route ${id}: its inputs are not valid: ${parsed.error.issues[0]?.message}`);
  return intendedOf(parsed.data);
}

async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const previous = previousForRead(id, props);
  const host = hostFor(knownConnection(previous.connection, `reading route ${id}`));
  const observed = observedRoute(await host.observe(), previous);
  // The route, or the bridge it went through, was removed: the resource is gone.
  if (!observed) return { id: "", props: {} };
  return { id, props: outputsOf(previous, observed) };
}

async function remove(id: string, props: Props): Promise<void> {
  const previous = outputsFromState(props);
  const host = hostFor(knownConnection(previous.connection, `deleting route ${id}`));
  const snapshot = await host.observe();
  const steps = allRouteSteps(planRoutes({ bridge: previous.bridge, desired: [], managed: [desiredRoute(previous)], observed: snapshot.routes }));
  if (steps.length > 0) await host.apply(steps, `deleting ${label(previous, host)}`);
}

/** The StaticRoute handlers the serialized shim delegates to. */
export const staticRouteHandlers = redactedHandlers({
  check: (olds, news) => checkStaticRoute(olds, news),
  diff: (_id, olds, news) => diffStaticRoute(outputsFromState(olds), news as unknown as StaticRouteInputs),
  create,
  read,
  update,
  delete: remove,
});
