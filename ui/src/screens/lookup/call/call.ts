// Words and rules of the call actions: what a verification says, which method the account
// allows, and the reason each action starts with.
import type { AccountDetail, CallerMethod, CallerVerified, ReasonCode } from '../../../lib/contract';

export type CallAction = 'unlock' | 'end_sessions' | 'verification_email';

export const METHOD_LABELS: Record<CallerMethod, string> = {
  authenticator_app: 'authenticator app',
  sms: 'SMS code',
  email: 'email code',
};

export const ACTION_KEYS: Record<'verify' | 'unlock' | 'end_sessions', string> = {
  verify: 'v',
  unlock: 'u',
  end_sessions: 'e',
};

export const ACTION_TITLES: Record<CallAction, string> = {
  unlock: 'Unlock the account',
  end_sessions: 'End all sessions',
  verification_email: 'Send a verification email',
};

/** The reason an action starts with (ending sessions allows only this one). */
export const DEFAULT_REASON: Record<CallAction, ReasonCode> = {
  unlock: 'locked_out',
  end_sessions: 'suspected_compromise',
  verification_email: 'email_not_received',
};

/** The methods the account has a factor for, best first. */
export function availableMethods(a: AccountDetail): CallerMethod[] {
  const out: CallerMethod[] = [];
  if (a.two_factor.some((m) => m.kind === 'authenticator_app')) out.push('authenticator_app');
  if (a.phone) out.push('sms');
  if (a.emails.some((e) => e.verified && !e.bounced)) out.push('email');
  return out;
}

/** "Caller verified via SMS code 3 minutes ago by Alex Agent", or null when none counts. */
export function verifiedText(v: CallerVerified | null, nowMs: number): string | null {
  if (!v) return null;
  if (Date.parse(v.valid_until) <= nowMs) return null;
  const minutes = Math.max(0, Math.floor((nowMs - Date.parse(v.verified_at)) / 60000));
  const ago = minutes === 0 ? 'just now' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
  return `Caller verified via ${METHOD_LABELS[v.method]} ${ago} by ${v.by}`;
}
