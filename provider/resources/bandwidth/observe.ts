// Bandwidth as the kernel holds it, read back from tc, and compared with the inputs (docs/architecture.md §3: read).
import type { DeviceTc } from "../../net/tc";
import type { TcFeatures } from "../../host/tc-capabilities";
import { kbpsOfBits, policeBurst } from "../../net/tc";
import type { Substitution } from "../../net/substitution";
import type { Bandwidth, Rate } from "./schema";


/**
 * The inbound HTB class (1:1; it carries the network's cap or the interface's rate) and the outbound limit, from
 * police or from the ifb's class. `burstClass` is where a burst was written: 1:2 for a network, 1:1 otherwise.
 */
export function observedBandwidth(tc: DeviceTc, ifb: DeviceTc | undefined, hierarchical: boolean): Bandwidth {
  const out: Bandwidth = {};
  const root = tc.qdiscs.find((q) => q.kind === "htb" && q.parent === undefined);
  const main = tc.classes.find((c) => c.classId === "1:1");
  if (root && main) {
    const burstClass = tc.classes.find((c) => c.classId === (hierarchical ? "1:2" : "1:1"));
    const inbound: Rate = { average: kbpsOfBits(main.rateBits) };
    if (main.ceilBits !== main.rateBits) inbound.peak = kbpsOfBits(main.ceilBits);
    if (burstClass && burstClass.burstBytes % 1024 === 0) inbound.burst = burstClass.burstBytes / 1024;
    out.inbound = inbound;
  }
  const police = tc.ingressFilters.find((f) => f.police)?.police;
  const redirect = tc.ingressFilters.find((f) => f.redirectTo);
  const shaped = redirect && ifb?.classes.find((c) => c.classId === "1:1");
  if (police) out.outbound = { average: kbpsOfBits(police.rateBits), burst: police.burstBytes / 1024 };
  else if (shaped) out.outbound = { average: kbpsOfBits(shaped.rateBits), burst: shaped.burstBytes / 1024 };
  return out;
}

const close = (a: number | undefined, b: number | undefined) => a === b || (a !== undefined && b !== undefined && Math.abs(a - b) <= Math.max(1, a * 0.005));

/**
 * Whether the kernel holds what the inputs ask for (a floor is the guest's own business, compared elsewhere).
 * `ignoreInboundBurst`: libvirt's UpdateRate re-writes class 1:2 without its burst once guests plug floors, so a
 * network's inbound burst is only comparable while none are plugged.
 */
export function bandwidthMatches(intended: Bandwidth | undefined, observed: Bandwidth, ignoreInboundBurst = false): boolean {
  const inbound = intended?.inbound?.average !== undefined ? intended.inbound : undefined;
  if (!inbound !== !observed.inbound) return false;
  if (inbound && observed.inbound) {
    if (!close(inbound.average, observed.inbound.average) || !close(inbound.peak, observed.inbound.peak)) return false;
    if (inbound.burst !== undefined && !ignoreInboundBurst && !close(inbound.burst, observed.inbound.burst)) return false;
  }
  const outbound = intended?.outbound;
  if (!outbound !== !observed.outbound) return false;
  if (outbound && observed.outbound) {
    if (!close(outbound.average, observed.outbound.average) || !close(policeBurst(outbound), observed.outbound.burst)) return false;
  }
  return true;
}

/** The settings a kernel without sch_sfq, cls_fw or act_police gets instead (docs/architecture.md §4), for outputs. */
export function bandwidthSubstitutions(b: Bandwidth | undefined, f: TcFeatures): Substitution[] {
  const subs: Substitution[] = [];
  const floor = b?.inbound?.floor !== undefined;
  if (b?.inbound?.average !== undefined || floor) {
    if (!f.sfq) subs.push({ property: "bandwidth.inbound", wanted: "sfq perturb 10 leaf qdisc", applied: "pfifo leaf qdisc", reason: "the kernel has no sch_sfq (CONFIG_NET_SCH_SFQ); rates and floors hold, only fairness between flows within a class is lost" });
    if (!f.fw && b?.inbound?.average !== undefined) subs.push({ property: "bandwidth.inbound", wanted: "fw filter (prio 1 handle 1 flowid 1)", applied: "no filter", reason: "the kernel has no cls_fw (CONFIG_NET_CLS_FW); the HTB default class already takes the traffic that filter would" });
  }
  if (b?.outbound !== undefined && !f.police) {
    subs.push({ property: "bandwidth.outbound", wanted: "ingress police (drop above the rate)", applied: "ingress redirected to an ifb device shaped with HTB at the same rate", reason: "the kernel has no act_police (CONFIG_NET_ACT_POLICE)" });
  }
  return subs;
}

/** Without act_police the outbound limit needs an ifb; without that too, nothing equivalent is left. */
export function unsupportedBandwidth(b: Bandwidth | undefined, f: TcFeatures): string | undefined {
  if (b?.outbound !== undefined && !f.police && !f.ifb) {
    return "bandwidth.outbound cannot be applied: the kernel has neither act_police (CONFIG_NET_ACT_POLICE) nor ifb (CONFIG_IFB)";
  }
  return undefined;
}
