// What of a search result matched the agent's text: the service finds accounts whose username,
// display name or an address's local part starts with or contains it; the list shows the part of
// the username or name that matched, and says so when only an address (masked) did.

/** The text split around the first case-insensitive occurrence of `query`, or null. */
export function matchSpan(text: string, query: string): [string, string, string] | null {
  const q = query.trim().toLowerCase();
  if (q === '') return null;
  const lower = text.toLowerCase();
  // Lower-casing that changes the length (a few scripts) would misplace the span: no highlight.
  if (lower.length !== text.length) return null;
  const at = lower.indexOf(q);
  if (at < 0) return null;
  return [text.slice(0, at), text.slice(at, at + q.length), text.slice(at + q.length)];
}

/**
 * Whether an account was found by an address's local part alone: plain text (no `@`, not an id
 * or phone number) that neither its username nor its name contains.
 */
export function matchedByAddress(username: string, displayName: string, query: string): boolean {
  const q = query.trim();
  if (q.length < 3 || q.includes('@') || /^[\d\s+().-]+$/.test(q)) return false;
  return matchSpan(username, q) === null && matchSpan(displayName, q) === null;
}
