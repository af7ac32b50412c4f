// Engine-faithful harness: the wire form of unknown (computed) values.
/** The wire encoding of an unknown (computed) value, shared by the SDK, the engine and the dynamic provider. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

export function containsUnknowns(value: unknown): boolean {
  if (isUnknown(value)) {
    return true;
  }
  if (Array.isArray(value)) {
    return value.some(containsUnknowns);
  }
  if (value !== null && typeof value === "object") {
    return Object.values(value).some(containsUnknowns);
  }
  return false;
}
