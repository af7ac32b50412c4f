// Engine-faithful harness: the wire form of secrets, and stripping and re-marking them as the engine does around the
// dynamic provider (which declines secrets).
import type { PropertyMap } from "./types";

/** Key and value that mark an object on the wire as a secret wrapper around its `value`. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecret(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function makeSecret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

function unwrap(value: unknown): { value: unknown; secret: boolean } {
  if (isSecret(value)) {
    return { value: unwrap(value.value).value, secret: true };
  }
  if (Array.isArray(value)) {
    const items = value.map(unwrap);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object" && !(SIG_KEY in value)) {
    const entries = Object.entries(value).map(([k, v]) => [k, unwrap(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secret: entries.some(([, v]) => v.secret),
    };
  }
  return { value, secret: false };
}

/**
 * Removes secret wrappers, since the dynamic provider plugin declines secrets (acceptSecrets=false), and reports
 * which top-level properties held a secret anywhere inside so the engine can re-mark them on the way back.
 */
export function stripSecrets(props: PropertyMap): { plain: PropertyMap; secretKeys: string[] } {
  const plain: PropertyMap = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    const u = unwrap(v);
    plain[k] = u.value;
    if (u.secret) {
      secretKeys.push(k);
    }
  }
  return { plain, secretKeys };
}

/** Wraps the listed top-level properties as secrets, as the engine hands them back to the program. */
export function wrapSecrets(props: PropertyMap, secretKeys: readonly string[]): PropertyMap {
  const out: PropertyMap = { ...props };
  for (const k of secretKeys) {
    if (k in out && !isSecret(out[k])) {
      out[k] = makeSecret(out[k]);
    }
  }
  return out;
}
