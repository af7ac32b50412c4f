// StaticRoute diff: host, bridge and destination replace (old route first); gateway and metric change in place.
import { containsUnknown, isUnknown } from "../../unknown";
import { connectionHostChanged, type ConnectionInputs } from "../../connection/connection";
import type { DiffResult } from "../network/diff";
import { sameValue } from "../../same-value";
import { desiredRoute, sameDestination } from "../route/model";
import type { StaticRouteInputs, StaticRouteOutputs } from "./schema";

const DESTINATION: (keyof StaticRouteInputs)[] = ["address", "prefix", "netmask", "family"];

function destinationChanged(o: StaticRouteOutputs, n: StaticRouteInputs): boolean {
  if (DESTINATION.some((k) => isUnknown(n[k]))) return true;
  return !sameDestination(desiredRoute(o), desiredRoute(n));
}

export function diffStaticRoute(o: StaticRouteOutputs, n: StaticRouteInputs): DiffResult {
  const keys = Object.keys({ ...o, ...n }).filter((k) => k !== "schemaVersion" && k !== "__provider") as (keyof StaticRouteInputs)[];
  const changed = keys.filter((k) => containsUnknown(n[k]) || !sameValue(o[k], n[k]));
  const replaces: string[] = [];
  if (changed.includes("connection") && connectionHostChanged(o.connection as ConnectionInputs, n.connection)) replaces.push("connection");
  if (changed.includes("bridge")) replaces.push("bridge");
  // A change of form only (netmask for prefix) keeps the route; a new destination is a new route.
  if (DESTINATION.some((k) => changed.includes(k)) && destinationChanged(o, n)) replaces.push(...DESTINATION.filter((k) => changed.includes(k)));
  return {
    changes: changed.length > 0,
    replaces,
    stables: keys.filter((k) => !changed.includes(k)),
    deleteBeforeReplace: replaces.length > 0,
  };
}
