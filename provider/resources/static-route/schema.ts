// StaticRoute inputs: a <route> on a bridge, plus the network's addresses when it is attached to a Network.
import { z } from "zod";
import { connectionSchema } from "../../connection/connection";
import type { Known } from "../../known";
import { unknownOr } from "../../schema/unknown-or";
import { ipSchema } from "../network/schema";
import { routeFields, routeSchema } from "../route/schema";

export const staticRouteArgsSchema = z
  .object({
    connection: unknownOr(connectionSchema),
    /** The bridge the route goes through (a Network's bridge, or an existing host bridge). */
    bridge: unknownOr(z.string({ error: "is required (the bridge name, or pass a Network as network)" })),
    /** The Network's addresses, for gateway reachability at preview; absent for a bridge virtnet does not manage. */
    networkIps: unknownOr(z.array(ipSchema)).optional(),
    /** The Network's inline routes: a StaticRoute may not duplicate one (a route has one owner). Only checked. */
    networkRoutes: unknownOr(z.array(routeSchema)).optional(),
    /** The Network's autostart: the route then keeps a fragment in the network's boot directory. */
    networkAutostart: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
    ...routeFields,
    /**
     * Take over an existing route of this identity (destination and metric, in the main table) that carries no
     * virtnet mark: it is converged to these arguments, marked with virtnet's protocol, and deleted with the resource.
     */
    adopt: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
  })
  .strict();

export type StaticRouteInputs = z.output<typeof staticRouteArgsSchema>;

/** 2: the route carries virtnet's protocol; 1 wrote `proto static`. */
export const STATIC_ROUTE_SCHEMA_VERSION = 2;

/** Recorded state: every value known. */
export type StaticRouteOutputs = Known<StaticRouteInputs> & { schemaVersion: number };
