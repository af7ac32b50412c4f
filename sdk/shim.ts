// The serialized dynamic provider (docs/architecture.md §3): closure serialization stores this in state, so it holds
// nothing but a package-name require, resolved at call time from the program's folder.
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "network" | "staticRoute" | "guestInterface" | "dhcpHost";

const shims = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

/**
 * One provider object per kind for the whole program: Pulumi caches a provider's serialization by object, so a new
 * object per resource would serialize the closure again for every resource (tens of milliseconds each).
 */
export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) shims.set(kind, (shim = makeShim(kind)));
  return shim;
}

function makeShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const impl = () => require("pulumi-virtnet/provider")[kind];
  return {
    check: (olds, news) => impl().check(olds, news),
    diff: (id, olds, news) => impl().diff(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read(id, props),
    update: (id, olds, news) => impl().update(id, olds, news),
    delete: (id, props) => impl().delete(id, props),
  };
}
