// Every call from the UI to the Tauri core goes through this module.
// Tauri converts the Rust commands' snake_case argument names to camelCase on this side;
// fields inside `form` and `request` keep their serde (snake_case) names from contract.ts.
import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type {
  About,
  AccountDetail,
  AccountSummary,
  ActionAccepted,
  ActionDone,
  AgentLoad,
  CallerChallenge,
  CallerMethod,
  CallerVerified,
  InviteRequest,
  InviteSent,
  RoleChange,
  SsoSettings,
  SsoSettingsChange,
  SsoAvailability,
  SsoSignInForm,
  StaffChange,
  StaffMember,
  ActivityEvent,
  AddressCheckResult,
  AuditEntry,
  AuditFilter,
  CommandError,
  DecisionRequest,
  EvidenceContent,
  ExportFormat,
  ExportResult,
  Figures,
  LinkEvent,
  Page,
  Progress,
  QueueFilter,
  QueueItem,
  RequestDetail,
  ResetRequest,
  RevealRequest,
  RevealedAddress,
  SessionStatus,
  SignInForm,
  StateCount,
  VerifyReport,
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
const SIGN_IN_COMMANDS = new Set(['session_status', 'sign_in', 'sign_in_sso', 'sso_availability']);

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

/** Sends a security-answer reset email; same rules (reason, ticket, cooldown, caps) as the password reset. */
export function sendAnswerReset(
  id: number,
  request: ResetRequest,
  idempotencyKey: string,
): Promise<ActionAccepted> {
  return call<ActionAccepted>('send_answer_reset', { id, request, idempotencyKey });
}

/** Whether `address` is one of the account's addresses; the stored address is never returned. */
export function checkAddress(id: number, address: string): Promise<AddressCheckResult> {
  return call<AddressCheckResult>('check_address', { id, address });
}

/** The full address behind `emailId` (audited on the service: reason of 10+ characters and a ticket). */
export function revealAddress(id: number, emailId: number, request: RevealRequest): Promise<RevealedAddress> {
  return call<RevealedAddress>('reveal_address', { id, emailId, request });
}

/** One page (newest first, 50 per page) of the account's recovery activity; pass `next_cursor` for older. */
export function accountActivity(id: number, cursor: string | null): Promise<Page<ActivityEvent>> {
  return call<Page<ActivityEvent>>('account_activity', { id, cursor });
}

// Audit (team leads and admins; others are rejected with `forbidden`).

/** One page (newest first) of the audit log matching `filter`; pass `next_cursor` back for the next. */
export function auditQuery(filter: AuditFilter, cursor: string | null): Promise<Page<AuditEntry>> {
  return call<Page<AuditEntry>>('audit_query', { filter, cursor });
}

function progressChannel(onProgress: (p: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return channel;
}

/** Checks the whole hash chain; `onProgress` gets entries checked / total while it runs. */
export function auditVerify(onProgress: (p: Progress) => void): Promise<VerifyReport> {
  return call<VerifyReport>('audit_verify', { onProgress: progressChannel(onProgress) });
}

/**
 * Exports the entries matching `filter`. The core asks where to save (OS dialog) and streams the
 * file; the result's `path` is null when the lead cancelled the dialog.
 */
export function auditExport(
  format: ExportFormat,
  filter: AuditFilter,
  onProgress: (p: Progress) => void,
): Promise<ExportResult> {
  return call<ExportResult>('audit_export', { format, filter, onProgress: progressChannel(onProgress) });
}

/** Per-agent figures and anomaly flags for `from`..`to` (RFC 3339). */
export function auditFigures(from: string, to: string): Promise<Figures> {
  return call<Figures>('audit_figures', { from, to });
}

// The security-details queue.

/** How many requests are in each state. */
export function queueCounts(): Promise<StateCount[]> {
  return call<StateCount[]>('queue_counts');
}

/** One page (by SLA due time, 50 per page) of the queue matching `filter`; pass `next_cursor` for the next. */
export function queueList(filter: QueueFilter, cursor: string | null): Promise<Page<QueueItem>> {
  return call<Page<QueueItem>>('queue_list', { filter, cursor });
}

/** Claims the most urgent claimable request (atomic); rejects with `queue_empty` when there is none. */
export function queueClaimNext(): Promise<RequestDetail> {
  return call<RequestDetail>('queue_claim_next');
}

export function requestDetail(id: number): Promise<RequestDetail> {
  return call<RequestDetail>('request_detail', { id });
}

export function requestClaim(id: number): Promise<RequestDetail> {
  return call<RequestDetail>('request_claim', { id });
}

/** Renews the agent's lease on the request (leases last 5 minutes). */
export function requestRenew(id: number): Promise<RequestDetail> {
  return call<RequestDetail>('request_renew', { id });
}

export function requestRelease(id: number): Promise<null> {
  return call<null>('request_release', { id });
}

export function requestNote(id: number, text: string): Promise<RequestDetail> {
  return call<RequestDetail>('request_note', { id, text });
}

/**
 * Approve, reject, ask for more information or escalate; needs the whole checklist and a note.
 * `idempotencyKey` names the agent's one action (see `ActionKeys`): sent again, it decides nothing twice.
 */
export function requestDecide(
  id: number,
  decision: DecisionRequest,
  idempotencyKey: string,
): Promise<RequestDetail> {
  return call<RequestDetail>('request_decide', { id, decision, idempotencyKey });
}

/** A lead's second approval of a high-risk change (not by the first approver); keyed as `requestDecide`. */
export function requestSecondApproval(
  id: number,
  note: string,
  idempotencyKey: string,
): Promise<RequestDetail> {
  return call<RequestDetail>('request_second_approval', { id, note, idempotencyKey });
}

/** Active staff by name, with the requests each holds now (leads only): whom to hand work to. */
export function listAgents(): Promise<AgentLoad[]> {
  return call<AgentLoad[]>('list_agents', {});
}

/** Hands the request to another agent (leads only). */
export function requestReassign(id: number, agentId: number): Promise<RequestDetail> {
  return call<RequestDetail>('request_reassign', { id, agentId });
}

/** One evidence file's content (base64), for the viewer. */
export function requestEvidence(id: number, fileId: number): Promise<EvidenceContent> {
  return call<EvidenceContent>('request_evidence', { id, fileId });
}

// The desktop shell: About box, links from tickets.

/** The console's and the service's versions, and the diagnostics text (no secrets in it). */
export function about(): Promise<About> {
  return call<About>('about');
}

/** Turns the console's own updates on or off from the next start, where the deployment leaves it to the agent. */
export function chooseUpdates(on: boolean): Promise<About> {
  return call<About>('choose_updates', { on });
}

/** `recovery-desk://` links that arrived (each handed over once), or why each was refused. */
export function takeLinks(): Promise<LinkEvent[]> {
  return call<LinkEvent[]>('take_links');
}

/** Calls `onWaiting` whenever the shell has links for `takeLinks`; resolves to the unlisten function. */
export function onLinksWaiting(onWaiting: () => void): Promise<() => void> {
  return listen('desk://links-waiting', () => onWaiting());
}

/** Shows an OS notification (the notification plugin); the caller decides whether one is due. */
export function osNotify(title: string, body: string): Promise<void> {
  return invoke<void>('plugin:notification|notify', { options: { title, body } });
}

// Staff administration (admins).

export function staffList(): Promise<StaffMember[]> {
  return call<StaffMember[]>('staff_list');
}

export function staffInvite(request: InviteRequest): Promise<InviteSent> {
  return call<InviteSent>('staff_invite', { request });
}

export function staffSetRole(id: number, change: RoleChange): Promise<StaffMember> {
  return call<StaffMember>('staff_set_role', { id, change });
}

export function staffDisable(id: number, change: StaffChange): Promise<StaffMember> {
  return call<StaffMember>('staff_disable', { id, change });
}

export function staffEnable(id: number, change: StaffChange): Promise<StaffMember> {
  return call<StaffMember>('staff_enable', { id, change });
}

export function staffMfaReset(id: number, change: StaffChange): Promise<StaffMember> {
  return call<StaffMember>('staff_mfa_reset', { id, change });
}

export function staffApproveMfaReset(resetId: number, change: StaffChange): Promise<StaffMember> {
  return call<StaffMember>('staff_approve_mfa_reset', { resetId, change });
}

export function ssoSettings(): Promise<SsoSettings> {
  return call<SsoSettings>('sso_settings');
}

export function setSsoRequired(change: SsoSettingsChange): Promise<SsoSettings> {
  return call<SsoSettings>('set_sso_required', { change });
}

// The account actions of a call, and caller verification.

export function unlockAccount(
  id: number,
  request: ResetRequest,
  idempotencyKey: string,
): Promise<ActionDone> {
  return call<ActionDone>('unlock_account', { id, request, idempotencyKey });
}

export function endSessions(id: number, request: ResetRequest, idempotencyKey: string): Promise<ActionDone> {
  return call<ActionDone>('end_sessions', { id, request, idempotencyKey });
}

export function sendVerificationEmail(
  id: number,
  emailId: number,
  request: ResetRequest,
  idempotencyKey: string,
): Promise<ActionDone> {
  return call<ActionDone>('send_verification_email', { id, emailId, request, idempotencyKey });
}

export function callerChallenge(id: number, method: CallerMethod): Promise<CallerChallenge> {
  return call<CallerChallenge>('caller_challenge', { id, method });
}

export function callerCheck(id: number, challengeId: number, code: string): Promise<CallerVerified> {
  return call<CallerVerified>('caller_check', { id, challengeId, code });
}

// Single sign-on: the app opens the browser and keeps every token; the webview gets the status.

export function ssoAvailability(serverUrl: string): Promise<SsoAvailability> {
  return call<SsoAvailability>('sso_availability', { serverUrl });
}

export function signInSso(form: SsoSignInForm): Promise<SessionStatus> {
  return call<SessionStatus>('sign_in_sso', { form });
}
