// libvirt's validation rules for <network> (docs/libvirt-behaviour.md §1), applied at check so a preview catches them.
import { type IpFamily, addressFamily, effectivePrefix, maxPrefix, netmaskPrefix, normalizeAddress } from "../../net/ip-address";
import { interfaceNameProblem, isNameTemplate, nameTemplateProblem } from "../../net/interface-name";
import type { CheckFailure } from "../../schema/check-failures";
import { isUnknown } from "../../unknown";
import { isKnown, knownItems } from "../../known";
import { desiredRoute, destinationText, routeKey, sameDestination } from "../route/model";
import { routeProblem, unreachableGateway } from "../route/rules";
import { bandwidthFailures } from "../bandwidth/rules";
import { desiredIp } from "./model";
import { forwardRuleFailures } from "./forward-rules";
import { dnsmasqRuleFailures } from "./dnsmasq-rules";
import type { IpInputs, NetworkInputs } from "./schema";

export function networkRuleFailures(n: NetworkInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  if (!isUnknown(n.bridge) && typeof n.bridge === "object" && n.bridge.name !== undefined && !isUnknown(n.bridge.name)) {
    const name = n.bridge.name;
    const problem = isNameTemplate(name) ? nameTemplateProblem(name) : interfaceNameProblem(name);
    if (problem) fail("bridge.name", problem);
  }

  if (!isUnknown(n.ips)) {
    const seen = new Map<string, number>();
    n.ips.forEach((ip, i) => {
      const problem = ipProblem(ip);
      if (problem) return fail(`ips[${i}].${problem.field}`, problem.reason);
      if (isUnknown(ip.address)) return;
      const key = normalizeAddress(ip.address);
      if (seen.has(key)) fail(`ips[${i}].address`, `${ip.address} is already given in ips[${seen.get(key)}]`);
      seen.set(key, i);
    });
  }
  failures.push(...inlineRouteFailures(n));
  failures.push(...bandwidthFailures(n.bandwidth, "network"));
  failures.push(...forwardRuleFailures(n));
  failures.push(...dnsmasqRuleFailures(n));
  return failures;
}

/** Every rule of docs/libvirt-behaviour.md §2.1 for the inline routes, with reachability through the network's own addresses. */
function inlineRouteFailures(n: NetworkInputs): CheckFailure[] {
  if (isUnknown(n.routes)) return [];
  const failures: CheckFailure[] = [];
  const seen = new Map<string, number>();
  const ips = !isUnknown(n.ips) && n.ips.every((ip) => ipProblem(ip) === undefined) ? knownItems(n.ips) : undefined;
  n.routes.forEach((r, i) => {
    const problem = routeProblem(r);
    if (problem) return failures.push({ property: `routes[${i}].${problem.field}`, reason: problem.reason });
    if (!isKnown(r)) return;
    const d = desiredRoute(r);
    const key = routeKey(d);
    if (seen.has(key)) return failures.push({ property: `routes[${i}]`, reason: `routes[${seen.get(key)}] already routes ${destinationText(d)} with metric ${d.metric}` });
    seen.set(key, i);
    if (!ips) return;
    const own = ips.findIndex((ip) => sameDestination(desiredIp(ip), d));
    if (own >= 0) return failures.push({ property: `routes[${i}].address`, reason: `${destinationText(d)} is the network's own subnet (ips[${own}]); the kernel already routes it on the bridge` });
    const unreachable = unreachableGateway(r, ips);
    if (unreachable) failures.push({ property: `routes[${i}].gateway`, reason: unreachable });
  });
  return failures;
}

/** The first problem of one <ip> element, in libvirt's order (virNetworkIPDefParseXML). */
export function ipProblem(input: IpInputs): { field: string; reason: string } | undefined {
  const ip = { address: input.address, prefix: input.prefix, netmask: input.netmask, family: input.family };
  if (!isKnown(ip)) return undefined;
  const address = ip.address;
  const actual = addressFamily(address);
  if (actual === undefined) return { field: "address", reason: `Invalid address '${address}'` };
  const family: IpFamily = ip.family ?? "ipv4";
  if (family === "ipv4" && actual !== "ipv4") {
    return {
      field: ip.family === undefined ? "family" : "address",
      reason:
        ip.family === undefined
          ? `no family specified for non-IPv4 address '${address}': set family: "ipv6"`
          : `ipv4 family specified for non-IPv4 address '${address}'`,
    };
  }
  if (family === "ipv6" && actual !== "ipv6") return { field: "address", reason: `ipv6 family specified for non-IPv6 address '${address}'` };
  if (ip.netmask !== undefined) {
    if (ip.prefix !== undefined) return { field: "netmask", reason: "cannot have both a prefix and a netmask" };
    if (family === "ipv6") return { field: "netmask", reason: "a netmask is not allowed for IPv6; use prefix" };
    if (addressFamily(ip.netmask) !== "ipv4") return { field: "netmask", reason: `Invalid netmask '${ip.netmask}' (both must be IPv4)` };
    if (netmaskPrefix(ip.netmask) === undefined) return { field: "netmask", reason: `Invalid netmask '${ip.netmask}': the one bits must be contiguous` };
  }
  if (ip.prefix !== undefined && ip.prefix > maxPrefix(family)) {
    return { field: "prefix", reason: `Invalid prefix ${ip.prefix}: must be 0 - ${maxPrefix(family)} for ${family}` };
  }
  if (effectivePrefix(address, ip.prefix, ip.netmask) === undefined) {
    return { field: "prefix", reason: `'${address}' has no natural class prefix (class D/E): give a prefix or netmask` };
  }
  return undefined;
}
