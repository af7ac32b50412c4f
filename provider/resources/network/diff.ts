// Network diff from a field policy table: only the host and the bridge name replace (design §1, §4).
import { DEFAULT_BRIDGE_TEMPLATE, type NetworkOutputs } from "./model";
import type { NetworkInputs } from "./schema";
import { isNameTemplate, nameMatchesTemplate } from "../../net/interface-name";
import { containsUnknown, isUnknown } from "../../unknown";
import { connectionHostChanged } from "../../connection/connection";
import { sameValue } from "../../same-value";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
}

interface FieldPolicy {
  /** Top-level property the engine shows. */
  property: keyof NetworkInputs;
  /** Whether a change to the field needs a new bridge. */
  replaces: (olds: NetworkOutputs, news: NetworkInputs) => boolean;
  changed: (olds: NetworkOutputs, news: NetworkInputs) => boolean;
}

const POLICY: FieldPolicy[] = [
  {
    property: "connection",
    replaces: (o, n) => connectionHostChanged(o.connection, n.connection),
    changed: (o, n) => !sameValue(o.connection, n.connection),
  },
  {
    property: "bridge",
    replaces: (o, n) => isUnknown(n.bridge) || !bridgeNameKept(o.bridge.name, n.bridge.name),
    changed: (o, n) =>
      isUnknown(n.bridge) ||
      !bridgeNameKept(o.bridge.name, n.bridge.name) ||
      containsUnknown(n.bridge) ||
      n.bridge.stp !== o.bridge.stp ||
      n.bridge.delay !== o.bridge.delay ||
      n.bridge.macTableManager !== o.bridge.macTableManager,
  },
  { property: "mac", replaces: () => false, changed: (o, n) => n.mac !== o.mac },
  { property: "libvirtName", replaces: () => false, changed: (o, n) => n.libvirtName !== o.libvirtName },
  { property: "mtu", replaces: () => false, changed: (o, n) => (n.mtu || undefined) !== (o.mtu || undefined) },
  // Any change of form counts (the state records the new form), even when the kernel's addresses stay the same.
  { property: "ips", replaces: () => false, changed: (o, n) => containsUnknown(n.ips) || !sameValue(o.ips, n.ips) },
  // Not an input: a bridge set down by hand is drift that an update repairs.
  { property: "up" as keyof NetworkInputs, replaces: () => false, changed: (o) => o.up === false },
  { property: "bandwidth", replaces: () => false, changed: (o, n) => containsUnknown(n.bandwidth) || !sameValue(o.bandwidth, n.bandwidth) },
  // Inline routes change in place, even to new destinations: the network itself stays.
  { property: "routes", replaces: () => false, changed: (o, n) => containsUnknown(n.routes) || !sameValue(o.routes, n.routes) },
];

/** An absent name means libvirt's default template; a template keeps any name it could have produced. */
function bridgeNameKept(oldName: string, newName: string | undefined): boolean {
  if (isUnknown(newName)) return false;
  const wanted = newName ?? DEFAULT_BRIDGE_TEMPLATE;
  return isNameTemplate(wanted) ? nameMatchesTemplate(oldName, wanted) : wanted === oldName;
}

export function diffNetwork(olds: NetworkOutputs, news: NetworkInputs): DiffResult {
  const changed = POLICY.filter((f) => f.changed(olds, news));
  const replaces = changed.filter((f) => f.replaces(olds, news)).map((f) => f.property);
  return {
    changes: changed.length > 0,
    replaces,
    stables: POLICY.filter((f) => !f.changed(olds, news)).map((f) => f.property),
    // Two bridges of one name cannot exist at once, and a bridge rename frees the old name first (design §1).
    deleteBeforeReplace: replaces.length > 0,
  };
}
