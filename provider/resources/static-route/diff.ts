// StaticRoute field policy: host, bridge and destination replace (old route first); gateway and metric change in place.
import { isKnown } from "../../known";
import { isUnknown } from "../../unknown";
import { connectionHostChanged } from "../../connection/connection";
import { diffByPolicy, type DiffResult, type FieldPolicy } from "../field-policy";
import { desiredRoute, sameDestination } from "../route/model";
import type { StaticRouteInputs, StaticRouteOutputs } from "./schema";

const DESTINATION = ["address", "prefix", "netmask", "family"] as const;

/** A change of form only (netmask for prefix) keeps the route; a new destination is a new route. */
function destinationChanged(o: StaticRouteOutputs, n: StaticRouteInputs): boolean {
  const destination = { address: n.address, prefix: n.prefix, netmask: n.netmask, family: n.family };
  if (!isKnown(destination)) return true;
  return !sameDestination(desiredRoute(o), desiredRoute({ ...destination, gateway: o.gateway, metric: o.metric }));
}

export const staticRoutePolicy: FieldPolicy<StaticRouteOutputs, StaticRouteInputs>[] = [
  { property: "connection", replaces: (o, n) => connectionHostChanged(o.connection, n.connection) },
  { property: "bridge", replaces: true },
  { property: "networkIps" },
  ...DESTINATION.map((property) => ({ property, replaces: destinationChanged })),
  { property: "gateway" },
  { property: "metric" },
  // Its fragment follows the network's autostart, in place; a fragment edited or removed by hand reads as false.
  { property: "networkAutostart", changed: (o, n) => isUnknown(n.networkAutostart) || (n.networkAutostart ?? false) !== (o.networkAutostart ?? false) },
];

export function diffStaticRoute(o: StaticRouteOutputs, n: StaticRouteInputs): DiffResult {
  return diffByPolicy(staticRoutePolicy, o, n);
}
