// Addresses are recorded in one canonical text, so that a diff never sees "::1" and "0::1" as a change.
import { normalizeAddress } from "../net/ip-address";
import { isUnknown } from "../unknown";

/** The canonical text of an address already validated, or the unknown marker as it came. */
export function canonicalAddress<T extends string>(value: T): T {
  return (isUnknown(value) ? value : normalizeAddress(value)) as T;
}
