// Who signed in on this console a moment ago. An agent signed out by accident who signs in again
// at once types the authenticator code they just used; the service refuses it (each code works
// once) with its one uniform message. Only the console knows why, and says so.

/** A code stays accepted for its 30-second step and one step either side. */
const CODE_REUSE_WINDOW_MS = 90_000;

let last: { email: string; at: number } | null = null;

export const SAME_CODE_HINT =
  "If you signed in a moment ago, wait for your authenticator's next code: each code works once.";

export function rememberSignIn(email: string, at: number): void {
  last = { email: email.trim().toLowerCase(), at };
}

/** Whether `email` signed in on this console within the time its code stays in use. */
export function justSignedIn(email: string, now: number): boolean {
  return last !== null && last.email === email.trim().toLowerCase() && now - last.at < CODE_REUSE_WINDOW_MS;
}
