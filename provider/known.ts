// Pulumi's unknowns exist only in check and diff (docs/architecture.md §3.1): create, read, update and delete get a
// resolved type, checked once at the boundary, so apply-time code never carries the unknown marker in its types.
import { containsUnknown, type Unknown } from "./unknown";

/** T with Pulumi's unknown marker taken out of every union, at any depth. */
export type Known<T> = T extends Unknown
  ? never
  : T extends readonly (infer E)[]
    ? Known<E>[]
    : T extends object
      ? { [K in keyof T]: Known<T[K]> }
      : T;

/** The value as a resolved type; throws, naming `what`, when anything in it is still unknown. */
export function resolveKnown<T>(value: T, what: string): Known<T> {
  if (containsUnknown(value)) {
    throw new Error(`${what}: a value is not known yet (it depends on an output that has no value); run the update again once it is known`);
  }
  return value as Known<T>;
}

/** Type guard: nothing in the value is unknown (check-time rules use it to narrow before they validate). */
export function isKnown<T>(value: T): value is T & Known<T> {
  return !containsUnknown(value);
}

/** The items as resolved values when none holds an unknown, else undefined. */
export function knownItems<T>(values: readonly T[]): Known<T>[] | undefined {
  return containsUnknown(values) ? undefined : (values as Known<T>[]);
}
