// Network inputs: what users write (libvirt's <network> vocabulary, docs/architecture.md §2), parsed and defaulted by zod.
import { z } from "zod";
import { connectionSchema } from "../../connection/connection";
import { unknownOr } from "../../schema/unknown-or";
import { isUnknown, type Unknown } from "../../unknown";
import { unicastMacSchema } from "../../schema/mac-schema";
import { routeSchema } from "../route/schema";
import { bandwidthSchema } from "../bandwidth/schema";
import { dhcpSchema, dnsmasqOptionsSchema, dnsSchema, domainSchema, tftpSchema } from "./dnsmasq-schema";

/** Largest delay whose centiseconds fit the kernel's u32 IFLA_BR_FORWARD_DELAY. */
export const MAX_DELAY_SECONDS = 42_949_672;

export const ipSchema = z
  .object({
    address: unknownOr(z.string({ error: "is required (an IPv4 or IPv6 address)" })),
    prefix: unknownOr(z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative")).optional(),
    netmask: unknownOr(z.string()).optional(),
    family: unknownOr(z.enum(["ipv4", "ipv6"], { error: "must be 'ipv4' or 'ipv6'" })).optional(),
    /** DHCP on this subnet, served by the network's dnsmasq (docs/libvirt-behaviour.md §10). */
    dhcp: unknownOr(dhcpSchema).optional(),
    /** dnsmasq's TFTP server for this subnet (IPv4 only). */
    tftp: unknownOr(tftpSchema).optional(),
    /** Answer reverse lookups for the subnet locally instead of forwarding them. */
    localPtr: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
  })
  .strict();

export const bridgeSchema = z
  .object({
    name: unknownOr(z.string()).optional(),
    // libvirt: only stp='off' disables STP; absent means on (docs/libvirt-behaviour.md §1.2). The default is filled
    // in after networkObjectSchema's refinement, which needs to know whether stp was given at all.
    stp: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
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

/** The forward modes virtnet implements: the three a bridge it creates can have, and a host bridge it does not create. */
export const FORWARD_MODES = ["nat", "route", "open", "bridge"] as const;
export type ForwardMode = (typeof FORWARD_MODES)[number];

/** libvirt's macvtap and SR-IOV modes: they need no bridge at all, so virtnet has nothing to build for them. */
export const REFUSED_FORWARD_MODES = ["private", "vepa", "passthrough", "hostdev"] as const;

/** Why a mode is refused, in libvirt's words for a mode it does not know (docs/libvirt-behaviour.md §1.8). */
function forwardModeProblem(input: unknown): string {
  if (typeof input !== "string") return `must be one of ${FORWARD_MODES.map((m) => `'${m}'`).join(", ")}`;
  if ((REFUSED_FORWARD_MODES as readonly string[]).includes(input)) return `forward mode '${input}' is not supported by virtnet`;
  return `unknown forwarding type '${input}'`;
}

// Both ends are optional here so that a missing one gets libvirt's own message from the rules, which know the
// network's name (forward-rules.ts).
const natAddressSchema = z
  .object({
    start: unknownOr(z.string({ error: "must be an IPv4 address" })).optional(),
    end: unknownOr(z.string({ error: "must be an IPv4 address" })).optional(),
  })
  .strict();

const natPortSchema = z
  .object({
    start: unknownOr(z.number({ error: "must be a port number" })).optional(),
    end: unknownOr(z.number({ error: "must be a port number" })).optional(),
  })
  .strict();

const natObjectSchema = z
  .object({
    /** The IPv4 addresses to source-NAT to (libvirt's SNAT pool); absent: masquerade to the outgoing address. */
    address: unknownOr(natAddressSchema).optional(),
    /** The source ports NAT may use for tcp and udp; absent: 1024-65535. */
    port: unknownOr(natPortSchema).optional(),
    /** Masquerade IPv6 as well (otherwise a nat network routes its IPv6 subnets). */
    ipv6: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
  })
  .strict();

export const natSchema = natObjectSchema
  // libvirt treats a port range of 0-0 as no range at all: it neither writes it back nor uses it (the one
  // place this is said).
  .transform((nat): NatShape => {
    if (nat.port === undefined || isUnknown(nat.port) || nat.port.start !== 0 || nat.port.end !== 0) return nat;
    const { port: _unset, ...rest } = nat;
    return rest;
  });
type NatShape = z.output<typeof natObjectSchema>;

export const forwardSchema = z
  .object({
    // libvirt: <forward/> without a mode is nat.
    mode: unknownOr(z.enum(FORWARD_MODES, { error: (issue) => forwardModeProblem(issue.input) })).default("nat"),
    /** The host interface the network forwards through (nat and route); absent: any. */
    dev: unknownOr(z.string()).optional(),
    nat: unknownOr(natSchema).optional(),
  })
  .strict();

const networkObjectSchema = z
  .object({
    connection: unknownOr(connectionSchema),
    /** The network's name in its libvirt XML (libvirtXml output); nothing on the host depends on it. */
    // XML cannot carry control characters (NUL among them), so neither can the libvirtXml output.
    libvirtName: unknownOr(z.string().min(1).max(1024).regex(/^[^\x00-\x1f\x7f]*$/, "must not contain control characters (libvirt XML cannot carry them)")).optional(),
    bridge: unknownOr(bridgeSchema).default({ delay: 0 }),
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
    /** Where the guests' traffic goes beyond the bridge; absent means an isolated network (docs/libvirt-behaviour.md §1.8). */
    forward: unknownOr(forwardSchema).optional(),
    /** The DNS domain of the guests, handed out by DHCP and answered by dnsmasq. */
    domain: unknownOr(domainSchema).optional(),
    /** dnsmasq's DNS service; absent: on whenever dnsmasq runs (docs/libvirt-behaviour.md §10.1). */
    dns: unknownOr(dnsSchema).optional(),
    /** Raw dnsmasq configuration lines, appended verbatim (libvirt's <dnsmasq:options>). */
    dnsmasqOptions: unknownOr(dnsmasqOptionsSchema).optional(),
    /** Converge the network at boot (libvirt's net-autostart); default false, as libvirt's net-define. */
    autostart: unknownOr(z.boolean({ error: "must be true or false" })).optional(),
  })
  .strict();

/**
 * The network's name as libvirt's messages give it: libvirtName (the SDK fills in the resource's name), else the
 * bridge's name, which is what libvirtXml falls back to.
 */
export function libvirtNameOf(n: { libvirtName?: string | Unknown; bridge: { name?: string | Unknown } | Unknown }): string {
  if (n.libvirtName !== undefined && !isUnknown(n.libvirtName)) return n.libvirtName;
  if (!isUnknown(n.bridge) && n.bridge.name !== undefined && !isUnknown(n.bridge.name)) return n.bridge.name;
  return "";
}

type NetworkObject = z.output<typeof networkObjectSchema>;
type BridgeObject = z.output<typeof bridgeSchema>;

/**
 * libvirt refuses the STP settings of a bridge it does not create: a delay other than 0, or an stp attribute of
 * any value, even 'on' (docs/libvirt-behaviour.md §1.2). Whether stp was given is known only before its default
 * is filled in, so this one rule lives here and not with the other forward rules.
 */
function hostBridgeStpProblem(n: NetworkObject, ctx: z.RefinementCtx): void {
  if (!isHostBridge(n.forward) || isUnknown(n.bridge)) return;
  const given = n.bridge.stp !== undefined ? "stp" : n.bridge.delay !== 0 && !isUnknown(n.bridge.delay) ? "delay" : undefined;
  if (given === undefined) return;
  ctx.addIssue({
    code: "custom",
    path: ["bridge", given],
    message: `bridge delay/stp/zone options only allowed in open, route, nat, and isolated mode, not in bridge (network '${libvirtNameOf(n)}')`,
  });
}

/** STP is on unless turned off (docs/libvirt-behaviour.md §1.2). */
function withStpDefault(n: NetworkObject): Omit<NetworkObject, "bridge"> & { bridge: Unknown | (Omit<BridgeObject, "stp"> & { stp: boolean | Unknown }) } {
  if (isUnknown(n.bridge)) return { ...n, bridge: n.bridge };
  return { ...n, bridge: { ...n.bridge, stp: n.bridge.stp ?? true } };
}

export const networkArgsSchema = networkObjectSchema.superRefine(hostBridgeStpProblem).transform(withStpDefault);

export type NetworkArgs = z.input<typeof networkArgsSchema>;
export type NetworkInputs = z.output<typeof networkArgsSchema>;
export type IpInputs = z.output<typeof ipSchema>;
/** A Network's forward as checked: mode filled in (nat when absent), a 0-0 port range taken out. */
export type ForwardInputs = z.output<typeof forwardSchema>;

/** Whether a forward is libvirt's host-bridge mode (a bridge the network only uses); false while it is unknown. */
export function isHostBridge(forward: unknown): boolean {
  return typeof forward === "object" && forward !== null && !isUnknown(forward) && (forward as { mode?: unknown }).mode === "bridge";
}
export type NatInputs = z.output<typeof natSchema>;
