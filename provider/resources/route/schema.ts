// A static route as libvirt's <route> element (docs/libvirt-behaviour.md §2): shared by Network.routes and StaticRoute.
import { z } from "zod";
import { unknownOr } from "../../schema/unknown-or";

export const routeFields = {
  address: unknownOr(z.string({ error: "is required (the destination network address)" })),
  prefix: unknownOr(z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative")).optional(),
  netmask: unknownOr(z.string()).optional(),
  family: unknownOr(z.enum(["ipv4", "ipv6"], { error: "must be 'ipv4' or 'ipv6'" })).optional(),
  gateway: unknownOr(z.string({ error: "is required (an address directly reachable on the network)" })),
  // libvirt rejects metric='0'; absent means 1 for both families (docs/libvirt-behaviour.md §2.1, §2.2).
  metric: unknownOr(z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(4294967295, "must fit in 32 bits")).default(1),
};

export const routeSchema = z.object(routeFields).strict();

export type RouteInputs = z.output<typeof routeSchema>;
