// GuestInterface diff: host and tap name replace (old tap first); everything else, a move included, is in place.
import { connectionHostChanged, type ConnectionInputs } from "../../connection/connection";
import { isNameTemplate, nameMatchesTemplate } from "../../net/interface-name";
import { tapMacFor } from "../../net/mac";
import { containsUnknown, isUnknown } from "../../unknown";
import type { DiffResult } from "../network/diff";
import { sameValue } from "../../same-value";
import { DEFAULT_TAP_TEMPLATE, expectedPort } from "./model";
import type { GuestInterfaceInputs, GuestInterfaceOutputs } from "./schema";

function nameKept(oldName: string, newName: string | undefined): boolean {
  if (isUnknown(newName)) return false;
  const wanted = newName ?? DEFAULT_TAP_TEMPLATE;
  return isNameTemplate(wanted) ? nameMatchesTemplate(oldName, wanted) : wanted === oldName;
}

export function diffGuestInterface(o: GuestInterfaceOutputs, n: GuestInterfaceInputs): DiffResult {
  const changed: string[] = [];
  const replaces: string[] = [];
  if (!sameValue(o.connection, n.connection)) changed.push("connection");
  if (changed.includes("connection") && connectionHostChanged(o.connection as ConnectionInputs, n.connection)) replaces.push("connection");
  if (!nameKept(o.name, n.name)) changed.push("name"), replaces.push("name");
  // A known new bridge is a move; an unknown one means the network itself is being replaced (delete-before-
  // replace re-diffs dependents with its outputs unknown), so the tap goes first and returns with the bridge.
  if (isUnknown(n.bridge)) changed.push("bridge"), replaces.push("bridge");
  else if (n.bridge !== o.bridge) changed.push("bridge");
  if (isUnknown(n.mac) || n.mac !== o.mac || tapMacFor(n.mac as string) !== o.tapMac) changed.push("mac");
  if (containsUnknown(n.mtu) || n.mtu !== o.mtu) changed.push("mtu");
  if (containsUnknown(n.isolated) || n.isolated !== o.isolated) changed.push("isolated");
  if (containsUnknown(n.macTableManager) || n.macTableManager !== o.macTableManager) changed.push("macTableManager");
  // Port flags or the fdb entry changed by hand: drift the next update repairs.
  else if (!sameValue(expectedPort({ libvirtMode: n.macTableManager === "libvirt" }), o.port)) changed.push("port");
  if (o.up === false) changed.push("up");
  if (containsUnknown(n.bandwidth) || !sameValue(o.bandwidth, n.bandwidth)) changed.push("bandwidth");
  // Only validation and bookkeeping use it, and a preview sees a network's absent bandwidth output as unknown:
  // an unknown value is no reason for an update; the real one is recorded when it is known.
  if (!containsUnknown(n.networkBandwidth) && !sameValue(o.networkBandwidth, n.networkBandwidth)) changed.push("networkBandwidth");
  const all = ["connection", "name", "bridge", "mac", "mtu", "isolated", "macTableManager", "port", "up", "bandwidth", "networkBandwidth"];
  return { changes: changed.length > 0, replaces, stables: all.filter((k) => !changed.includes(k)), deleteBeforeReplace: replaces.length > 0 };
}
