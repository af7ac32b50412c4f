// GuestInterface check: names, MACs and the tap MAC rule, with no I/O.
import { interfaceNameProblem, isNameTemplate, nameTemplateProblem } from "../../net/interface-name";
import { generateLibvirtMac } from "../../net/mac";
import { keptMac } from "../../schema/mac-schema";
import { failuresFromZod, type CheckFailure } from "../../schema/check-failures";
import { containsUnknown, isUnknown } from "../../unknown";
import { bandwidthFailures, floorProblem } from "../bandwidth/rules";
import type { Bandwidth } from "../bandwidth/schema";
import type { CheckResult } from "../../schema/check-failures";
import { stripUndefined } from "../../strip-undefined";
import { guestInterfaceArgsSchema, type GuestInterfaceInputs } from "./schema";

export function guestInterfaceRuleFailures(n: GuestInterfaceInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (!isUnknown(n.bridge)) {
    const problem = interfaceNameProblem(n.bridge);
    if (problem) failures.push({ property: "bridge", reason: problem });
  }
  if (n.name !== undefined && !isUnknown(n.name)) {
    const problem = isNameTemplate(n.name) ? nameTemplateProblem(n.name) : interfaceNameProblem(n.name);
    if (problem) failures.push({ property: "name", reason: problem });
  }
  failures.push(...bandwidthFailures(n.bandwidth, "interface"));
  const floor = !isUnknown(n.bandwidth) && n.bandwidth?.inbound !== undefined && !isUnknown(n.bandwidth.inbound) ? n.bandwidth.inbound.floor : undefined;
  if (typeof floor === "number" && !containsUnknown(n.networkBandwidth) && failures.length === 0) {
    const problem = floorProblem(floor, n.networkBandwidth as Bandwidth | undefined, 0, "this interface");
    if (problem) failures.push({ property: "bandwidth.inbound.floor", reason: problem });
  }
  return failures;
}

/** A missing guest MAC is generated once (52:54:00:xx:xx:xx) and kept from the previous inputs. */
export function checkGuestInterface(olds: Record<string, unknown>, news: Record<string, unknown>): CheckResult {
  const { __provider: _ignored, ...args } = news;
  const parsed = guestInterfaceArgsSchema.safeParse(args);
  if (!parsed.success) return { inputs: news, failures: failuresFromZod(parsed.error) };
  const failures = guestInterfaceRuleFailures(parsed.data);
  if (failures.length > 0) return { inputs: news, failures };
  const n = parsed.data;
  return { inputs: stripUndefined({ ...n, mac: n.mac ?? keptMac(olds, generateLibvirtMac) }) as unknown as Record<string, unknown>, failures: [] };
}
