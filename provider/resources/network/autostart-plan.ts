// A network's autostart (docs/libvirt-behaviour.md §11): its boot script, rendered from the same operations as a live
// create, and the operations that put it, the shared unit and the enabled instance on the host, or take them away.
// Pure: from the desired network and what the snapshot shows of autostart.
import type { FirewallObservation } from "../../host/snapshot";
import type { AutostartObservation } from "../../systemd/observe-autostart";
import { AUTOSTART_DIR, bootScriptPath, DNSMASQ_UNIT_PATH, dnsmasqUnitName, sysctlPath, UNIT_PATH, unitName } from "../../systemd/autostart-paths";
import { DNSMASQ_UNIT_TEXT, UNIT_TEXT } from "../../systemd/unit-file";
import { FLOOR_SUM_SENTINEL, renderNetworkBootScript } from "../../plan/boot-script";
import { unguaranteedClass } from "../bandwidth/libvirt-tc";
import type { Operation } from "../../net/operation";
import type { TcCapabilities } from "../../net/tc";
import { planFirewall, planForwarding, plannedRules, subnetCidrs } from "./firewall-plan";
import { planNetworkCreate } from "./plan";
import type { NetworkDesired } from "./model";

/** At boot the kernel has none of the network's objects, no rules in virtnet's table and forwarding off. */
const bootHost = (firewall: FirewallObservation) => ({ firewall: { nft: firewall.nft, tables: {} }, forwarding: { ipv4: 0, ipv6: 0 } as const });

/** The network's boot script for this host (whose nft and tc features decide the rules and the QoS it writes). */
export function networkBootScript(d: NetworkDesired, firewall: FirewallObservation, caps?: TcCapabilities): string {
  const host = bootHost(firewall);
  const create = planNetworkCreate(d, host, caps).filter((o) => !o.op.startsWith("dnsmasq"));
  const converge = [...planFirewall(d.name, plannedRules(d, host.firewall), host.firewall, subnetCidrs(d.ips)), ...planForwarding(d, host.forwarding)];
  const inbound = d.bandwidth?.inbound;
  // Guests' floors need the network's inbound average; their fragments mark them, and the script sets 1:2 after them.
  const rebalance =
    inbound?.average !== undefined
      ? { limitKbps: inbound.peak ?? inbound.average, op: { op: "classChange", dev: d.name, cls: { ...unguaranteedClass(d.bandwidth!, 0), rateKbps: FLOOR_SUM_SENTINEL } } as const }
      : undefined;
  return renderNetworkBootScript({ bridge: d.name, alias: d.alias, create, converge, rebalance });
}

/**
 * The network's sysctl.d file: forwarding for each family it has, unless isolated (libvirt turns it on and never off).
 * undefined when it needs none.
 */
export function networkSysctl(d: NetworkDesired): string | undefined {
  if (d.forward.mode === "isolated") return undefined;
  const lines = [
    ...(d.ips.some((ip) => ip.family === "ipv4") ? ["net.ipv4.ip_forward = 1"] : []),
    ...(d.ips.some((ip) => ip.family === "ipv6") ? ["net.ipv6.conf.all.forwarding = 1"] : []),
  ];
  return lines.length === 0 ? undefined : `# virtnet: forwarding for network ${d.name} (written by virtnet; changes are overwritten)\n${lines.join("\n")}\n`;
}

/** Why autostart cannot be had on the host, or undefined. */
export function autostartProblem(observed: AutostartObservation, hostLabel: string): string | undefined {
  return observed.systemd ? undefined : `autostart needs systemd as the init system, and ${hostLabel} does not run it (/run/systemd/system is missing); set autostart: false`;
}

/**
 * From what the host has to the wanted script (undefined: no autostart): the unit file, the script and the enabled
 * instance, each only where it differs; or, without autostart, the instance disabled and the network's files removed,
 * the shared unit with the last network's script.
 */
export function planAutostart(bridge: string, wanted: string | undefined, observed: AutostartObservation, sysctl?: string, dnsmasq = false): Operation[] {
  return [...planBootFiles(bridge, wanted, observed), ...planSysctlFile(bridge, wanted === undefined ? undefined : sysctl, observed), ...planDnsmasqUnit(bridge, wanted !== undefined && dnsmasq, observed)];
}

/**
 * The network's dnsmasq in a unit of its own while it has autostart and runs dnsmasq: the unit file, and the running
 * dnsmasq handed over to the unit (or back, when autostart goes or the network stops needing dnsmasq).
 */
function planDnsmasqUnit(bridge: string, wanted: boolean, observed: AutostartObservation): Operation[] {
  const enabled = observed.enabledDnsmasq?.get(bridge) === "enabled";
  const unit = observed.files.get(DNSMASQ_UNIT_PATH);
  if (!wanted) return enabled ? [{ op: "unitEnable", unit: dnsmasqUnitName(bridge), on: false, from: true }] : [];
  const ops: Operation[] = [];
  if (unit !== DNSMASQ_UNIT_TEXT) ops.push({ op: "fileWrite", path: DNSMASQ_UNIT_PATH, content: DNSMASQ_UNIT_TEXT, mode: 0o644, from: unit ?? null });
  if (!enabled || unit !== DNSMASQ_UNIT_TEXT) ops.push({ op: "unitEnable", unit: dnsmasqUnitName(bridge), on: true, from: enabled });
  return ops;
}

/** The sysctl.d file: written with autostart where the network forwards, removed otherwise. */
function planSysctlFile(bridge: string, wanted: string | undefined, observed: AutostartObservation): Operation[] {
  const path = sysctlPath(bridge);
  const present = observed.files.get(path);
  if (wanted === undefined) return present === undefined ? [] : [{ op: "fileRemove", path, from: { content: present, mode: 0o644 } }];
  return present === wanted ? [] : [{ op: "fileWrite", path, content: wanted, mode: 0o644, from: present ?? null }];
}

function planBootFiles(bridge: string, wanted: string | undefined, observed: AutostartObservation): Operation[] {
  const script = bootScriptPath(bridge);
  const enabled = observed.enabled.get(bridge) === "enabled";
  const present = observed.files.get(script);
  const ops: Operation[] = [];
  if (wanted !== undefined) {
    const unit = observed.files.get(UNIT_PATH);
    if (unit !== UNIT_TEXT) ops.push({ op: "fileWrite", path: UNIT_PATH, content: UNIT_TEXT, mode: 0o644, from: unit ?? null });
    if (present !== wanted) ops.push({ op: "fileWrite", path: script, content: wanted, mode: 0o644, from: present ?? null, prune: AUTOSTART_DIR });
    if (!enabled || unit !== UNIT_TEXT) ops.push({ op: "unitEnable", unit: unitName(bridge), on: true, from: enabled });
    return ops;
  }
  if (enabled) ops.push({ op: "unitEnable", unit: unitName(bridge), on: false, from: true });
  if (present !== undefined) ops.push({ op: "fileRemove", path: script, from: { content: present, mode: 0o644 }, prune: AUTOSTART_DIR });
  const others = [...observed.files.keys()].some((p) => p !== script && p.startsWith(`${AUTOSTART_DIR}/`) && !p.slice(AUTOSTART_DIR.length + 1).includes("/") && p.endsWith(".sh"));
  // The shared units go with the last network's script.
  for (const path of [UNIT_PATH, DNSMASQ_UNIT_PATH]) {
    const unit = observed.files.get(path);
    if (present !== undefined && !others && unit !== undefined) ops.push({ op: "fileRemove", path, from: { content: unit, mode: 0o644 } });
  }
  return ops;
}

/** What the host lacks of the network's autostart, in words (the autostartDrift output). */
export function autostartDrift(bridge: string, wanted: string | undefined, observed: AutostartObservation, sysctl?: string, dnsmasq = false): string[] {
  if (wanted === undefined) return [];
  const drift: string[] = [];
  if (dnsmasq && observed.files.get(DNSMASQ_UNIT_PATH) !== DNSMASQ_UNIT_TEXT) drift.push(`${DNSMASQ_UNIT_PATH} is missing or differs`);
  if (dnsmasq && observed.enabledDnsmasq?.get(bridge) !== "enabled") drift.push(`${dnsmasqUnitName(bridge)} is not enabled`);
  if (observed.files.get(sysctlPath(bridge)) !== sysctl) drift.push(`${sysctlPath(bridge)} ${sysctl === undefined ? "should not be there" : "is missing or differs"}`);
  const script = observed.files.get(bootScriptPath(bridge));
  if (script === undefined) drift.push(`${bootScriptPath(bridge)} is missing`);
  else if (script !== wanted) drift.push(`${bootScriptPath(bridge)} differs from what the network renders`);
  if (observed.files.get(UNIT_PATH) !== UNIT_TEXT) drift.push(`${UNIT_PATH} is missing or differs`);
  if (observed.enabled.get(bridge) !== "enabled") drift.push(`${unitName(bridge)} is not enabled`);
  return drift;
}
