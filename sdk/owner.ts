// The owning resource as its interfaces' marker names it (docs/architecture.md §4, ownership).
import * as pulumi from "@pulumi/pulumi";

/** The project, stack and resource name: what an interrupted create of this very resource left is its own. */
export function ownerOf(name: string): string {
  return `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
}
