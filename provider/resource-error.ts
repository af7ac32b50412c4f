// Errors that leave a handler: credentials scrubbed, and for a half-applied create the state the engine must record.
import { redact } from "./redact";

/** Pulumi's dynamic-provider host turns `id`, `properties` and `reasons` into ErrorResourceInitFailed (design §3). */
export class PartialFailure extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

/** Runs a handler body so that nothing it throws can carry a credential to the user. */
export async function withRedaction<T>(secrets: string[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const message = redact(err.message, secrets);
    if (err instanceof PartialFailure) {
      throw new PartialFailure(message, err.id, err.properties, err.reasons.map((r) => redact(r, secrets)));
    }
    const clean = new Error(message);
    clean.stack = redact(err.stack ?? message, secrets);
    throw clean;
  }
}
