// libvirt's <route> validation (docs/libvirt-behaviour.md §2.1), in its order, plus gateway reachability through the network's <ip>s.
import { addressFamily, effectivePrefix, maxPrefix, netmaskPrefix, networkAddress, type IpFamily } from "../../net/ip-address";
import { isKnown } from "../../known";
import type { IpInputs } from "../network/schema";
import { desiredIp } from "../network/model";
import type { RouteInputs } from "./schema";

export interface RouteProblem {
  field: keyof RouteInputs;
  reason: string;
}

/** The first problem of one route on its own (rules 1–6 of docs/libvirt-behaviour.md §2.1). */
export function routeProblem(route: RouteInputs): RouteProblem | undefined {
  const r = { address: route.address, prefix: route.prefix, netmask: route.netmask, family: route.family, gateway: route.gateway };
  if (!isKnown(r)) return undefined;
  const { address, gateway } = r;
  const family: IpFamily = r.family ?? "ipv4";
  const addressIs = addressFamily(address);
  const gatewayIs = addressFamily(gateway);
  if (addressIs === undefined) return { field: "address", reason: `Bad network address '${address}' in route definition` };
  if (gatewayIs === undefined) return { field: "gateway", reason: `Bad gateway address '${gateway}' in route definition` };
  if (family === "ipv4") {
    if (addressIs !== "ipv4") {
      return r.family === undefined
        ? { field: "family", reason: `No family specified for non-IPv4 address '${address}' in route definition: set family: "ipv6"` }
        : { field: "address", reason: `IPv4 family specified for non-IPv4 address '${address}' in route definition` };
    }
    if (gatewayIs !== "ipv4") return { field: "gateway", reason: `the gateway '${gateway}' of an IPv4 route must be IPv4` };
    if (r.netmask !== undefined) {
      if (addressFamily(r.netmask) !== "ipv4") return { field: "netmask", reason: `Invalid netmask '${r.netmask}' for address '${address}' (both must be IPv4)` };
      if (r.prefix !== undefined) return { field: "netmask", reason: "Route definition cannot have both a prefix and a netmask" };
      if (netmaskPrefix(r.netmask) === undefined) return { field: "netmask", reason: `Invalid netmask '${r.netmask}': the one bits must be contiguous` };
    }
  } else {
    if (addressIs !== "ipv6") return { field: "address", reason: `ipv6 family specified for non-IPv6 address '${address}' in route definition` };
    if (r.netmask !== undefined) return { field: "netmask", reason: `Specifying netmask invalid for IPv6 address '${address}' in route definition: use prefix` };
    if (gatewayIs !== "ipv6") return { field: "gateway", reason: `the gateway '${gateway}' of an IPv6 route must be IPv6` };
  }
  if (r.prefix !== undefined && r.prefix > maxPrefix(family)) {
    return { field: "prefix", reason: `Invalid prefix ${r.prefix} specified in route definition, must be 0 - ${maxPrefix(family)}` };
  }
  // Rule 6: mask with the netmask, else with the prefix, which counts as 0 when absent. So every route but the
  // default route needs a prefix or netmask, and host bits must be clear.
  const maskBits = r.netmask !== undefined ? netmaskPrefix(r.netmask)! : (r.prefix ?? 0);
  if (networkAddress(address, maskBits) !== networkAddress(address, maxPrefix(family))) {
    const hint =
      r.prefix === undefined && r.netmask === undefined
        ? ": give a prefix or netmask"
        : `: its network address is ${networkAddress(address, maskBits)}`;
    return { field: "address", reason: `Address '${address}' in route definition is not a network address${hint}` };
  }
  if (effectivePrefix(address, r.prefix, r.netmask) === undefined) {
    return { field: "prefix", reason: `'${address}' has no natural class prefix: give a prefix or netmask` };
  }
  return undefined;
}

/**
 * Rule 7: the gateway must lie in one of the network's subnets of its family, each <ip> taken with its
 * effective prefix. Returns the message, or undefined when reachable (or not decidable yet).
 */
export function unreachableGateway(route: RouteInputs, ips: readonly IpInputs[]): string | undefined {
  const r = { gateway: route.gateway, family: route.family };
  if (!isKnown(r) || !isKnown(ips)) return undefined;
  const { gateway } = r;
  const family: IpFamily = r.family ?? "ipv4";
  const subnets = ips.map(desiredIp).filter((ip) => ip.family === family);
  if (subnets.some((ip) => networkAddress(ip.address, ip.prefix) === networkAddress(gateway, ip.prefix))) return undefined;
  const known = subnets.map((ip) => `${networkAddress(ip.address, ip.prefix)}/${ip.prefix}`);
  return `unreachable static route gateway '${gateway}': it is in none of the network's ${family} subnets (${known.length > 0 ? known.join(", ") : `the network has no ${family} address`})`;
}
