// GuestInterface domain model: what the tap and its bridge port should be, and outputs from observation.
import type { ObservedLink } from "../../iproute2/parse-ip-addr";
import { tapMacFor } from "../../net/mac";
import { GUEST_INTERFACE_SCHEMA_VERSION, type GuestInterfaceInputs, type GuestInterfaceOutputs, type GuestPort } from "./schema";

export const DEFAULT_TAP_TEMPLATE = "vnet%d";

export interface GuestDesired {
  name: string;
  bridge: string;
  guestMac: string;
  tapMac: string;
  mtu?: number;
  isolated: boolean;
  libvirtMode: boolean;
}

export function guestDesired(n: GuestInterfaceInputs, name: string): GuestDesired {
  const guestMac = n.mac as string;
  return {
    name,
    bridge: n.bridge as string,
    guestMac,
    tapMac: tapMacFor(guestMac),
    mtu: n.mtu as number | undefined,
    isolated: n.isolated as boolean,
    libvirtMode: n.macTableManager === "libvirt",
  };
}

/** macTableManager='libvirt' (spec §3): no learning, no unknown-unicast flooding, the guest MAC in the fdb. */
export function expectedPort(d: Pick<GuestDesired, "libvirtMode">): GuestPort {
  return { learning: !d.libvirtMode, flood: !d.libvirtMode, guestFdbEntry: d.libvirtMode };
}

/** Outputs from the observed tap, in the inputs' terms where the kernel agrees with them. */
export function guestOutputsFromObservation(intended: GuestInterfaceInputs, name: string, link: ObservedLink, fdb: readonly string[]): GuestInterfaceOutputs {
  const guestMac = intended.mac as string;
  const outputs: GuestInterfaceOutputs = {
    ...intended,
    name,
    mac: guestMac,
    // A tap detached by hand reports no bridge: the next update attaches it again.
    bridge: link.master ?? "",
    tapMac: link.mac ?? "",
    isolated: link.port?.isolated ?? false,
    port: { learning: link.port?.learning ?? true, flood: link.port?.flood ?? true, guestFdbEntry: fdb.includes(guestMac) },
    up: link.up,
    schemaVersion: GUEST_INTERFACE_SCHEMA_VERSION,
  };
  if (intended.mtu !== undefined) outputs.mtu = link.mtu;
  return outputs;
}
