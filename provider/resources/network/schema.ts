// Network inputs: what users write (libvirt's <network> vocabulary, docs/architecture.md §2), parsed and defaulted by zod.
import { z } from "zod";
import { connectionSchema } from "../../connection/connection";
import { unknownOr } from "../../schema/unknown-or";
import { unicastMacSchema } from "../../schema/mac-schema";
import { routeSchema } from "../route/schema";
import { bandwidthSchema } from "../bandwidth/schema";

/** Largest delay whose centiseconds fit the kernel's u32 IFLA_BR_FORWARD_DELAY. */
export const MAX_DELAY_SECONDS = 42_949_672;

export const ipSchema = z
  .object({
    address: unknownOr(z.string({ error: "is required (an IPv4 or IPv6 address)" })),
    prefix: unknownOr(z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative")).optional(),
    netmask: unknownOr(z.string()).optional(),
    family: unknownOr(z.enum(["ipv4", "ipv6"], { error: "must be 'ipv4' or 'ipv6'" })).optional(),
  })
  .strict();

export const bridgeSchema = z
  .object({
    name: unknownOr(z.string()).optional(),
    // libvirt: only stp='off' disables STP; absent means on (docs/libvirt-behaviour.md §1.2).
    stp: unknownOr(z.boolean({ error: "must be true or false" })).default(true),
    delay: unknownOr(
      z
        .number({ error: "must be a number of seconds" })
        .int("must be a whole number of seconds")
        .min(0, "must not be negative")
        .max(MAX_DELAY_SECONDS, `must be at most ${MAX_DELAY_SECONDS} seconds`),
    ).default(0),
    macTableManager: unknownOr(z.enum(["kernel", "libvirt"], { error: "must be 'kernel' or 'libvirt'" })).optional(),
  })
  .strict();

export const networkArgsSchema = z
  .object({
    connection: unknownOr(connectionSchema),
    /** The network's name in its libvirt XML (libvirtXml output); nothing on the host depends on it. */
    // XML cannot carry control characters (NUL among them), so neither can the libvirtXml output.
    libvirtName: unknownOr(z.string().min(1).max(1024).regex(/^[^\x00-\x1f\x7f]*$/, "must not contain control characters (libvirt XML cannot carry them)")).optional(),
    bridge: unknownOr(bridgeSchema).default({ stp: true, delay: 0 }),
    mac: unknownOr(unicastMacSchema("bridge")).optional(),
    // libvirt: 0 or absent means "leave the kernel's MTU" (docs/libvirt-behaviour.md §1.4); the one place that says so.
    mtu: unknownOr(
      z
        .number({ error: "must be a number of bytes" })
        .int("must be a whole number")
        .min(0)
        .max(65535, "must be at most 65535")
        .superRefine((m, ctx) => {
          if (m !== 0 && m < 68) ctx.addIssue({ code: "custom", message: `${m} is below the kernel's minimum of 68 bytes (use 0 or leave it out for the kernel's default)` });
        })
        .transform((m) => (m === 0 ? undefined : m)),
    ).optional(),
    ips: unknownOr(z.array(ipSchema)).default([]),
    routes: unknownOr(z.array(routeSchema)).default([]),
    /** The owning resource (project/stack/name), set by the SDK: the bridge's marker names it. Never diffed. */
    owner: z.string().optional(),
    /** Take over an existing bridge of this name that no virtnet resource marks (adoption). */
    adopt: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
    /** Network-wide QoS on the bridge (docs/libvirt-behaviour.md §5.4); a floor is not allowed here. */
    bandwidth: unknownOr(bandwidthSchema).optional(),
  })
  .strict();

export type NetworkArgs = z.input<typeof networkArgsSchema>;
export type NetworkInputs = z.output<typeof networkArgsSchema>;
export type IpInputs = z.output<typeof ipSchema>;
