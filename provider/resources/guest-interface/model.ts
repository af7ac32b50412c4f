// GuestInterface domain model: what the tap and its bridge port should be, and outputs from observation.
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import { tapMacFor } from "../../net/mac";
import { ownerAlias } from "../../net/owner-alias";
import type { DeviceTc } from "../../net/tc";
import type { TcFeatures } from "../../host/tc-capabilities";
import { bandwidthMatches, bandwidthSubstitutions, observedBandwidth } from "../bandwidth/observe";
import type { Bandwidth } from "../bandwidth/schema";
import type { Known } from "../../known";
import { GUEST_INTERFACE_SCHEMA_VERSION, type GuestInterfaceInputs, type GuestInterfaceOutputs, type GuestPort } from "./schema";

export type GuestResolved = Known<GuestInterfaceInputs>;

export const DEFAULT_TAP_TEMPLATE = "vnet%d";

export interface GuestDesired {
  name: string;
  /** The marker that says which resource owns the tap. */
  alias: string;
  bridge: string;
  guestMac: string;
  tapMac: string;
  mtu?: number;
  isolated: boolean;
  libvirtMode: boolean;
}

export function guestDesired(n: GuestResolved, name: string): GuestDesired {
  const guestMac = n.mac ?? "";
  return { name, alias: ownerAlias(n.owner), bridge: n.bridge, guestMac, tapMac: tapMacFor(guestMac), mtu: n.mtu, isolated: n.isolated, libvirtMode: n.macTableManager === "libvirt" };
}

/** Outputs as the inputs describe them, before the host is observed. */
export function recordedGuest(n: GuestResolved, name: string): GuestInterfaceOutputs {
  const d = guestDesired(n, name);
  return { ...n, name, mac: d.guestMac, tapMac: d.tapMac, port: expectedPort(d), up: true, substitutions: [], schemaVersion: GUEST_INTERFACE_SCHEMA_VERSION };
}

/** The resolved inputs recorded outputs describe: what read and delete know of the guest interface. */
export function intendedGuest(o: GuestInterfaceOutputs): GuestResolved {
  const { connection, bridge, macTableManager, name, mac, mtu, isolated, bandwidth, networkBandwidth, owner, adopt, networkAutostart } = o;
  return { connection, bridge, macTableManager, name, mac, mtu, isolated, bandwidth, networkBandwidth, owner, adopt, networkAutostart };
}

/** macTableManager='libvirt' (docs/libvirt-behaviour.md §3): no learning, no unknown-unicast flooding, the guest MAC in the fdb. */
export function expectedPort(d: Pick<GuestDesired, "libvirtMode">): GuestPort {
  return { learning: !d.libvirtMode, flood: !d.libvirtMode, guestFdbEntry: d.libvirtMode };
}

/** The tap's traffic control as observed, its floor as planted on the bridge, and the host's tc features. */
export interface GuestTc {
  tap: DeviceTc;
  ifb?: DeviceTc;
  /** The floor the bridge gives the guest (undefined when its class or filter is gone), and its class id. */
  floor?: number;
  floorClassId?: number;
  floorBridge?: string;
  features: TcFeatures;
}

/** Bandwidth as the kernel holds it, phrased as the inputs wherever they agree. */
function guestBandwidth(intended: Bandwidth | undefined, tc: GuestTc): Bandwidth | undefined {
  const tap = observedBandwidth(tc.tap, tc.ifb, false);
  if (bandwidthMatches(intended, tap) && tc.floor === intended?.inbound?.floor) return intended;
  const observed: Bandwidth = { ...tap };
  if (tc.floor !== undefined) observed.inbound = { ...observed.inbound, floor: tc.floor };
  return observed.inbound || observed.outbound ? observed : undefined;
}

/** Outputs from the observed tap, in the inputs' terms where the kernel agrees with them. */
export function guestOutputsFromObservation(intended: GuestResolved, name: string, link: ObservedLink, fdb: readonly string[], tc?: GuestTc): GuestInterfaceOutputs {
  const guestMac = intended.mac ?? "";
  const { bandwidth: wanted, ...rest } = intended;
  const outputs: GuestInterfaceOutputs = {
    ...rest,
    name,
    mac: guestMac,
    // A tap detached by hand reports no bridge: the next update attaches it again.
    bridge: link.master ?? "",
    tapMac: link.mac ?? "",
    isolated: link.port?.isolated ?? false,
    port: { learning: link.port?.learning ?? true, flood: link.port?.flood ?? true, guestFdbEntry: fdb.includes(guestMac) },
    up: link.up,
    substitutions: [],
    schemaVersion: GUEST_INTERFACE_SCHEMA_VERSION,
  };
  if (tc) {
    const bandwidth = guestBandwidth(wanted, tc);
    if (bandwidth) outputs.bandwidth = bandwidth;
    if (tc.floorClassId !== undefined) {
      outputs.floorClassId = tc.floorClassId;
      outputs.floorBridge = tc.floorBridge;
    }
    outputs.substitutions = bandwidthSubstitutions(wanted, tc.features);
  }
  if (intended.mtu !== undefined) outputs.mtu = link.mtu;
  return outputs;
}
