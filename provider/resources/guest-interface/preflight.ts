// Checks of a guest interface that need the host's state, run before anything changes.
import type { Host } from "../../host/host";
import type { HostSnapshot } from "../../host/snapshot";
import type { GuestDesired } from "./model";

/**
 * The bridge the tap joins must exist and be a bridge, and no other tap on it may carry the same guest MAC (two
 * guests of one MAC steal each other's frames, and libvirt mode's fdb entry fails). Returns the bridge's MTU, the
 * tap's default (docs/libvirt-behaviour.md §4.4).
 */
export function guestPreflight(d: GuestDesired, snapshot: HostSnapshot, host: Host): number {
  const bridge = snapshot.link(d.bridge);
  if (!bridge || bridge.kind !== "bridge") {
    throw new Error(`guest interface ${d.name} on ${host.label}: ${d.bridge} ${bridge ? "is not a bridge" : "does not exist"}; create its network first`);
  }
  const twin = [...snapshot.links.values()].find((l) => l.name !== d.name && l.master === d.bridge && l.mac === d.tapMac);
  if (twin) throw new Error(`guest interface ${d.name} on ${host.label}: mac ${d.guestMac} is already the guest MAC of ${twin.name} on ${d.bridge}; give each guest on a network its own MAC`);
  return bridge.mtu;
}
