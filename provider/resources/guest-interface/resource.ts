// The GuestInterface resource (the host side of a VM's NIC: a tap on a bridge, its port flags, fdb entry, bandwidth
// and floor) as the lifecycle needs it. Everything shared lives in ../lifecycle.ts.
import { tcCapabilitiesFor, type TcCapabilities } from "../../net/tc";
import { ownedLink, refuseForeign } from "../owned-link";
import { stripUndefined } from "../../strip-undefined";
import { observeDeviceTc, type DeviceTcView } from "../bandwidth/observe-device";
import { planIfbCleanup } from "../bandwidth/plan";
import { lifecycle, type ResourceType } from "../lifecycle";
import { checkGuestInterface } from "./check";
import { guestInterfacePolicy } from "./diff";
import { floorRecord, observedFloor, planFloor, planted, reserveFloors } from "./floor";
import { DEFAULT_TAP_TEMPLATE, guestDesired, guestOutputsFromObservation, intendedGuest, recordedGuest, type GuestResolved } from "./model";
import { guestPreflight } from "./preflight";
import { planGuestCreate, planGuestDelete, planGuestUpdate, planTapBandwidth } from "./plan";
import { GUEST_INTERFACE_SCHEMA_VERSION, type GuestInterfaceInputs, type GuestInterfaceOutputs } from "./schema";

/** libvirt gives up after 10000 vnet names (docs/libvirt-behaviour.md §4.2). */
const MAX_TAP_ID = 9999;

export function guestInterfaceId(host: string, tap: string): string {
  return `${host}/${tap}`;
}

/** The tap's tc, and how to render the guest's floor on its bridge; empty when no bandwidth is involved. */
interface GuestExtra {
  tap?: DeviceTcView;
  bridgeCaps?: TcCapabilities;
}

const hasFloor = (n: GuestResolved | undefined) => n?.bandwidth?.inbound?.floor !== undefined;

export const guestInterfaceType: ResourceType<GuestInterfaceInputs, GuestInterfaceOutputs, GuestExtra> = {
  noun: "guest interface",
  schemaVersion: GUEST_INTERFACE_SCHEMA_VERSION,
  check: checkGuestInterface,
  policy: guestInterfacePolicy,
  intended: intendedGuest,
  naming: { wanted: (n) => n.name ?? DEFAULT_TAP_TEMPLATE, owner: (n) => n.owner, adopt: (n) => n.adopt === true, maxId: MAX_TAP_ID, noun: "tap" },
  nameOf: (o) => o.name,
  id: (host, _n, name) => guestInterfaceId(host, name),
  // Plugging, unplugging or changing a floor changes the bridge's shared classes: each plan counts the floor
  // changes of the others in flight in this process (docs/architecture.md §5), so a wave plugs them together.
  reserve: ({ host }, ops) => reserveFloors(host.floorLedger, ops),
  recorded: recordedGuest,

  async observe({ host, snapshot, name, desired, previous }) {
    const involved = planted(previous) !== undefined || hasFloor(desired);
    const tap = await observeDeviceTc(host, snapshot, name, desired?.bandwidth, `guest interface ${name}`, involved);
    return tap && desired ? { tap, bridgeCaps: tcCapabilitiesFor(tap.features, desired.bridge) } : { tap };
  },

  plan({ host, snapshot, name, desired: n, previous, extra }) {
    // A floor an interrupted create plugged is found by the guest's MAC filter.
    const was = planted(previous) ?? (n && !previous?.floorClassId ? floorRecord(snapshot, n, undefined) : undefined);
    const floorInput = { tcOf: (b: string) => snapshot.tcOf(b), reserved: new Set<number>(), pending: host.floorLedger, what: `guest interface ${name}` };
    const link = ownedLink(snapshot, name, n ?? previous!, previous);
    if (!n) {
      const o = previous!;
      const unplug = was ? planFloor({ ...floorInput, previous: { ...was, floor: 0, mac: o.mac, network: o.networkBandwidth }, guestMac: o.mac }).steps : [];
      return [...unplug, ...(link ? [...planGuestDelete(name), ...planIfbCleanup(snapshot, name)] : [])];
    }
    refuseForeign(snapshot, "tap", name, host, link);
    const d = guestDesired(n, name);
    const mtu = guestPreflight(d, snapshot, host);
    const rate = n.bandwidth?.inbound;
    // The network port (its floor) is plugged before the tap exists, as libvirt allocates the port first (docs/libvirt-behaviour.md §4.5).
    const floor = planFloor({
      ...floorInput,
      want: rate?.floor !== undefined && extra.bridgeCaps ? { bridge: n.bridge, rate, network: n.networkBandwidth, caps: extra.bridgeCaps } : undefined,
      previous: was && previous && { ...was, floor: previous.bandwidth?.inbound?.floor ?? 0, mac: previous.mac, network: previous.networkBandwidth },
      guestMac: d.guestMac,
    });
    // A tap deleted by hand since the last refresh is made again.
    const tapSteps = link && previous ? planGuestUpdate(d, link, snapshot.fdb.get(name) ?? [], { guestMac: previous.mac }) : planGuestCreate(d, mtu);
    return [...floor.steps, ...tapSteps, ...planTapBandwidth(name, n.bandwidth, extra.tap, d.alias)];
  },

  outputs({ snapshot, name, desired, previous, extra }) {
    // Someone else's interface under the name is not the guest interface: it reads as gone, and is never changed.
    const link = ownedLink(snapshot, name, desired, previous);
    if (!link) return undefined;
    const floor = extra.tap ? floorRecord(snapshot, desired, previous) : undefined;
    const tc = extra.tap && {
      tap: extra.tap.own,
      ifb: extra.tap.ifb,
      features: extra.tap.features,
      floor: floor ? observedFloor(snapshot.tcOf(floor.bridge), floor.id, desired.mac ?? "") : undefined,
      floorClassId: floor?.id,
      floorBridge: floor?.bridge,
    };
    return stripUndefined(guestOutputsFromObservation(desired, name, link, snapshot.fdb.get(name) ?? [], tc));
  },
};

/** The GuestInterface handlers the serialized shim delegates to. */
export const guestInterfaceHandlers = lifecycle(guestInterfaceType);
