// Where a network's autostart keeps its files on a host (docs/libvirt-behaviour.md §11): a boot script per network, a
// directory of fragments that its attached resources own one file each, and one template unit for every network.

export const AUTOSTART_DIR = "/etc/virtnet";
export const UNIT_PATH = "/etc/systemd/system/virtnet-net@.service";
export const DNSMASQ_UNIT_PATH = "/etc/systemd/system/virtnet-dnsmasq@.service";
const DNSMASQ_UNIT_PREFIX = "virtnet-dnsmasq@";

/** The systemd instance that converges the network on `bridge` at boot. */
export function unitName(bridge: string): string {
  return `virtnet-net@${bridge}.service`;
}

/** Host forwarding for a network with a forward mode, set by systemd-sysctl early at boot, before any unit. */
export function sysctlPath(bridge: string): string {
  return `/etc/sysctl.d/60-virtnet-${bridge}.conf`;
}

/** The systemd instance that runs the dnsmasq of the network on `bridge`, with autostart. */
export function dnsmasqUnitName(bridge: string): string {
  return `${DNSMASQ_UNIT_PREFIX}${bridge}.service`;
}

/** The bridge whose dnsmasq a unit runs, or undefined for any other unit. */
export function dnsmasqUnitBridge(unit: string): string | undefined {
  return unit.startsWith(DNSMASQ_UNIT_PREFIX) && unit.endsWith(".service") ? unit.slice(DNSMASQ_UNIT_PREFIX.length, -".service".length) : undefined;
}

export function bootScriptPath(bridge: string): string {
  return `${AUTOSTART_DIR}/${bridge}.sh`;
}

/** The fragments of a network's attached resources, run by its boot script in lexical order. */
export function fragmentDir(bridge: string): string {
  return `${AUTOSTART_DIR}/${bridge}.d`;
}

/** A StaticRoute's fragment; routes run before guests (50 < 70), as libvirt adds routes when it starts a network. */
export function routeFragmentPath(bridge: string, address: string, prefix: number, metric: number): string {
  return `${fragmentDir(bridge)}/50-route-${address.replaceAll(":", "_")}_${prefix}-${metric}.sh`;
}

export function guestFragmentPath(bridge: string, tap: string): string {
  return `${fragmentDir(bridge)}/70-guest-${tap}.sh`;
}
