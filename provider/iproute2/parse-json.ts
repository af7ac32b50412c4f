// Strict parsing of iproute2's -j output: not JSON, or JSON of another shape, is an error naming the command.
import type { z } from "zod";

export function parseJsonOutput<T extends z.ZodType>(text: string, schema: T, command: string): z.output<T> {
  let data: unknown;
  try {
    data = JSON.parse(text.trim() === "" ? "[]" : text);
  } catch {
    throw new Error(`'${command}' printed something that is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(`'${command}' printed JSON of an unexpected shape: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
