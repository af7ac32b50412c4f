// One diff engine for every resource (docs/architecture.md §3.1): a table says, per top-level property, when it has
// changed and whether that change replaces the resource. Unknowns count as changes: preview cannot know better.
import { sameValue } from "../same-value";
import { containsUnknown } from "../unknown";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
}

type Props = Record<string, unknown>;

export interface FieldPolicy<O, N> {
  /** Top-level property the engine shows. */
  property: string;
  /** Default: unknown, or a different value than recorded (whatever the key order). */
  changed?: (olds: O, news: N) => boolean;
  /** Whether a change needs a new object (default: in place). */
  replaces?: true | ((olds: O, news: N) => boolean);
}

/** The property is unknown or differs from the recorded value. */
function valueChanged(olds: unknown, news: unknown, property: string): boolean {
  const n = (news as Props)[property];
  return containsUnknown(n) || !sameValue((olds as Props)[property], n);
}

/**
 * Every property the table names is compared. Two objects of one identity cannot exist at once (a bridge, a tap or a
 * route), so a replacement always deletes the old one first.
 */
export function diffByPolicy<O, N>(policy: readonly FieldPolicy<O, N>[], olds: O, news: N): DiffResult {
  const changed = policy.filter((f) => (f.changed ? f.changed(olds, news) : valueChanged(olds, news, f.property)));
  const replaces = changed.filter((f) => f.replaces === true || (f.replaces !== undefined && f.replaces(olds, news))).map((f) => f.property);
  return {
    changes: changed.length > 0,
    replaces,
    stables: policy.filter((f) => !changed.includes(f)).map((f) => f.property),
    deleteBeforeReplace: replaces.length > 0,
  };
}
