// GuestInterface inputs: the host side of a VM's NIC (docs/libvirt-behaviour.md §4), on a Network's bridge or an existing host bridge.
import { z } from "zod";
import { connectionSchema } from "../../connection/connection";
import type { Known } from "../../known";
import { unknownOr } from "../../schema/unknown-or";
import { unicastMacSchema } from "../../schema/mac-schema";
import { bandwidthSchema, type Bandwidth } from "../bandwidth/schema";
import type { Substitution } from "../../net/substitution";

export const guestInterfaceArgsSchema = z
  .object({
    connection: unknownOr(connectionSchema),
    bridge: unknownOr(z.string({ error: "is required (the bridge name, or pass a Network as network)" })),
    /** The network's mode; "libvirt" turns learning and flooding off on the port and adds the guest's fdb entry. */
    macTableManager: unknownOr(z.enum(["kernel", "libvirt"], { error: "must be 'kernel' or 'libvirt'" })).default("kernel"),
    /** Tap name, or a template with one %d (default vnet%d, as libvirt). */
    name: unknownOr(z.string()).optional(),
    /** The guest's MAC; the tap gets it with the first byte 0xFE (0xFA when the guest's is 0xFE). */
    mac: unknownOr(unicastMacSchema("guest")).optional(),
    /** Tap MTU in bytes; absent: the bridge's MTU at creation (docs/libvirt-behaviour.md §4.4). */
    mtu: unknownOr(z.number({ error: "must be a number of bytes" }).int("must be a whole number").min(68, "must be at least 68").max(65521, "must be at most 65521 (the kernel's largest tap MTU)")).optional(),
    isolated: unknownOr(z.boolean({ error: "must be true or false" })).default(false),
    /** libvirt's <bandwidth> of the interface: guest inbound shaped on the tap's egress, outbound on its ingress. */
    bandwidth: unknownOr(bandwidthSchema).optional(),
    /** The owning resource (project/stack/name), set by the SDK: the tap's marker names it. Never diffed. */
    owner: z.string().optional(),
    /** Take over an existing tap of this name that no virtnet resource marks (adoption). */
    adopt: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
    /** The Network's bandwidth, which a floor needs (and must not overcommit). */
    networkBandwidth: unknownOr(bandwidthSchema).optional(),
    /** The Network's autostart: the guest interface then keeps a fragment in the network's boot directory. */
    networkAutostart: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
  })
  .strict();

export type GuestInterfaceInputs = z.output<typeof guestInterfaceArgsSchema>;

/** 2: the tap carries its owner's alias; 1 wrote "virtnet". */
export const GUEST_INTERFACE_SCHEMA_VERSION = 2;

/** The port state virtnet keeps, as observed (drift shows here). */
export interface GuestPort {
  learning: boolean;
  flood: boolean;
  /** Whether the bridge holds the guest MAC's fdb entry on this port. */
  guestFdbEntry: boolean;
}

/** Recorded state: every value known. */
export type GuestInterfaceOutputs = Omit<Known<GuestInterfaceInputs>, "name" | "mac" | "bandwidth"> & {
  name: string;
  mac: string;
  tapMac: string;
  port: GuestPort;
  /** Whether the tap is administratively up, as observed. */
  up: boolean;
  bandwidth?: Bandwidth;
  /** The guest's floor class on the bridge (1:<hex id>), kept in state as libvirt keeps it in the port. */
  floorClassId?: number;
  /** The bridge the floor class is on (where it must be unplugged from). */
  floorBridge?: string;
  substitutions: Substitution[];
  schemaVersion: number;
};
