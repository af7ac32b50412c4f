// libvirt's <bandwidth> (docs/libvirt-behaviour.md §1.7): average, peak and floor in KB/s, burst in KB.
import { z } from "zod";
import { unknownOr } from "../../schema/unknown-or";

/**
 * libvirt's schema allows 1..2^54 KB/s, but tc holds a rate as 64-bit bits per second: above (2^64-1)/8000 KB/s the
 * kernel silently gets a wrapped rate. virtnet refuses what the kernel cannot hold (and 0, which libvirt's C parser
 * accepts: docs/libvirt-behaviour.md §1.7).
 */
export const MAX_SPEED = 2305843009213693;

/** The largest burst tc can hold for an HTB class or a police action: UINT_MAX/1024 KB. */
export const MAX_BURST = 4194303;

const speed = unknownOr(z.number({ error: "must be a number of KB/s" }).int("must be a whole number").min(1, "must be at least 1 KB/s").max(MAX_SPEED, `must be at most ${MAX_SPEED} KB/s (tc holds rates in 64 bits of bits per second)`));
const burst = unknownOr(z.number({ error: "must be a number of KB" }).int("must be a whole number").min(1, "must be at least 1 KB").max(MAX_BURST, `must be at most ${MAX_BURST} KB (what tc can hold)`));

export const rateSchema = z.object({ average: speed.optional(), peak: speed.optional(), burst: burst.optional(), floor: speed.optional() }).strict();

export const bandwidthSchema = z.object({ inbound: unknownOr(rateSchema).optional(), outbound: unknownOr(rateSchema).optional() }).strict();

export type RateInputs = z.output<typeof rateSchema>;
export type BandwidthInputs = z.output<typeof bandwidthSchema>;

export type { Bandwidth, Rate } from "../../net/bandwidth";
