// Turns whatever a Tauri command rejected with into a specific, actionable message.
// Decisions are made from `code` only, never from the wording of `message`.
import type { CommandError, ErrorCode } from './contract';

export const SESSION_LOST_CODES: readonly ErrorCode[] = ['session_expired', 'unauthorized', 'not_signed_in'];
export const SESSION_EXPIRED_NOTICE = 'Your session expired; sign in again.';

/** What a screen shows for one failure. `code` is 'unknown' when the rejection was not a CommandError. */
export type ErrorView = {
  code: ErrorCode | 'unknown';
  text: string;
  field: string | null;
  retryAfter: number | null;
  sessionLost: boolean;
};

export type ErrorContext = {
  /** The service URL in use, named when the service cannot be reached. */
  serverUrl?: string | null;
  /** What to say when the role does not allow the command (default: a generic sentence). */
  forbidden?: string;
  /**
   * Say invalid_state in the service's own words: the default sentence is about a request of the
   * queue, and the service knows what state an account or a staff member was in.
   */
  stateInServiceWords?: boolean;
};

const FIELD_LABELS: Record<string, string> = {
  server_url: 'server URL',
  email: 'email',
  password: 'password',
  totp: 'code',
  q: 'search text',
  cursor: 'search position',
  reason: 'reason',
  ticket: 'ticket reference',
  note: 'note',
  address: 'address',
  text: 'note',
  agent_id: 'agent id',
  checklist: 'checklist',
  decision: 'decision',
  message: 'message to the user',
};

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? field.replace(/_/g, ' ');
}

export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string';
}

export function isSessionLost(value: unknown): boolean {
  return isCommandError(value) && SESSION_LOST_CODES.includes(value.code);
}

/** Seconds as M:SS (rounded up, never negative): 125 -> "2:05", 59 -> "0:59". */
export function formatCountdown(totalSeconds: number): string {
  const s = Number.isFinite(totalSeconds) ? Math.max(0, Math.ceil(totalSeconds)) : 0;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Seconds as H:MM:SS (rounded up, never negative): 3725 -> "1:02:05", 59 -> "0:00:59". */
export function formatHms(totalSeconds: number): string {
  const s = Number.isFinite(totalSeconds) ? Math.max(0, Math.ceil(totalSeconds)) : 0;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The connection broke after the action was sent and the console's retries (under the same
 * Idempotency-Key) did not reach the service: the action was done at most once, and sending it
 * again is safe.
 */
export function connectionLostText(serverUrl?: string | null): string {
  const where = serverUrl?.trim() ? ` at ${serverUrl.trim()}` : '';
  return `Could not reach the service${where}; the console retried and got no answer. Nothing was done twice: try again when the service is back.`;
}

/** The recovery-email caps: the account's daily one and the agent's hourly one. */
export const CAP_CODES: readonly ErrorCode[] = ['account_daily_cap', 'agent_hourly_cap'];

export function isCapCode(code: string): code is 'account_daily_cap' | 'agent_hourly_cap' {
  return (CAP_CODES as readonly string[]).includes(code);
}

/** The message for a cap rejection, with the wait (seconds) when known. */
export function capText(code: 'account_daily_cap' | 'agent_hourly_cap', retryAfter: number | null): string {
  const wait =
    retryAfter !== null && retryAfter > 0 ? `Try again in ${formatHms(retryAfter)}.` : 'Try again later.';
  return code === 'account_daily_cap'
    ? `This account has had the most recovery emails allowed today. ${wait}`
    : `You have sent the most recovery emails allowed this hour. ${wait}`;
}

/** A rejection can also be a plain string (Tauri's own errors) or, defensively, JSON of a CommandError. */
function parseRejection(raw: unknown): CommandError | null {
  if (isCommandError(raw)) return raw;
  if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isCommandError(parsed)) return parsed;
    } catch {
      // not JSON: handled as plain text below
    }
  }
  return null;
}

function commandErrorText(err: CommandError, ctx: ErrorContext): string {
  const retry = typeof err.retry_after === 'number' && err.retry_after > 0 ? err.retry_after : null;
  switch (err.code) {
    case 'invalid_credentials':
      return 'Email, password or code is wrong.';
    case 'too_many_attempts':
      return retry !== null
        ? `Too many attempts. Wait ${Math.ceil(retry)} s and try again.`
        : 'Too many attempts. Wait a minute and try again.';
    case 'service_unreachable': {
      const url = ctx.serverUrl?.trim();
      return url
        ? `Cannot reach the service at ${url}. Check the server URL and that the service is running.`
        : 'Cannot reach the service. Check the server URL and that the service is running.';
    }
    case 'connection_lost':
      return connectionLostText(ctx.serverUrl);
    case 'session_expired':
    case 'unauthorized':
    case 'not_signed_in':
      return SESSION_EXPIRED_NOTICE;
    case 'cooldown':
      return retry !== null
        ? `A reset was sent recently. You can send another in ${formatCountdown(retry)}.`
        : 'A reset was sent recently. Wait a few minutes before sending another.';
    case 'account_daily_cap':
    case 'agent_hourly_cap':
      return capText(err.code, retry);
    case 'invalid_input':
      if (err.field) {
        return err.message
          ? `Check the ${fieldLabel(err.field)}: ${err.message}`
          : `Check the ${fieldLabel(err.field)}.`;
      }
      return err.message || 'Some input is not valid; check the form.';
    case 'keychain_unavailable':
      return 'The system keychain is not available, so the session cannot be saved. Unlock the keychain, or sign in without "Stay signed in".';
    case 'internal':
      return 'The service had a problem; try again. If it persists, tell your lead.';
    case 'unexpected_response':
      return 'The service sent an unexpected response; try again. If it persists, tell your lead.';
    case 'forbidden':
      if (ctx.forbidden) return ctx.forbidden;
      return 'Your role does not allow this action. Ask your lead.';
    case 'claimed_by_other':
      return 'Another agent is working on this request.';
    case 'lease_expired':
      return 'Your hold on this request ran out; claim it again.';
    case 'same_approver':
      return 'A second approval must come from another lead.';
    case 'queue_empty':
      return 'Nothing to claim — the queue is empty.';
    case 'invalid_state':
      return ctx.stateInServiceWords ? err.message : 'This request has moved on; reload it.';
    case 'checklist_incomplete':
      return 'Tick every item of the verification checklist before deciding.';
    case 'caller_verification_required':
      return 'Verify the caller first (Verify caller, V): this action needs a verification from the last 15 minutes.';
    case 'wrong_code':
      return err.message
        ? `The code is wrong: ${err.message.replace(/^the code is wrong;?\s*/i, '')}`
        : 'The code is wrong.';
    case 'challenge_expired':
      return 'This verification expired or was used. Start a new one.';
    case 'staff_exists':
      return 'Someone with this email address is already enrolled.';
    case 'last_admin':
      return 'The desk needs at least one active admin; make someone else admin first.';
    case 'own_change':
      return err.message || 'You cannot do this to your own account; ask another admin.';
    case 'sso_required':
      return 'This desk requires single sign-on: use "Sign in with your company account".';
    case 'sso_failed':
      return err.message || 'Single sign-on failed; try again.';
    case 'service_busy':
      return 'The service is busy; try again in a moment.';
    case 'request_timeout':
      return 'The service took too long to answer; try again.';
    case 'idempotency_key_reused':
      return 'This request was already sent with different details. Close the dialog and start again.';
    default:
      return err.message || `Something went wrong (${err.code}).`;
  }
}

export function describeError(raw: unknown, ctx: ErrorContext = {}): ErrorView {
  const err = parseRejection(raw);
  if (err) {
    return {
      code: err.code,
      text: commandErrorText(err, ctx),
      field: err.field ?? null,
      retryAfter: typeof err.retry_after === 'number' ? err.retry_after : null,
      sessionLost: SESSION_LOST_CODES.includes(err.code),
    };
  }
  let detail = '';
  if (typeof raw === 'string') detail = raw.trim();
  else if (raw instanceof Error) detail = raw.message.trim();
  return {
    code: 'unknown',
    text: detail ? `Something went wrong: ${detail}` : 'Something went wrong; try again.',
    field: null,
    retryAfter: null,
    sessionLost: false,
  };
}
