// The base of virtnet's resource classes: one place that registers a resource with Pulumi's SDK, its connection a
// secret, without the SDK's stack capture per property (docs/architecture.md §3.4, the program's side).
import * as pulumi from "@pulumi/pulumi";
import { providerShim, type ResourceKind } from "./shim";

const TYPES: Record<ResourceKind, string> = {
  network: "Network",
  staticRoute: "StaticRoute",
  guestInterface: "GuestInterface",
  dhcpHost: "DhcpHost",
};

export abstract class VirtnetResource extends pulumi.dynamic.Resource {
  /**
   * Registers the resource whose properties `props` builds: every input, and every output as a key (the SDK makes
   * an output only of a key it is given). The whole connection is a secret, in state too: it carries credentials.
   *
   * The SDK wraps four promises around each property and records `new Error().stack` on each. Under `pulumi`, which
   * maps every frame through source maps, that is most of a program's time at a few hundred resources (1.9 of 2.7 s
   * at 301), yet it is printed only when PULUMI_DEBUG_PROMISE_LEAKS is set. So while the SDK registers the resource,
   * and unless that variable is set, stacks are not captured. The SDK's own source position of the resource sets its
   * own limit, and an error thrown here gets its stack back, from the caller's frame.
   */
  protected constructor(kind: ResourceKind, name: string, opts: pulumi.CustomResourceOptions | undefined, props: () => pulumi.Inputs) {
    const limit = Error.stackTraceLimit;
    const paused = !process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    if (paused) Error.stackTraceLimit = 0;
    try {
      super(
        providerShim(kind),
        name,
        props(),
        { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] },
        "virtnet",
        TYPES[kind],
      );
    } catch (err) {
      Error.stackTraceLimit = limit;
      if (paused && err instanceof Error) Error.captureStackTrace(err, new.target);
      throw err;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
