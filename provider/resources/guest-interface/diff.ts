// GuestInterface field policy: host and tap name replace (old tap first); everything else, a move included, is in place.
import { connectionHostChanged } from "../../connection/connection";
import { isNameTemplate, nameMatchesTemplate } from "../../net/interface-name";
import { tapMacFor } from "../../net/mac";
import { sameValue } from "../../same-value";
import { containsUnknown, isUnknown } from "../../unknown";
import { diffByPolicy, type DiffResult, type FieldPolicy } from "../field-policy";
import { DEFAULT_TAP_TEMPLATE, expectedPort } from "./model";
import type { GuestInterfaceInputs, GuestInterfaceOutputs } from "./schema";

function nameKept(oldName: string, newName: string | undefined): boolean {
  if (isUnknown(newName)) return false;
  const wanted = newName ?? DEFAULT_TAP_TEMPLATE;
  return isNameTemplate(wanted) ? nameMatchesTemplate(oldName, wanted) : wanted === oldName;
}

export const guestInterfacePolicy: FieldPolicy<GuestInterfaceOutputs, GuestInterfaceInputs>[] = [
  { property: "connection", replaces: (o, n) => connectionHostChanged(o.connection, n.connection) },
  { property: "name", changed: (o, n) => !nameKept(o.name, n.name), replaces: true },
  // A known new bridge is a move; an unknown one means the network itself is being replaced (delete-before-replace
  // re-diffs dependents with its outputs unknown), so the tap goes first and returns with the bridge.
  { property: "bridge", replaces: (_o, n) => isUnknown(n.bridge) },
  { property: "mac", changed: (o, n) => isUnknown(n.mac) || n.mac !== o.mac || tapMacFor(n.mac as string) !== o.tapMac },
  { property: "mtu" },
  { property: "isolated" },
  { property: "macTableManager" },
  // Port flags or the fdb entry changed by hand: drift the next update repairs.
  {
    property: "port",
    changed: (o, n) => !containsUnknown(n.macTableManager) && n.macTableManager === o.macTableManager && !sameValue(expectedPort({ libvirtMode: n.macTableManager === "libvirt" }), o.port),
  },
  { property: "up", changed: (o) => o.up === false },
  { property: "bandwidth" },
  // Only validation and bookkeeping use it, and a preview sees a network's absent bandwidth output as unknown: an
  // unknown value is no reason for an update; the real one is recorded when it is known.
  { property: "networkBandwidth", changed: (o, n) => !containsUnknown(n.networkBandwidth) && !sameValue(o.networkBandwidth, n.networkBandwidth) },
  // Its fragment follows the network's autostart, in place; a fragment edited or removed by hand reads as false.
  { property: "networkAutostart", changed: (o, n) => containsUnknown(n.networkAutostart) || (n.networkAutostart ?? false) !== (o.networkAutostart ?? false) },
];

export function diffGuestInterface(o: GuestInterfaceOutputs, n: GuestInterfaceInputs): DiffResult {
  return diffByPolicy(guestInterfacePolicy, o, n);
}
