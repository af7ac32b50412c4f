// Checks that need the host's state, run before anything changes (docs/libvirt-behaviour.md §2.3, networkCheckRouteCollision).
import type { Host } from "../../host/host";
import type { HostSnapshot } from "../../host/snapshot";
import { isVirtnetAlias } from "../../net/owner-alias";
import { describeObservedRoute, sameDestination, type DesiredRoute } from "../route/model";
import { routeCollisions } from "../route/plan";
import { networkAddress } from "../../net/ip-address";
import type { NetworkDesired } from "./model";

/**
 * Problems that would make applying `d` fail or clash with the host: an address whose subnet another interface
 * already routes ("Network is already in use by interface I"), and inline routes whose destination the host
 * already routes. `managedRoutes` are the routes the previous inputs put on this bridge.
 */
export function networkPreflightProblems(d: NetworkDesired, snapshot: HostSnapshot, managedRoutes: readonly DesiredRoute[], legacy = false): string[] {
  const problems: string[] = [];
  d.ips.forEach((ip, i) => {
    const subnet = { family: ip.family, address: networkAddress(ip.address, ip.prefix), prefix: ip.prefix };
    const clash = snapshot.routes.find((r) => r.dev !== d.name && sameDestination(r, subnet));
    if (clash) {
      problems.push(`ips[${i}]: network ${subnet.address}/${subnet.prefix} is already in use by interface ${clash.dev} (route '${describeObservedRoute(clash)}')`);
    }
  });
  const index = (r: DesiredRoute) => d.routes.indexOf(r);
  problems.push(...routeCollisions({ bridge: d.name, desired: d.routes, managed: managedRoutes, observed: snapshot.routes, legacy }, (r) => `routes[${index(r)}]`));
  return problems;
}

/** Guests of this deployment are deleted before their network; any left belong to someone else. */
export function refuseForeignGuests(snapshot: HostSnapshot, bridge: string, host: Host): [] {
  const guests = [...snapshot.links.values()].filter((l) => l.master === bridge && l.kind === "tun" && isVirtnetAlias(l.alias)).map((l) => l.name);
  if (guests.length > 0) {
    throw new Error(`bridge ${bridge} on ${host.label} still has guest interfaces that virtnet manages elsewhere (another stack or program): ${guests.join(", ")}. Delete or move them first`);
  }
  return [];
}
