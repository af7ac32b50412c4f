// A device's traffic control as observed, with how to render for this host: shared by every resource that shapes
// (a network's bridge, a guest's tap). The host's tc features are probed only when bandwidth is involved.
import type { Host } from "../../host/host";
import type { HostSnapshot } from "../../host/snapshot";
import { tcFeatures } from "../../host/tc-capabilities";
import type { Bandwidth } from "../../net/bandwidth";
import { tcCapabilitiesFor, type TcFeatures } from "../../net/tc";
import { unsupportedBandwidth } from "./observe";
import type { ObservedDeviceTc } from "./plan";

export type DeviceTcView = ObservedDeviceTc & { features: TcFeatures };

/**
 * Undefined when the device has no shaping and none is wanted (`involved` forces the probe, for a floor on the
 * bridge). Throws, naming the device, when the kernel cannot apply the bandwidth at all.
 */
export async function observeDeviceTc(host: Host, snapshot: HostSnapshot, dev: string, bandwidth: Bandwidth | undefined, what: string, involved = false): Promise<DeviceTcView | undefined> {
  const own = snapshot.tcOf(dev);
  if (!bandwidth && own.qdiscs.length === 0 && !involved) return undefined;
  const features = await tcFeatures(host);
  const unsupported = unsupportedBandwidth(bandwidth, features);
  if (unsupported) throw new Error(`${what} on ${host.label}: ${unsupported}`);
  const caps = tcCapabilitiesFor(features, dev);
  const ifbName = typeof caps.ingress === "string" ? undefined : caps.ingress.ifb;
  return { own, features, caps, ifbName, ifb: ifbName ? snapshot.tcOf(ifbName) : undefined, ifbExists: ifbName !== undefined && snapshot.link(ifbName) !== undefined };
}
