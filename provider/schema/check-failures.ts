// Turns zod issues into Pulumi check failures whose property is a path such as "ips[0].prefix".
import type { z } from "zod";
import { UNKNOWN } from "../unknown";

export interface CheckFailure {
  property: string;
  reason: string;
}

/** What a resource's check returns: canonical inputs, or the failures with their property paths. */
export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

export function propertyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/** The branch of `unknownOr` that only says "not the unknown marker" explains nothing to a user. */
function onlyUnknownMismatch(branch: Issue[]): boolean {
  return branch.every((i) => i.code === "invalid_value" && i.values.length === 1 && i.values[0] === UNKNOWN);
}

function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[]): CheckFailure[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union") {
      const useful = issue.errors.filter((b) => !onlyUnknownMismatch(b));
      if (useful.length > 0) return useful.flatMap((branch) => flatten(branch, path));
    }
    return [{ property: propertyPath(path), reason: issue.message }];
  });
}

export function failuresFromZod(error: z.ZodError, prefix: readonly PropertyKey[] = []): CheckFailure[] {
  return flatten(error.issues, prefix);
}
