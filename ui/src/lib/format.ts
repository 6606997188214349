// Display labels and formatting shared by the screens.
import type {
  AccountStatus,
  ActivityKind,
  DuplicateReason,
  EmailStatus,
  LinkState,
  ReasonCode,
  Role,
  TwoFactorKind,
} from './contract';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8787';

export const REASON_LABELS: Record<ReasonCode, string> = {
  forgot_password: 'Forgot password',
  email_not_received: 'Reset email not received',
  link_expired: 'Reset link expired',
  locked_out: 'Locked out of the account',
  suspected_compromise: 'Suspected account compromise',
  other: 'Other (explain in the note)',
};

export const ROLE_LABELS: Record<Role, string> = {
  agent: 'Agent',
  lead: 'Lead',
  admin: 'Admin',
};

export const ACCOUNT_STATUS_LABELS: Record<AccountStatus, string> = {
  active: 'Active',
  locked: 'Locked',
  suspended: 'Suspended',
};

export const EMAIL_STATUS_LABELS: Record<EmailStatus, string> = {
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  bounced: 'Bounced',
  failed: 'Failed',
};

export const TWO_FACTOR_LABELS: Record<TwoFactorKind, string> = {
  authenticator_app: 'Authenticator app',
  sms: 'SMS',
  backup_codes: 'Backup codes',
};

export const LINK_STATE_LABELS: Record<LinkState, string> = {
  pending: 'Link not opened',
  opened: 'Link opened',
  used: 'Link used',
  expired: 'Link expired',
  superseded: 'Link superseded',
};

export const DUPLICATE_REASON_LABELS: Record<DuplicateReason, string> = {
  same_address: 'Same email address',
  same_phone: 'Same phone',
  same_name_and_country: 'Same name and country',
};

export const ACTIVITY_KIND_LABELS: Record<ActivityKind, string> = {
  user_requested: 'User request',
  agent_sent: 'Agent action',
  email: 'Email',
  link_opened: 'Link opened',
  two_factor_passed: '2FA passed',
  two_factor_failed: '2FA failed',
  sms_code_sent: 'SMS code sent',
  password_changed: 'Password changed',
  answer_changed: 'Security answer changed',
  notice_sent: 'Notice sent',
  account_unlocked: 'Account unlocked',
  verification_sent: 'Verification email sent',
  email_verified: 'Address verified',
  sessions_ended: 'Sessions ended',
  caller_challenged: 'Caller challenged',
  caller_verified: 'Caller verified',
  caller_verification_failed: 'Caller verification failed',
};

/** An account as every dialog about it names it: "maria.lopez (#1)". */
export function accountLabel(username: string, id: number): string {
  return `${username} (#${id})`;
}

/** "1 entry", "3 entries": a count with its noun in the right number. */
export function nounCount(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function humanize(s: string): string {
  const t = s.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** A timestamp for people; the raw text when it does not parse; `fallback` when absent. */
export function formatDateTime(iso: string | null | undefined, fallback = 'Never'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** True when keys typed at `target` are text input (so single-key shortcuts must not fire). */
export function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(
      target.type,
    );
  }
  return false;
}
