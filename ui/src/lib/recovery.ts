// The account view's recovery helpers: reset kinds, the address check's wording and the
// troubleshooting checklist (pure, so they are easy to test).
import type { AccountDetail, AddressCheckResult } from './contract';

export type ResetKind = 'password' | 'answer';

type ResetKindInfo = {
  /** What the action sends, for titles and messages ("password reset"). */
  name: string;
  /** The `RecoveryEmail.kind` values of this kind's emails. */
  emailKinds: readonly string[];
  /** The single-key shortcut that opens the dialog. */
  key: string;
  buttonId: string;
};

export const RESET_KINDS: Record<ResetKind, ResetKindInfo> = {
  password: {
    name: 'password reset',
    emailKinds: ['password_reset'],
    key: 'p',
    buttonId: 'action-password-reset',
  },
  answer: {
    name: 'security-answer reset',
    emailKinds: ['security_answer_reset', 'answer_reset'],
    key: 'a',
    buttonId: 'action-answer-reset',
  },
};

/** Seconds until `kind` may be sent again, as the account detail says. */
export function resetAvailableIn(account: AccountDetail, kind: ResetKind): number {
  const s = kind === 'password' ? account.password_reset_available_in : account.answer_reset_available_in;
  return typeof s === 'number' && s > 0 ? s : 0;
}

/** True when one of `kind`'s emails was already sent (so the button offers a resend). */
export function hasSent(account: AccountDetail, kind: ResetKind): boolean {
  const kinds = RESET_KINDS[kind].emailKinds;
  return (account.recent_emails ?? []).some((m) => kinds.includes(m.kind));
}

/** "Send password reset" or, once one was sent, "Resend password reset". */
export function resetButtonLabel(account: AccountDetail, kind: ResetKind): string {
  return `${hasSent(account, kind) ? 'Resend' : 'Send'} ${RESET_KINDS[kind].name}`;
}

/** What an address check found, without ever naming the stored address. */
export function describeAddressCheck(r: AddressCheckResult): string {
  if (!r.matches) return 'No address on file matches';
  const tags = [r.verified ? 'verified' : 'unverified'];
  if (r.bounced) tags.push('bounced');
  const which = r.primary ? 'the primary address' : 'a secondary address';
  return `Matches ${which} (${tags.join(', ')})`;
}

/** The service's form for updating security details, e.g. https://desk.example/security-details. */
export function securityDetailsUrl(serverUrl: string | null | undefined): string {
  const base = (serverUrl ?? '').trim().replace(/\/+$/, '');
  return `${base}/security-details`;
}

export type CheckItemId = 'right-address' | 'spam' | 'send-again' | 'browser' | 'security-form';

export type CheckItem = { id: CheckItemId; title: string; hint: string };

/** The recovery article's "still doesn't work" steps, in its order. */
export const TROUBLESHOOTING: readonly CheckItem[] = [
  {
    id: 'right-address',
    title: 'The right address',
    hint: 'With several addresses, the user must use the one linked to the account. Use the address check below to confirm what they type.',
  },
  {
    id: 'spam',
    title: 'The spam or junk folder',
    hint: 'Ask the user to look in their spam or junk folder for the email.',
  },
  {
    id: 'send-again',
    title: 'Send the reset again',
    hint: 'If the email cannot be found, send the reset again (once the cooldown has passed).',
  },
  {
    id: 'browser',
    title: 'Clear cache and cookies',
    hint: 'Clear the browser’s cache and cookies; if that does not help, try another browser or device.',
  },
  {
    id: 'security-form',
    title: 'Still stuck: update the security details',
    hint: 'Give the user the form to update their security details; the team will help from there.',
  },
];
