// Network check: schema, libvirt's rules and canonical inputs, with no I/O (design §3).
import { parseMac, generateLibvirtMac } from "../../net/mac";
import { normalizeAddress } from "../../net/ip-address";
import { failuresFromZod, type CheckFailure } from "../../schema/check-failures";
import { isUnknown } from "../../unknown";
import { networkRuleFailures } from "./rules";
import { networkArgsSchema, type NetworkInputs } from "./schema";

export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

/**
 * Validates and canonicalizes. A missing MAC is generated once and then kept from the previous inputs,
 * as libvirt saves the MAC it generates (spec §1.3).
 */
export function checkNetwork(olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  const { __provider: _ignored, ...args } = news;
  const parsed = networkArgsSchema.safeParse(args);
  if (!parsed.success) return { inputs: news, failures: failuresFromZod(parsed.error) };
  const failures = networkRuleFailures(parsed.data);
  if (failures.length > 0) return { inputs: news, failures };
  return { inputs: canonical(parsed.data, olds) as unknown as Record<string, unknown>, failures: [] };
}

function canonical(n: NetworkInputs, olds: Record<string, unknown>): NetworkInputs {
  const out: NetworkInputs = { ...n };
  if (n.mac === undefined) {
    const previous = typeof olds.mac === "string" ? parseMac(olds.mac) : undefined;
    out.mac = previous ?? generateLibvirtMac();
  } else if (!isUnknown(n.mac)) {
    out.mac = parseMac(n.mac);
  }
  if (n.mtu === 0) delete out.mtu;
  if (!isUnknown(n.ips)) out.ips = n.ips.map((ip) => ({ ...ip, address: canonicalAddress(ip.address) }));
  if (!isUnknown(n.routes)) out.routes = n.routes.map((r) => ({ ...r, address: canonicalAddress(r.address), gateway: canonicalAddress(r.gateway) }));
  return stripUndefined(out);
}

/** The canonical text of an address already validated, or the unknown marker as it came. */
export function canonicalAddress<T extends string>(value: T): T {
  return (isUnknown(value) ? value : normalizeAddress(value)) as T;
}

/** Pulumi's plugin fails after the side effect on an undefined anywhere in a result (design §3). */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, stripUndefined(v)])) as T;
  }
  return value;
}
