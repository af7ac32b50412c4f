// Errors that leave a handler: credentials scrubbed, and for a half-applied create the state the engine must record.
import { connectionSecrets } from "../connection/connection";
import { redact } from "../redact";

/** Pulumi's dynamic-provider host turns `id`, `properties` and `reasons` into ErrorResourceInitFailed (docs/architecture.md §3). */
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

type Props = Record<string, unknown>;

/** What a resource implements; `redactedHandlers` turns it into what the serialized shim calls. */
export interface ResourceImplementation<C, D> {
  check(olds: Props, news: Props): C;
  diff(id: string, olds: Props, news: Props): D;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<{ id: string; props: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

function secretsOf(...props: Props[]): string[] {
  return props.flatMap((p) => connectionSecrets(p.connection as Parameters<typeof connectionSecrets>[0]));
}

/** Every handler of a resource, with credentials scrubbed from whatever it throws. */
export function redactedHandlers<C, D>(impl: ResourceImplementation<C, D>) {
  return {
    check: (olds: Props, news: Props): Promise<C> => withRedaction(secretsOf(news), async () => impl.check(olds, news)),
    diff: (id: string, olds: Props, news: Props): Promise<D> => withRedaction(secretsOf(news), async () => impl.diff(id, olds, news)),
    create: (inputs: Props) => withRedaction(secretsOf(inputs), () => impl.create(inputs)),
    read: (id: string, props: Props) => withRedaction(secretsOf(props), () => impl.read(id, props)),
    update: (id: string, olds: Props, news: Props) => withRedaction(secretsOf(olds, news), () => impl.update(id, olds, news)),
    delete: (id: string, props: Props) => withRedaction(secretsOf(props), () => impl.delete(id, props)),
  };
}
