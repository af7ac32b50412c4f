// What a resource attached to a network needs from it: the Network object (if any) and the connection to use.
import type * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "./connection";
import { Network } from "./network";

/** A Network gives its connection; a bridge given by name needs one passed explicitly. */
export function attachment(kind: string, name: string, network: Network | pulumi.Input<string>, connection: pulumi.Input<ConnectionArgs> | undefined) {
  const net = network instanceof Network ? network : undefined;
  const conn = connection ?? net?.connection;
  if (conn === undefined) throw new Error(`${kind} ${name}: connection is required when network is a bridge name`);
  return { net, connection: conn };
}
