// Network field policy: only the host and the bridge name replace (docs/architecture.md §1, §4).
import { DEFAULT_BRIDGE_TEMPLATE, type NetworkOutputs } from "./model";
import type { NetworkInputs } from "./schema";
import { isNameTemplate, nameMatchesTemplate } from "../../net/interface-name";
import { containsUnknown, isUnknown } from "../../unknown";
import { connectionHostChanged } from "../../connection/connection";
import { diffByPolicy, type DiffResult, type FieldPolicy } from "../field-policy";
import { sameValue } from "../../same-value";
import type { Known } from "../../known";
import { forwardMeaning } from "./forward-rules";
import { isHostBridge, type ForwardInputs } from "./schema";

export const networkPolicy: FieldPolicy<NetworkOutputs, NetworkInputs>[] = [
  { property: "connection", replaces: (o, n) => connectionHostChanged(o.connection, n.connection) },
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
  // A host bridge has no MAC of the network's: recorded as "", given as nothing.
  { property: "mac", changed: (o, n) => (n.mac ?? "") !== (o.mac ?? "") },
  { property: "libvirtName", changed: (o, n) => n.libvirtName !== o.libvirtName },
  { property: "mtu" },
  // Any change of form counts (the state records the new form), even when the kernel's addresses stay the same.
  { property: "ips" },
  // Not an input: a bridge set down by hand is drift that an update repairs.
  { property: "up", changed: (o) => o.up === false },
  { property: "bandwidth" },
  // Inline routes change in place, even to new destinations: the network itself stays.
  { property: "routes" },
  // Every change of mode, dev or NAT is one nft batch in place; rules or forwarding lost on the host are drift.
  {
    property: "forward",
    // A host bridge (mode 'bridge') and a bridge of virtnet's are different objects: moving between them replaces.
    replaces: (o, n) => isUnknown(n.forward) || isHostBridge(o.forward) !== isHostBridge(n.forward),
    changed: (o, n) =>
      isUnknown(n.forward) ||
      containsUnknown(n.forward) ||
      !sameValue(o.forward && forwardMeaning(o.forward), n.forward && forwardMeaning(n.forward as Known<ForwardInputs>)) ||
      (o.forwardDrift?.length ?? 0) > 0,
  },
  // dnsmasq's settings all change in place: a SIGHUP for reservations and DNS hosts, a restart for the rest.
  { property: "domain" },
  { property: "dns" },
  { property: "dnsmasqOptions" },
  // Not an input: a dnsmasq that died or files edited by hand are drift that an update repairs.
  { property: "dnsmasqDrift", changed: (o) => (o.dnsmasqDrift?.length ?? 0) > 0 },
  // In place both ways; a script edited or a unit disabled by hand is drift an update repairs.
  { property: "autostart", changed: (o, n) => isUnknown(n.autostart) || (n.autostart ?? false) !== (o.autostart ?? false) || (o.autostartDrift?.length ?? 0) > 0 },
];

/** An absent name means libvirt's default template; a template keeps any name it could have produced. */
function bridgeNameKept(oldName: string, newName: string | undefined): boolean {
  if (isUnknown(newName)) return false;
  const wanted = newName ?? DEFAULT_BRIDGE_TEMPLATE;
  return isNameTemplate(wanted) ? nameMatchesTemplate(oldName, wanted) : wanted === oldName;
}

export function diffNetwork(olds: NetworkOutputs, news: NetworkInputs): DiffResult {
  return diffByPolicy(networkPolicy, olds, news);
}
