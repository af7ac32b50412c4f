// Pulumi's marker for a value that is not known until apply (the dynamic provider sees it as a string).

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as const;

export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
