// DhcpHost check: the rules of an inline reservation (network/dnsmasq-rules.ts), against the DHCP entry of its
// family in its Network's ips when those are known at preview, including the Network's own reservations.
import { interfaceNameProblem } from "../../net/interface-name";
import { addressFamily, effectivePrefix, type IpFamily } from "../../net/ip-address";
import { parseMac } from "../../net/mac";
import { failuresFromZod, type CheckFailure, type CheckResult } from "../../schema/check-failures";
import { canonicalAddress } from "../../schema/canonical-address";
import { stripUndefined } from "../../strip-undefined";
import { isUnknown } from "../../unknown";
import { isKnown, knownItems } from "../../known";
import { dhcpHostProblem, duplicateHost, type ReservationParent } from "../network/dnsmasq-rules";
import type { DhcpHostInputs as ReservationInputs } from "../network/dnsmasq-schema";
import type { IpInputs } from "../network/schema";
import { dhcpHostArgsSchema, type DhcpHostInputs } from "./schema";

/** The reservation's family: its address's, else an IPv6 one when it names a DUID. */
export function reservationFamily(n: Pick<DhcpHostInputs, "ip" | "duid">): IpFamily {
  if (n.ip !== undefined && !isUnknown(n.ip)) return addressFamily(n.ip) ?? "ipv4";
  return n.duid !== undefined ? "ipv6" : "ipv4";
}

/** The message for a network without DHCP of the reservation's family, where a reservation would never be served. */
export function noDhcpMessage(network: string, family: IpFamily): string {
  return `network '${network}' has no DHCP on an ${family === "ipv4" ? "IPv4" : "IPv6"} address: give one of its ips dhcp.ranges or dhcp.hosts`;
}

/** A list that is unknown counts as given: preview cannot tell, and the apply checks again. */
const given = (list: readonly unknown[] | string | undefined) => list !== undefined && (isUnknown(list) || list.length > 0);

/** The ips entry that serves DHCP for `family` (ranges or hosts), with its index. */
function dhcpEntry(ips: IpInputs[], family: IpFamily): { ip: IpInputs; index: number } | undefined {
  const index = ips.findIndex((ip) => (ip.family ?? "ipv4") === family && ip.dhcp !== undefined && (isUnknown(ip.dhcp) || given(ip.dhcp.ranges) || given(ip.dhcp.hosts)));
  return index < 0 ? undefined : { ip: ips[index], index };
}

export function dhcpHostRuleFailures(n: DhcpHostInputs): CheckFailure[] {
  if (!isUnknown(n.bridge)) {
    const problem = interfaceNameProblem(n.bridge);
    if (problem) return [{ property: "bridge", reason: problem }];
  }
  const network = n.networkName !== undefined && !isUnknown(n.networkName) ? n.networkName : isUnknown(n.bridge) ? "" : n.bridge;
  // A reservation by name alone whose address preview does not know yet has no family to check against: the apply checks it.
  if ((n.ip === undefined || isUnknown(n.ip)) && n.mac === undefined && n.duid === undefined && n.ip !== undefined) return [];
  const family = reservationFamily(n);
  const parent: ReservationParent = { family };
  const host: ReservationInputs = { mac: n.mac, id: n.duid, name: n.name, ip: n.ip, lease: n.lease };
  let entry: ReturnType<typeof dhcpEntry>;
  if (n.networkIps !== undefined && !isUnknown(n.networkIps) && isKnown(n.networkIps.map((ip) => ({ address: ip.address, prefix: ip.prefix, netmask: ip.netmask, family: ip.family })))) {
    entry = dhcpEntry(n.networkIps, family);
    if (!entry) return [{ property: "ip", reason: noDhcpMessage(network, family) }];
    const { address, prefix, netmask } = entry.ip as { address: string; prefix?: number; netmask?: string };
    const effective = effectivePrefix(address, prefix, netmask);
    if (effective !== undefined) parent.subnet = { address, prefix: effective, label: `the network's ips[${entry.index}]` };
  }
  const problem = dhcpHostProblem(host, parent, network);
  if (problem) return [{ property: problem.field === "id" ? "duid" : problem.field || (family === "ipv4" ? "mac" : "duid"), reason: problem.reason }];
  const hosts = entry && !isUnknown(entry.ip.dhcp!) ? entry.ip.dhcp!.hosts : undefined;
  const inline = hosts !== undefined && !isUnknown(hosts) ? knownItems(hosts) : undefined;
  if (inline && isKnown(host)) {
    const clash = duplicateHost(host, inline, network);
    if (clash) return [{ property: clash.field === "id" ? "duid" : clash.field, reason: `${clash.reason}; a reservation has one owner: remove one of them` }];
  }
  return [];
}

export function checkDhcpHost(_olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  const { __provider: _ignored, ...args } = news;
  const parsed = dhcpHostArgsSchema.safeParse(args);
  if (!parsed.success) return { inputs: news, failures: failuresFromZod(parsed.error) };
  const failures = dhcpHostRuleFailures(parsed.data);
  if (failures.length > 0) return { inputs: news, failures };
  const n = parsed.data;
  const mac = n.mac !== undefined && !isUnknown(n.mac) ? (parseMac(n.mac) ?? n.mac) : n.mac;
  return { inputs: stripUndefined({ ...n, mac, ip: n.ip === undefined ? undefined : canonicalAddress(n.ip) }) as unknown as Record<string, unknown>, failures: [] };
}
