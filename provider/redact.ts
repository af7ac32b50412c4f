// Scrubs credentials out of any text that may reach a user: error messages, logs, check failures.

const REPLACEMENT = "[secret]";

/** Replaces every occurrence of each secret (and each line of a multi-line secret such as a key) in text. */
export function redact(text: string, secrets: readonly string[]): string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    for (const line of secret.split(/\r?\n/)) {
      const trimmed = line.trim();
      // Short lines (such as "-----END") carry no secret material and would mangle ordinary text.
      if (trimmed.length >= 16 && !trimmed.startsWith("-----")) needles.add(trimmed);
    }
  }
  let out = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    out = out.split(needle).join(REPLACEMENT);
  }
  return out;
}
