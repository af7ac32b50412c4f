// Lets a schema accept Pulumi's unknown marker in preview, where a value depends on an output not yet known.
import { z } from "zod";
import { UNKNOWN } from "../unknown";

export function unknownOr<T extends z.ZodType>(schema: T) {
  return z.union([z.literal(UNKNOWN), schema]);
}
