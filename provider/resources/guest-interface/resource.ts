// The GuestInterface resource (the host side of a VM's NIC: a tap on a bridge, its port flags, fdb entry, bandwidth
// and floor) as the lifecycle needs it. Everything shared lives in ../lifecycle.ts.
import { tcCapabilitiesFor, type TcCapabilities } from "../../net/tc";
import { tcFeatures } from "../../host/tc-capabilities";
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
import { planFragment, observedFragment } from "../autostart-fragment";
import { renderGuestFragment } from "../../plan/boot-script";
import { guestFragmentPath } from "../../systemd/autostart-paths";
import { floorPlug } from "../bandwidth/libvirt-tc";
import { NO_TC } from "../../net/tc";
import { DEFAULT_MTU } from "../network/model";
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

  // The tc probe goes with the snapshot whenever observe will ask for it (below), so it costs no round trip of its own.
  probe: (host, n, previous) => {
    if (n?.bandwidth || previous?.bandwidth || hasFloor(n) || planted(previous) !== undefined) tcFeatures(host).catch(() => undefined);
    return undefined;
  },

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
      const fragment = planFragment(guestFragmentPath(o.bridge, name), undefined, snapshot.autostart);
      return [...fragment, ...unplug, ...(link ? [...planGuestDelete(name), ...planIfbCleanup(snapshot, name)] : [])];
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
    const fragment = planFragment(guestFragmentPath(n.bridge, name), bootFragment(n, name, mtu, floor.id, extra), snapshot.autostart, previous && guestFragmentPath(previous.bridge, name));
    return [...floor.steps, ...tapSteps, ...planTapBandwidth(name, n.bandwidth, extra.tap, d.alias), ...fragment];
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
    const wanted = bootFragment(desired, name, snapshot.link(desired.bridge)?.mtu ?? DEFAULT_MTU, floor?.id, extra);
    const autostart = observedFragment(desired.networkAutostart, guestFragmentPath(desired.bridge, name), wanted, snapshot.autostart);
    return stripUndefined({ ...guestOutputsFromObservation(desired, name, link, snapshot.fdb.get(name) ?? [], tc), ...autostart });
  },
};

/**
 * The guest at boot, when its network has autostart: its floor plugged with the class id it holds now (the network's
 * script sets the class the floors share once every guest's has run), then its create plan and its own bandwidth on a
 * tap that has none yet.
 */
function bootFragment(n: GuestResolved, name: string, mtu: number, floorId: number | undefined, extra: GuestExtra): string | undefined {
  if (n.networkAutostart !== true) return undefined;
  const d = guestDesired(n, name);
  const rate = n.bandwidth?.inbound;
  const floor = rate?.floor !== undefined && floorId !== undefined && n.networkBandwidth && extra.bridgeCaps ? floorPlug(n.bridge, n.networkBandwidth, d.guestMac, rate, floorId, extra.bridgeCaps) : [];
  const freshTap = extra.tap && { ...extra.tap, own: NO_TC, ifb: extra.tap.ifbName ? NO_TC : undefined, ifbExists: false };
  const ops = [...floor, ...planGuestCreate(d, mtu), ...planTapBandwidth(name, n.bandwidth, freshTap, d.alias)];
  return renderGuestFragment(`guest interface ${name} on ${n.bridge}`, name, ops, floor.length > 0 ? rate!.floor : undefined);
}

/** The GuestInterface handlers the serialized shim delegates to. */
export const guestInterfaceHandlers = lifecycle(guestInterfaceType);
