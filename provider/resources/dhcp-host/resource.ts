// The DhcpHost resource (one DHCP reservation, libvirt's <host> as a resource of its own) as the lifecycle needs it.
// Each reservation is one file of its network's dnsmasq hosts directory, written and removed with a SIGHUP that keeps
// dnsmasq and every lease (docs/libvirt-behaviour.md §10.4); no two resources ever write the same file.
import type { Host } from "../../host/host";
import type { HostSnapshot } from "../../host/snapshot";
import type { Known } from "../../known";
import { addressFamily, networkAddress } from "../../net/ip-address";
import { parseHostsfileLine, type HostsfileEntry } from "../../dnsmasq/parse-hostsfile-line";
import { stripUndefined } from "../../strip-undefined";
import { lifecycle, type ResourceType } from "../lifecycle";
import { checkDhcpHost, dhcpHostRuleFailures, noDhcpMessage, reservationFamily } from "./check";
import { dhcpHostPolicy } from "./diff";
import { reservationKey, reservationLine } from "./reservation";
import { DHCP_HOST_SCHEMA_VERSION, type DhcpHostInputs, type DhcpHostOutputs } from "./schema";

type Reservation = Known<DhcpHostInputs>;

export function dhcpHostId(host: string, r: Reservation): string {
  return `${host}/${r.bridge}/dhcp-host/${reservationKey(r)}`;
}

function label(r: Reservation, host: Host): string {
  return `DHCP reservation ${reservationKey(r)} on ${r.bridge} (${host.label})`;
}

/** The other reservations dnsmasq serves on the bridge: the network's own hostsfile and the other resources' files. */
function otherReservations(snapshot: HostSnapshot, r: Reservation): { entry: HostsfileEntry; where: string }[] {
  const observed = snapshot.dnsmasq.get(r.bridge);
  if (!observed) return [];
  const own = (observed.files.hostsfile ?? "").split("\n").filter(Boolean).map((l) => ({ entry: parseHostsfileLine(l), where: "the network's dhcp.hosts" }));
  const key = reservationKey(r);
  const others = [...observed.hosts].filter(([k]) => k !== key).map(([k, l]) => ({ entry: parseHostsfileLine(l), where: `DhcpHost ${k}` }));
  return [...own, ...others];
}

/**
 * Checks that need the host, before anything changes: the network's dnsmasq runs and serves DHCP of the
 * reservation's family, the address is in one of the bridge's subnets, and no other reservation has its MAC, name or
 * address (libvirt's net-update check, made against the host's files).
 */
function preflight(r: Reservation, snapshot: HostSnapshot, host: Host): void {
  const problems = dhcpHostRuleFailures(r).map((f) => `${f.property}: ${f.reason}`);
  const link = snapshot.link(r.bridge);
  const observed = snapshot.dnsmasq.get(r.bridge);
  const family = reservationFamily(r);
  const network = r.networkName ?? r.bridge;
  if (!link) problems.push(`bridge ${r.bridge} does not exist on ${host.label}; create its network first`);
  else if (!observed?.files.conf) problems.push(`${noDhcpMessage(network, family)} (the network on ${r.bridge} runs no dnsmasq)`);
  else {
    const ranges = [...observed.files.conf.matchAll(/^dhcp-range=([^,\n]+),/gm)].map((m) => addressFamily(m[1]!));
    if (!ranges.includes(family)) problems.push(noDhcpMessage(network, family));
    const subnets = link.addresses.filter((a) => a.family === family && a.scope !== "link");
    if (!subnets.some((a) => networkAddress(a.address, a.prefix) === networkAddress(r.ip!, a.prefix))) {
      problems.push(`ip: host ip '${r.ip}' is not inside any subnet of bridge ${r.bridge} (${subnets.map((a) => `${networkAddress(a.address, a.prefix)}/${a.prefix}`).join(", ") || "none"})`);
    }
    const mine = parseHostsfileLine(reservationLine(r));
    for (const { entry, where } of otherReservations(snapshot, r)) {
      const same = (["mac", "id", "name", "ip"] as const).find((k) => mine[k] !== undefined && mine[k] === entry[k]);
      if (same) problems.push(`${same}: there is an existing dhcp host entry in network '${network}' that matches "${describe(entry)}" (${where}); a MAC, name or address can be reserved once`);
    }
  }
  if (problems.length > 0) throw new Error(`${label(r, host)}: ${[...new Set(problems)].join("; ")}`);
}

function describe(e: HostsfileEntry): string {
  const attrs = (["mac", "id", "name", "ip"] as const).filter((k) => e[k] !== undefined).map((k) => ` ${k}='${e[k]}'`);
  return `<host${attrs.join("")}/>`;
}

const recorded = (r: Reservation): DhcpHostOutputs => stripUndefined({ ...r, schemaVersion: DHCP_HOST_SCHEMA_VERSION });

export const dhcpHostType: ResourceType<DhcpHostInputs, DhcpHostOutputs> = {
  noun: "DHCP reservation",
  schemaVersion: DHCP_HOST_SCHEMA_VERSION,
  check: checkDhcpHost,
  policy: dhcpHostPolicy,
  intended: (o) => {
    const { reservation: _observed, schemaVersion: _version, ...inputs } = o;
    return inputs;
  },
  nameOf: () => "",
  id: (host, r) => dhcpHostId(host, r),
  recorded,
  observe: async () => undefined,

  plan({ host, snapshot, desired, previous }) {
    const r = desired ?? previous!;
    const key = reservationKey(r);
    const observed = snapshot.dnsmasq.get(r.bridge)?.hosts.get(key);
    if (!desired) return observed === undefined ? [] : [{ op: "dhcpHostSet", bridge: r.bridge, key, line: null, from: observed }];
    preflight(desired, snapshot, host);
    const line = reservationLine(desired) + "\n";
    return observed === line ? [] : [{ op: "dhcpHostSet", bridge: r.bridge, key, line, from: observed ?? null }];
  },

  outputs({ snapshot, desired }) {
    // The file was removed (by hand, or with its network): the reservation is gone.
    const observed = snapshot.dnsmasq.get(desired.bridge)?.hosts.get(reservationKey(desired));
    return observed === undefined ? undefined : { ...recorded(desired), reservation: observed.trimEnd() };
  },
};

/** The DhcpHost handlers the serialized shim delegates to. */
export const dhcpHostHandlers = lifecycle(dhcpHostType);
