// Network check: schema, libvirt's rules and canonical inputs, with no I/O (docs/architecture.md §3).
import { generateLibvirtMac } from "../../net/mac";
import { keptMac } from "../../schema/mac-schema";
import { failuresFromZod, type CheckResult } from "../../schema/check-failures";
import { canonicalAddress } from "../../schema/canonical-address";
import { stripUndefined } from "../../strip-undefined";
import { isUnknown } from "../../unknown";
import { networkRuleFailures } from "./rules";
import { isHostBridge, networkArgsSchema, type NetworkInputs } from "./schema";

/**
 * Validates and canonicalizes. A missing MAC is generated once and then kept from the previous inputs,
 * as libvirt saves the MAC it generates (docs/libvirt-behaviour.md §1.3).
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
  // A host bridge keeps the MAC it has: virtnet gives it none (libvirt refuses <mac> there).
  if (n.mac === undefined && !isHostBridge(n.forward)) out.mac = keptMac(olds, generateLibvirtMac);
  if (!isUnknown(n.ips)) out.ips = n.ips.map((ip) => ({ ...ip, address: canonicalAddress(ip.address) }));
  if (!isUnknown(n.routes)) out.routes = n.routes.map((r) => ({ ...r, address: canonicalAddress(r.address), gateway: canonicalAddress(r.gateway) }));
  return stripUndefined(out);
}
