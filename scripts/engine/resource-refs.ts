// Engine-faithful harness: resource references in inputs downgraded to ids, as the engine does for a dynamic provider.
import { SIG_KEY } from "./secrets";
import { UNKNOWN } from "./unknown";

const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

function isResourceRef(value: unknown): value is { urn?: unknown; id?: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === RESOURCE_SIG;
}

/**
 * Replaces resource references (a resource passed directly as an input) with the resource's ID, or its URN for
 * components, because the dynamic provider does not accept resources and that is how the engine downgrades them.
 */
export function downgradeResourceRefs(value: unknown): unknown {
  if (isResourceRef(value)) {
    if (value.id === UNKNOWN || value.id === "") {
      return UNKNOWN;
    }
    return typeof value.id === "string" ? value.id : value.urn;
  }
  if (Array.isArray(value)) {
    return value.map(downgradeResourceRefs);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, downgradeResourceRefs(v)]));
  }
  return value;
}
