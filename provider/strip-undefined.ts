// Pulumi's plugin fails after the side effect on an undefined anywhere in a result (docs/architecture.md §3.4).

/** The value without any undefined property, at any depth. */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, stripUndefined(v)])) as T;
  }
  return value;
}
