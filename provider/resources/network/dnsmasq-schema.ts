// The DHCP and DNS inputs of a Network, in libvirt's <ip><dhcp>, <tftp>, <domain>, <dns> and <dnsmasq:options>
// vocabulary (docs/libvirt-behaviour.md §10). Fields libvirt requires are optional here so that a missing one gets
// libvirt's own message from the rules (dnsmasq-rules.ts), which know the network's name.
import { z } from "zod";
import { unknownOr } from "../../schema/unknown-or";

const text = (error: string) => unknownOr(z.string({ error }));
const bool = () => unknownOr(z.boolean({ error: "must be true or false" }));
const whole = (error: string) => unknownOr(z.number({ error }).int("must be a whole number"));

/** `<lease expiry unit>`: expiry 0 means infinite; the unit defaults to minutes, as in libvirt. */
export const leaseSchema = z
  .object({
    expiry: unknownOr(z.number({ error: "must be a number" }).int("must be a whole number").min(0, "must not be negative")),
    unit: unknownOr(z.enum(["seconds", "minutes", "hours"], { error: "must be 'seconds', 'minutes' or 'hours'" })).default("minutes"),
  })
  .strict();

export const dhcpRangeSchema = z
  .object({
    start: text("must be an IP address").optional(),
    end: text("must be an IP address").optional(),
    lease: unknownOr(leaseSchema).optional(),
  })
  .strict();

/** One reservation: the shape of `<host>` in `<dhcp>` and of the DhcpHost resource. */
export const dhcpHostFields = {
  mac: text("must be a MAC address").optional(),
  /** The DHCPv6 client's DUID: hex digits and colons. */
  id: text("must be a DUID (hex digits and colons)").optional(),
  name: text("must be a host name").optional(),
  ip: text("must be an IP address").optional(),
  lease: unknownOr(leaseSchema).optional(),
};

export const dhcpHostSchema = z.object(dhcpHostFields).strict();

export const dhcpSchema = z
  .object({
    ranges: unknownOr(z.array(dhcpRangeSchema)).optional(),
    hosts: unknownOr(z.array(dhcpHostSchema)).optional(),
    /** PXE: the boot file and the TFTP server that has it (IPv4 only). */
    bootp: unknownOr(z.object({ file: text("must be a file name").optional(), server: text("must be an IP address").optional() }).strict()).optional(),
  })
  .strict();

export const tftpSchema = z.object({ root: text("must be a directory") }).strict();

export const domainSchema = z
  .object({
    name: text("must be a domain name"),
    /** Queries for the domain are answered locally and never forwarded. */
    localOnly: bool().optional(),
  })
  .strict();

export const dnsSchema = z
  .object({
    /** false: no DNS from dnsmasq (libvirt's <dns enable='no'>); absent or true: DNS on. */
    enable: bool().optional(),
    /** false: names without a dot are never forwarded upstream. */
    forwardPlainNames: bool().optional(),
    forwarders: unknownOr(z.array(z.object({ addr: text("must be an IP address").optional(), domain: text("must be a domain name").optional() }).strict())).optional(),
    hosts: unknownOr(z.array(z.object({ ip: text("must be an IP address").optional(), hostnames: unknownOr(z.array(z.string({ error: "must be a host name" }))).optional() }).strict())).optional(),
    txts: unknownOr(z.array(z.object({ name: text("must be a record name").optional(), value: text("must be text").optional() }).strict())).optional(),
    srvs: unknownOr(
      z.array(
        z
          .object({
            service: text("must be a service name").optional(),
            protocol: text("must be a protocol name").optional(),
            domain: text("must be a domain name").optional(),
            target: text("must be a host name").optional(),
            port: whole("must be a port number").optional(),
            priority: whole("must be a number").optional(),
            weight: whole("must be a number").optional(),
          })
          .strict(),
      ),
    ).optional(),
  })
  .strict();

/** `<dnsmasq:options>`: raw configuration lines appended verbatim; a line break would smuggle in another line. */
export const dnsmasqOptionsSchema = z.array(z.string({ error: "must be a dnsmasq option line" }).regex(/^[^\r\n]*$/, "must be one line (no CR or LF)"));

export type LeaseInputs = z.output<typeof leaseSchema>;
export type DhcpInputs = z.output<typeof dhcpSchema>;
export type DhcpHostInputs = z.output<typeof dhcpHostSchema>;
export type DnsInputs = z.output<typeof dnsSchema>;
export type DomainInputs = z.output<typeof domainSchema>;
