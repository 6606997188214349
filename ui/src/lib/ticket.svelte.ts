// The deployment's form of ticket references (`ticket_pattern`), said beside every ticket field.
// The service holds each action to it; this only tells the agent before they send.

/** The form as a whole-reference RegExp; null when there is none, or when JavaScript cannot read
 *  the service's expression (the service still checks it). */
export function ticketRegex(pattern: string | null | undefined): RegExp | null {
  if (!pattern) return null;
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return null;
  }
}

/** What is wrong with a typed reference, or null when it fits (an empty one is for the dialog to
 *  ask for on confirm). */
export function ticketProblem(value: string, pattern: string | null | undefined): string | null {
  const re = ticketRegex(pattern);
  const typed = value.trim();
  if (!re || !typed || re.test(typed)) return null;
  return `This desk's ticket references have the form ${pattern}.`;
}

/** The signed-in session's form, for every ticket field (set by App from the session status). */
export const ticketForm = $state<{ pattern: string | null }>({ pattern: null });
