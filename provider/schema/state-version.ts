// State written by a newer virtnet cannot be trusted by an older one: say so instead of misreading it (docs/architecture.md §3).

export function assertStateVersion(props: Record<string, unknown>, supported: number, what: string): void {
  const version = props.schemaVersion;
  if (typeof version === "number" && version > supported) {
    throw new Error(`this state was written by a newer pulumi-virtnet (${what} schema ${version}); install that version or newer to manage it`);
  }
}
