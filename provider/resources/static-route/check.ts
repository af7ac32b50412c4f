// StaticRoute check: the same route rules as Network.routes, with reachability through the Network's addresses.
import { interfaceNameProblem } from "../../net/interface-name";
import { failuresFromZod, type CheckFailure } from "../../schema/check-failures";
import { isUnknown } from "../../unknown";
import { isKnown, knownItems } from "../../known";
import type { CheckResult } from "../../schema/check-failures";
import { canonicalAddress } from "../../schema/canonical-address";
import { stripUndefined } from "../../strip-undefined";
import { desiredIp } from "../network/model";
import { ipProblem } from "../network/rules";
import type { IpInputs } from "../network/schema";
import { desiredRoute, destinationText, routeKey, sameDestination } from "../route/model";
import { routeProblem, unreachableGateway } from "../route/rules";
import type { RouteInputs } from "../route/schema";
import { staticRouteArgsSchema, type StaticRouteInputs } from "./schema";

/** Rules that need the network's addresses: reachability and "not the network's own subnet". */
export function routeAgainstNetworkFailures(r: RouteInputs, ips: IpInputs[], prefix: string): CheckFailure[] {
  const known = knownItems(ips);
  if (!isKnown(r) || !known || known.some((ip) => ipProblem(ip) !== undefined)) return [];
  const d = desiredRoute(r);
  const own = known.findIndex((ip) => sameDestination(desiredIp(ip), d));
  if (own >= 0) return [{ property: `${prefix}address`, reason: `${destinationText(d)} is the network's own subnet; the kernel already routes it on the bridge` }];
  const unreachable = unreachableGateway(r, ips);
  return unreachable ? [{ property: `${prefix}gateway`, reason: unreachable }] : [];
}

/** One kernel route cannot belong to two resources: a StaticRoute may not repeat its Network's inline route. */
function inlineDuplicate(n: StaticRouteInputs): CheckFailure | undefined {
  const known = { address: n.address, prefix: n.prefix, netmask: n.netmask, family: n.family, gateway: n.gateway, metric: n.metric };
  if (!isKnown(known) || n.networkRoutes === undefined || isUnknown(n.networkRoutes)) return undefined;
  const mine = desiredRoute(known);
  const i = n.networkRoutes.findIndex((r) => isKnown(r) && routeProblem(r) === undefined && routeKey(desiredRoute(r)) === routeKey(mine));
  if (i < 0) return undefined;
  return { property: "address", reason: `its Network's routes[${i}] already routes ${destinationText(mine)} with metric ${mine.metric}; a route has one owner: remove one of them` };
}

export function staticRouteRuleFailures(n: StaticRouteInputs): CheckFailure[] {
  if (!isUnknown(n.bridge)) {
    const problem = interfaceNameProblem(n.bridge);
    if (problem) return [{ property: "bridge", reason: problem }];
  }
  const problem = routeProblem(n);
  if (problem) return [{ property: problem.field, reason: problem.reason }];
  const duplicate = inlineDuplicate(n);
  if (duplicate) return [duplicate];
  if (n.networkIps === undefined || isUnknown(n.networkIps)) return [];
  return routeAgainstNetworkFailures(n, n.networkIps, "");
}

export function checkStaticRoute(_olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  const { __provider: _ignored, ...args } = news;
  const parsed = staticRouteArgsSchema.safeParse(args);
  if (!parsed.success) return { inputs: news, failures: failuresFromZod(parsed.error) };
  const failures = staticRouteRuleFailures(parsed.data);
  if (failures.length > 0) return { inputs: news, failures };
  const n = parsed.data;
  return { inputs: stripUndefined({ ...n, address: canonicalAddress(n.address), gateway: canonicalAddress(n.gateway) }) as unknown as Record<string, unknown>, failures: [] };
}
