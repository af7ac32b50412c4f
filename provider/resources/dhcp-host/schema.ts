// DhcpHost inputs: one DHCP reservation (libvirt's <host> in <dhcp>) as a resource of its own, on a Network's bridge.
import { z } from "zod";
import { connectionSchema } from "../../connection/connection";
import type { Known } from "../../known";
import { unknownOr } from "../../schema/unknown-or";
import { ipSchema } from "../network/schema";
import { dhcpHostFields } from "../network/dnsmasq-schema";

export const dhcpHostArgsSchema = z
  .object({
    connection: unknownOr(connectionSchema),
    /** The bridge of the Network whose dnsmasq hands the address out. */
    bridge: unknownOr(z.string({ error: "is required (the bridge name, or pass a Network as network)" })),
    /** The Network's addresses, so that preview finds the DHCP entry of the reservation's family and its subnet. */
    networkIps: unknownOr(z.array(ipSchema)).optional(),
    /** The Network's name as libvirt's messages give it. */
    networkName: unknownOr(z.string()).optional(),
    mac: dhcpHostFields.mac,
    /**
     * The DHCPv6 client's DUID: libvirt's <host id>, renamed because every Pulumi resource's `id` is its identity.
     */
    duid: dhcpHostFields.id,
    name: dhcpHostFields.name,
    ip: dhcpHostFields.ip,
    lease: dhcpHostFields.lease,
  })
  .strict();

export type DhcpHostInputs = z.output<typeof dhcpHostArgsSchema>;

export const DHCP_HOST_SCHEMA_VERSION = 1;

/** Recorded state: every value known, and the reservation's line as the host's file holds it. */
export type DhcpHostOutputs = Known<DhcpHostInputs> & {
  schemaVersion: number;
  /** The line dnsmasq reads for this reservation, as observed (a line edited by hand is drift). */
  reservation?: string;
};
