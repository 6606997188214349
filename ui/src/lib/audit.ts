// The audit view's filter form, labels and formatting (pure, so it is easy to test).
import { AUDIT_ACTIONS as ALL_AUDIT_ACTIONS } from './contract';
import type { AnomalyKind, AuditAction, AuditEntry, AuditFilter } from './contract';
import type { ErrorView } from './errors';
import type { Tone } from './tones';

/** What the filter bar holds: the controls' raw values ('' = any). */
export type FilterForm = {
  agent: string;
  action: string;
  outcome: string;
  account: string;
  /** `datetime-local` values (the lead's local time). */
  from: string;
  to: string;
};

/** One choice of the agent filter. */
export type AgentOption = { id: number; name: string; email: string };

export const EMPTY_FILTER_FORM: FilterForm = {
  agent: '',
  action: '',
  outcome: '',
  account: '',
  from: '',
  to: '',
};

/** Every action the service writes (a renewal of a claim is not written), for the filter. */
export const AUDIT_ACTIONS: readonly AuditAction[] = ALL_AUDIT_ACTIONS.filter((a) => a !== 'request_renew');
export const AUDIT_OUTCOMES = ['success', 'failure', 'rate_limited', 'refused_cooldown'] as const;

/** Words for every action (the type makes a new action without a label a build error). */
export const ACTION_LABELS: Record<AuditAction, string> = {
  sign_in: 'Sign in',
  sign_out: 'Sign out',
  password_reset: 'Password reset',
  security_answer_reset: 'Security-answer reset',
  address_check: 'Address check',
  address_reveal: 'Address revealed',
  evidence_view: 'Evidence viewed',
  audit_verify: 'Audit log verified',
  audit_export: 'Audit log exported',
  mail_event: 'Mail delivery event',
  public_request_limited: 'Public requests limited',
  password_changed: 'Password changed (by the user)',
  answer_changed: 'Security answer changed (by the user)',
  email_changed: 'Email address changed',
  phone_changed: 'Phone number changed',
  two_factor_removed: 'Two-step verification removed',
  email_verified: 'New address verified',
  request_confirm: 'Request confirmed by the user',
  request_claim: 'Request claimed',
  request_renew: 'Claim renewed',
  request_release: 'Request released',
  request_note: 'Note added',
  request_approve: 'Request approved',
  request_reject: 'Request rejected',
  request_need_info: 'More information asked',
  request_escalate: 'Request escalated',
  request_second_approve: 'Second approval',
  request_reassign: 'Request reassigned',
  request_user_reply: 'User replied',
  request_cancel: 'Change cancelled by the user',
  request_apply: 'Change applied',
  staff_invite: 'Staff invited',
  staff_enrolled: 'Staff enrolled',
  staff_role_change: 'Staff role changed',
  staff_disable: 'Staff disabled',
  staff_enable: 'Staff enabled',
  staff_mfa_reset_request: 'Authenticator reset asked',
  staff_mfa_reset_approve: 'Authenticator reset approved',
  sso_setting: 'Single sign-on setting',
  admin_create: 'Admin created (command line)',
  unlock: 'Account unlocked',
  verification_email: 'Verification email sent',
  end_sessions: 'All sessions ended',
  caller_challenge: 'Caller challenged',
  caller_check: 'Caller code checked',
};

export const OUTCOME_LABELS: Record<string, string> = {
  success: 'Success',
  failure: 'Failure',
  rate_limited: 'Rate limited',
  refused_cooldown: 'Refused (cooldown)',
};

export const OUTCOME_TONES: Record<string, Tone> = {
  success: 'ok',
  failure: 'bad',
  rate_limited: 'warn',
  refused_cooldown: 'warn',
};

export const ANOMALY_LABELS: Record<AnomalyKind, string> = {
  high_rate: 'Unusually many actions',
  outside_usual_hours: 'Activity outside usual hours',
  resets_on_recently_changed_accounts: 'Resets on recently changed accounts',
  repeated_reveals: 'Repeated address reveals',
  sign_in_flood: 'Many failed sign-ins for this address',
};

export function label(map: Record<string, string>, value: string): string {
  return map[value] ?? value.charAt(0).toUpperCase() + value.slice(1).replace(/_/g, ' ');
}

/** The lead-facing text for forbidden audit commands. */
export const AUDIT_FORBIDDEN = 'Only team leads can see the audit log.';

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/;

/**
 * A `datetime-local` value (local wall time, no zone) as RFC 3339 UTC without fractions, e.g.
 * "2024-05-01T10:00" in Berlin (UTC+2) -> "2024-05-01T08:00:00Z"; null when it does not parse.
 */
export function localToRfc3339(value: string): string | null {
  const m = LOCAL_RE.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Reject dates that rolled over (e.g. 2024-02-31).
  if (Number.isNaN(date.getTime()) || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The reverse, for filling the form: an RFC 3339 instant as a local `datetime-local` value (minutes). */
export function rfc3339ToLocal(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function invalid(field: string, text: string): ErrorView {
  return { code: 'invalid_input', text, field, retryAfter: null, sessionLost: false };
}

export type FilterResult = { ok: true; filter: AuditFilter } | { ok: false; error: ErrorView };

/** The AuditFilter for the form: empty fields are left out; an error (with its field) when a value is wrong. */
export function toAuditFilter(form: FilterForm): FilterResult {
  const filter: AuditFilter = {};
  const agent = form.agent.trim();
  if (agent) {
    if (!/^\d+$/.test(agent)) return { ok: false, error: invalid('agent', 'Choose an agent from the list.') };
    filter.agent = Number(agent);
  }
  if (form.action.trim()) filter.action = form.action.trim();
  if (form.outcome.trim()) filter.outcome = form.outcome.trim();
  const account = form.account.trim().replace(/^#/, '');
  if (account) {
    const n = Number(account);
    if (!/^\d+$/.test(account) || !Number.isSafeInteger(n) || n <= 0) {
      return { ok: false, error: invalid('account', 'The account id is a whole number, e.g. 1042.') };
    }
    filter.account = n;
  }
  if (form.from.trim()) {
    const from = localToRfc3339(form.from);
    if (!from) return { ok: false, error: invalid('from', 'Enter a valid “from” date and time.') };
    filter.from = from;
  }
  if (form.to.trim()) {
    const to = localToRfc3339(form.to);
    if (!to) return { ok: false, error: invalid('to', 'Enter a valid “to” date and time.') };
    filter.to = to;
  }
  if (filter.from && filter.to && Date.parse(filter.from) >= Date.parse(filter.to)) {
    return { ok: false, error: invalid('to', '“To” must be after “from”.') };
  }
  return { ok: true, filter };
}

/** "2024-05-01 08:00:00 UTC"; the raw text when it does not parse. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An instant in the lead's local time, as the filters take it: "2024-05-01 10:00:00". */
export function formatLocal(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** "maria.lopez (account #1)", "SD-4F2A9C1B (request #24)"; without a name, "account #1". */
export function formatTarget(entry: Pick<AuditEntry, 'target_type' | 'target_id' | 'target_label'>): string {
  if (!entry.target_type && !entry.target_id) return '';
  const id = /^\d+$/.test(entry.target_id ?? '') ? `#${entry.target_id}` : (entry.target_id ?? '?');
  const what = `${entry.target_type ?? '?'} ${id}`;
  return entry.target_label ? `${entry.target_label} (${what})` : what;
}

/** Pretty JSON when the text is JSON, else the text. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Bytes for people: "812 B", "12.5 KB", "3.4 MB". */
export function formatBytes(bytes: number): string {
  if (!(bytes > 0)) return '0 KB';
  if (bytes < 1024) return `${bytes} B`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb.toFixed(kb < 10 ? 1 : 0)} KB`;
  return `${(kb / 1024).toFixed(1)} MB`;
}

/** Seconds for people: "45 s", "12 min", "1 h 05 min"; "—" when unknown. */
export function formatDuration(secs: number | null): string {
  if (secs === null || !Number.isFinite(secs)) return '—';
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export const NUMBER = new Intl.NumberFormat('en-US');
