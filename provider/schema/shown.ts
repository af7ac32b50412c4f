// How an error message quotes a user's value: in full when short, else a prefix, so a hostile or mistaken
// 100,000-character input never floods a preview, a log or a terminal.

const LIMIT = 48;

/** The value in single quotes, cut to its first characters (and its length said) when long. */
export function shown(value: string): string {
  return value.length <= LIMIT ? `'${value}'` : `'${value.slice(0, LIMIT)}…' (${value.length} characters)`;
}
