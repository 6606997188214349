// Every call from the UI to the Tauri core goes through this module.
// Tauri converts the Rust commands' snake_case argument names to camelCase on this side;
// fields inside `form` and `request` keep their serde (snake_case) names from contract.ts.
import { invoke } from '@tauri-apps/api/core';
import type {
  AccountDetail,
  AccountSummary,
  ActionAccepted,
  CommandError,
  Page,
  ResetRequest,
  SessionStatus,
  SignInForm,
} from './contract';
import { isCommandError, isSessionLost } from './errors';

type SessionLostHandler = (err: CommandError) => void;
let sessionLostHandler: SessionLostHandler | null = null;

/**
 * Called when any command (other than the sign-in ones) is rejected because the session is
 * gone, so the app can go back to sign-in. Returns a function that removes the handler.
 */
export function setSessionLostHandler(handler: SessionLostHandler | null): () => void {
  sessionLostHandler = handler;
  return () => {
    if (sessionLostHandler === handler) sessionLostHandler = null;
  };
}

/** Commands whose failure never means "a session we had is gone". */
const SIGN_IN_COMMANDS = new Set(['session_status', 'sign_in']);

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    if (!SIGN_IN_COMMANDS.has(command) && isCommandError(raw) && isSessionLost(raw)) {
      sessionLostHandler?.(raw);
    }
    // The original rejection (usually a CommandError) goes to the caller; errors.ts reads it.
    throw raw;
  }
}

export function sessionStatus(): Promise<SessionStatus> {
  return call<SessionStatus>('session_status');
}

export function signIn(form: SignInForm): Promise<SessionStatus> {
  return call<SessionStatus>('sign_in', { form });
}

export function signOut(): Promise<SessionStatus> {
  return call<SessionStatus>('sign_out');
}

export function searchAccounts(q: string, cursor: string | null): Promise<Page<AccountSummary>> {
  return call<Page<AccountSummary>>('search_accounts', { q, cursor });
}

export function getAccount(id: number): Promise<AccountDetail> {
  return call<AccountDetail>('get_account', { id });
}

export function sendPasswordReset(
  id: number,
  request: ResetRequest,
  idempotencyKey: string,
): Promise<ActionAccepted> {
  return call<ActionAccepted>('send_password_reset', { id, request, idempotencyKey });
}
