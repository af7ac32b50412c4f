// libvirt's <bandwidth> (docs/libvirt-behaviour.md §1.7): average, peak and floor in KB/s, burst in KB.
import { z } from "zod";
import { unknownOr } from "../../schema/unknown-or";

/** The schema's speed range is 1..2^54 KB/s; the C parser also accepts 0 (docs/libvirt-behaviour.md §1.7 quirk), which virtnet refuses. */
export const MAX_SPEED = 18014398509481984;

const speed = unknownOr(z.number({ error: "must be a number of KB/s" }).int("must be a whole number").min(1, "must be at least 1 KB/s").max(MAX_SPEED, "must be at most 2^54 KB/s"));
const burst = unknownOr(z.number({ error: "must be a number of KB" }).int("must be a whole number").min(1, "must be at least 1 KB").max(4294967295, "must fit in 32 bits"));

export const rateSchema = z.object({ average: speed.optional(), peak: speed.optional(), burst: burst.optional(), floor: speed.optional() }).strict();

export const bandwidthSchema = z.object({ inbound: unknownOr(rateSchema).optional(), outbound: unknownOr(rateSchema).optional() }).strict();

export type RateInputs = z.output<typeof rateSchema>;
export type BandwidthInputs = z.output<typeof bandwidthSchema>;

export type { Bandwidth, Rate } from "../../net/bandwidth";
