// A setting the host's kernel cannot apply and what virtnet applied instead (docs/architecture.md §4), for outputs.

export interface Substitution {
  property: string;
  wanted: string;
  applied: string;
  reason: string;
}
