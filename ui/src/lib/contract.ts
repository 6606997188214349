// Generated from crates/desk-api by `make gen`. Do not edit: a test fails when this is stale.

export type ErrorCode = "invalid_input" | "malformed_json" | "payload_too_large" | "unsupported_media_type" | "method_not_allowed" | "not_found" | "invalid_credentials" | "too_many_attempts" | "unauthorized" | "session_expired" | "forbidden" | "cooldown" | "account_daily_cap" | "agent_hourly_cap" | "invalid_state" | "claimed_by_other" | "lease_expired" | "same_approver" | "checklist_incomplete" | "queue_empty" | "idempotency_key_missing" | "idempotency_key_reused" | "invalid_transition" | "staff_exists" | "last_admin" | "own_change" | "weak_password" | "sso_required" | "sso_failed" | "caller_verification_required" | "wrong_code" | "challenge_expired" | "service_busy" | "request_timeout" | "internal" | "service_unreachable" | "connection_lost" | "unexpected_response" | "not_signed_in" | "keychain_unavailable";

export type CommandError = { code: ErrorCode, message: string, field: string | null, retry_after: number | null, };

export type Role = "agent" | "lead" | "admin";

export type Agent = { id: number, email: string, name: string, role: Role, };

export type AuditAction = "sign_in" | "sign_out" | "password_reset" | "security_answer_reset" | "address_check" | "address_reveal" | "evidence_view" | "audit_verify" | "audit_export" | "mail_event" | "public_request_limited" | "password_changed" | "answer_changed" | "email_changed" | "phone_changed" | "two_factor_removed" | "email_verified" | "request_confirm" | "request_claim" | "request_renew" | "request_release" | "request_note" | "request_approve" | "request_reject" | "request_need_info" | "request_escalate" | "request_second_approve" | "request_reassign" | "request_user_reply" | "request_cancel" | "request_apply" | "staff_invite" | "staff_enrolled" | "staff_role_change" | "staff_disable" | "staff_enable" | "staff_mfa_reset_request" | "staff_mfa_reset_approve" | "sso_setting" | "admin_create" | "unlock" | "verification_email" | "end_sessions" | "caller_challenge" | "caller_check";

export type AgentLoad = { id: number, name: string, email: string, role: Role, 
/**
 * Queue requests claimed by them now.
 */
claimed: number, };

export type Me = { agent: Agent, 
/**
 * When the session ends unless used again (this call renewed it).
 */
session_expires_at: string, 
/**
 * The session's absolute end, however active the agent is.
 */
session_ends_at: string, 
/**
 * The form the deployment gives help-desk ticket references (a regular expression the whole
 * reference must match, e.g. `SUP-\\d+`); none: any reference. The service enforces it; the
 * console shows it beside the ticket field.
 */
ticket_pattern?: string, };

export type SessionStatus = { signed_in: boolean, agent: Agent | null, server_url: string | null, expires_at: string | null, 
/**
 * The session's absolute end: the console warns a minute before it.
 */
ends_at: string | null, 
/**
 * The deployment's form of ticket references (see `Me::ticket_pattern`), once signed in.
 */
ticket_pattern: string | null, 
/**
 * Why the agent is back at sign-in, when it was not their choice (a stored session expired or
 * was revoked, or the keychain could not be read).
 */
notice: string | null, 
/**
 * Seconds without input after which the console signs the agent out (0: never).
 */
idle_lock_secs: number, };

export type SignInForm = { server_url: string, email: string, password: string, totp: string, stay_signed_in: boolean, };

export type AccountStatus = "active" | "locked" | "suspended";

export type TwoFactorKind = "authenticator_app" | "sms" | "backup_codes";

export type EmailStatus = "queued" | "sent" | "delivered" | "bounced" | "failed";

export type ReasonCode = "forgot_password" | "email_not_received" | "link_expired" | "locked_out" | "suspected_compromise" | "other";

export type Page<T> = { items: Array<T>, next_cursor: string | null, };

export type AccountSummary = { id: number, username: string, display_name: string, status: AccountStatus, country: string, 
/**
 * The primary address, masked.
 */
primary_email: string, };

export type MaskedEmail = { 
/**
 * Names the address for a reveal, without saying it.
 */
id: number, masked: string, primary: boolean, verified: boolean, bounced: boolean, };

export type TwoFactorMethod = { kind: TwoFactorKind, last_used_at: string | null, };

export type LinkState = "pending" | "opened" | "used" | "expired" | "superseded";

export type RecoveryEmail = { id: number, kind: string, to_masked: string, status: EmailStatus, created_at: string, 
/**
 * Where the email's link is, for emails that carry one.
 */
link: LinkState | null, };

export type DuplicateReason = "same_address" | "same_phone" | "same_name_and_country";

export type DuplicateAccount = { id: number, username: string, display_name: string, status: AccountStatus, reasons: Array<DuplicateReason>, };

export type AddressCheckRequest = { address: string, };

export type AddressCheckResult = { matches: boolean, primary: boolean, verified: boolean, bounced: boolean, };

export type RevealRequest = { 
/**
 * Why the full address is needed (at least 10 characters).
 */
reason: string, ticket: string, };

export type RevealedAddress = { address: string, };

export type ActivityKind = "user_requested" | "agent_sent" | "email" | "link_opened" | "two_factor_passed" | "two_factor_failed" | "sms_code_sent" | "password_changed" | "answer_changed" | "notice_sent" | "account_unlocked" | "verification_sent" | "email_verified" | "sessions_ended" | "caller_challenged" | "caller_verified" | "caller_verification_failed";

export type ActivityEvent = { id: number, at: string, kind: ActivityKind, summary: string, 
/**
 * The agent, for agent actions.
 */
actor: string | null, email_id: number | null, email_status: EmailStatus | null, link: LinkState | null, };

export type CallerMethod = "authenticator_app" | "sms" | "email";

export type CallerChallengeRequest = { method: CallerMethod, };

export type CallerChallenge = { id: number, method: CallerMethod, expires_at: string, attempts_left: number, 
/**
 * The message carrying the code, for `sms` and `email`.
 */
message: EmailRef | null, };

export type CallerCodeRequest = { code: string, };

export type CallerVerified = { method: CallerMethod, verified_at: string, 
/**
 * Until when it counts for the actions that need it.
 */
valid_until: string, by: string, by_id: number, };

export type ActionDone = { action_id: number, 
/**
 * The emails the action sent (the user's notice, or the verification link).
 */
emails: Array<EmailRef>, sessions_ended: number, };

export type AccountDetail = { id: number, username: string, display_name: string, status: AccountStatus, country: string, created_at: string, last_sign_in_at: string | null, emails: Array<MaskedEmail>, phone: string | null, two_factor: Array<TwoFactorMethod>, security_question_set: boolean, recent_emails: Array<RecoveryEmail>, 
/**
 * Seconds until a password reset may be sent again (0: now).
 */
password_reset_available_in: number, 
/**
 * Seconds until a security-answer reset may be sent again (0: now).
 */
answer_reset_available_in: number, duplicates: Array<DuplicateAccount>, 
/**
 * The newest caller verification on this account, while it counts (15 minutes).
 */
caller_verified: CallerVerified | null, };

export type ResetRequest = { reason: ReasonCode, 
/**
 * The support ticket this action answers, e.g. `SUP-12345`.
 */
ticket: string, 
/**
 * Free text that the reason code does not say.
 */
note?: string, };

export type EmailRef = { id: number, status: EmailStatus, };

export type ActionAccepted = { action_id: number, email: EmailRef, };

export type RequestState = "unconfirmed" | "open" | "claimed" | "needs_info" | "escalated" | "awaiting_second_approval" | "approved" | "applied" | "rejected" | "cancelled";

export type ChangeKind = "email" | "phone" | "remove_two_factor" | "reset_security_question";

export type RiskLevel = "low" | "medium" | "high";

export type ChecklistItem = "facts_match_account" | "recent_activity_reviewed" | "duplicates_reviewed" | "statement_consistent" | "evidence_reviewed" | "new_value_not_on_another_account";

export type Decision = "approve" | "reject" | "need_info" | "escalate";

export type QueueItem = { id: number, reference: string, state: RequestState, risk: RiskLevel, change: ChangeKind, account_id: number | null, username: string | null, submitted_at: string, sla_due_at: string, assignee: string | null, assignee_id: number | null, };

export type StateCount = { state: RequestState, count: number, };

export type FactCheck = { fact: string, submitted: string, on_file: string, matches: boolean, };

export type OnFile = { username: string, display_name: string, status: AccountStatus, country: string, created_at: string, emails: Array<MaskedEmail>, phone: string | null, two_factor: Array<TwoFactorMethod>, security_question_set: boolean, };

export type EvidenceFile = { id: number, name: string, content_type: string, size: number, };

export type RequestNote = { author: string, at: string, text: string, };

export type RequestStep = { at: string, actor: string | null, action: string, from: RequestState, to: RequestState, note: string | null, };

export type RequestDetail = { item: QueueItem, risk_reasons: Array<string>, 
/**
 * What the user asked to change to (the new address or phone; none for removals).
 */
new_value: string | null, statement: string, 
/**
 * The contact address the user confirmed, masked.
 */
contact: string, 
/**
 * Whether that address is one of the account's: masks can look alike, this says it.
 */
contact_on_file: boolean, facts: Array<FactCheck>, on_file: OnFile | null, recent_activity: Array<ActivityEvent>, duplicates: Array<DuplicateAccount>, earlier_requests: Array<QueueItem>, evidence: Array<EvidenceFile>, notes: Array<RequestNote>, steps: Array<RequestStep>, 
/**
 * The checklist items a decision on this change needs.
 */
checklist: Array<ChecklistItem>, lease_expires_at: string | null, first_approver: string | null, apply_at: string | null, needs_second_approval: boolean, };

export type DecisionRequest = { decision: Decision, checklist: Array<ChecklistItem>, 
/**
 * The internal note: why the agent decided so. Staff see it; the user never does.
 */
note: string, 
/**
 * The message to the user, mailed with a rejection or a request for more information (for
 * "need more information" it is the question, and required). Never the internal note.
 */
message?: string, };

export type NoteRequest = { text: string, };

export type ReassignRequest = { agent_id: number, };

export type QueueFilter = { state?: RequestState, 
/**
 * "me", "none", or an agent id.
 */
assignee?: string, risk?: RiskLevel, 
/**
 * Only requests submitted at least this many hours ago.
 */
min_age_hours?: number, };

export type EvidenceContent = { name: string, content_type: string, 
/**
 * The file itself, for the image types the viewer shows as they are; empty for a PDF, which
 * reaches the webview only as `pages`.
 */
data_base64: string, 
/**
 * A PDF's first pages, rendered to PNG by the console (base64), at most 10.
 */
pages: Array<string>, 
/**
 * How many pages the PDF has (more than `pages` holds when it is long).
 */
page_count: number, 
/**
 * Why a PDF could not be shown, when it could not.
 */
render_error: string | null, };

export type AuditEntry = { id: number, at: string, actor_id: number | null, actor_email: string | null, actor_role: Role | null, action: string, target_type: string | null, target_id: string | null, 
/**
 * What the target is called now (an account's username, a request's SD- reference, a staff
 * member's name), for reading the log; not part of the entry or its hash, and not exported.
 */
target_label?: string, reason: string | null, ticket: string | null, outcome: string, 
/**
 * The caller's address and user agent.
 */
client: string, 
/**
 * Action-specific details, as canonical JSON text.
 */
detail: string, prev_hash: string, hash: string, };

export type AuditFilter = { agent?: number, action?: string, account?: number, request?: number, outcome?: string, 
/**
 * Inclusive lower bound (RFC 3339).
 */
from?: string, 
/**
 * Exclusive upper bound (RFC 3339).
 */
to?: string, };

export type BrokenEntry = { 
/**
 * The first entry that does not verify (for a cut-off tail: the first missing id).
 */
id: number, reason: string, };

export type VerifyReport = { ok: boolean, entries: number, head_hash: string, broken: BrokenEntry | null, checkpoints_checked: number, };

export type Progress = { done: number, 
/**
 * The expected total, when known.
 */
total: number | null, bytes: number, };

export type ExportFormat = "csv" | "ndjson";

export type ExportResult = { 
/**
 * Where the file was written; null when the agent cancelled the save dialog.
 */
path: string | null, entries: number, bytes: number, };

export type ActionCount = { action: string, count: number, };

export type AgentFigures = { agent_id: number, email: string, name: string, role: Role, actions: number, by_action: Array<ActionCount>, resets_sent: number, queue_decisions: number, 
/**
 * Median seconds from claiming a request to deciding it; null without decisions.
 */
median_handling_secs: number | null, second_approvals: number, 
/**
 * Actions per UTC hour of day (24 values).
 */
by_hour: number[], };

export type AnomalyKind = "high_rate" | "outside_usual_hours" | "resets_on_recently_changed_accounts" | "repeated_reveals" | "sign_in_flood";

export type Anomaly = { kind: AnomalyKind, agent_id: number, agent_email: string, summary: string, 
/**
 * The entries behind the flag (at most 100).
 */
entry_ids: number[], };

export type Figures = { from: string, to: string, agents: Array<AgentFigures>, anomalies: Array<Anomaly>, };

export type ServiceVersion = { 
/**
 * The service's release, e.g. `0.1.0`.
 */
version: string, 
/**
 * The API generation it serves (`v1`).
 */
api: string, };

export type About = { app_version: string, server_url: string, 
/**
 * `None` when the service could not be asked; `service_error` then says why.
 */
service: ServiceVersion | null, service_error: string | null, 
/**
 * OS notifications (a high-risk request arrives, a hold is about to end) may be shown.
 */
notifications: boolean, 
/**
 * Plain text for a support ticket: versions, system, where the logs are, which settings apply.
 */
diagnostics: string, 
/**
 * The settings this machine's IT department decides (updates, notifications, the extra CA
 * file, the settings file), each with its value and what decided it: the Settings view shows
 * them as managed.
 */
managed: Array<ManagedSetting>, 
/**
 * Whether the console updates itself at start, and whether this agent may change that.
 */
updates: UpdatesSetting, };

export type UpdatesSetting = { on: boolean, decided_by: string, agent_may_change: boolean, };

export type ManagedSetting = { name: string, value: string, };

export type LinkTarget = "account" | "request";

export type OpenLink = { target: LinkTarget, id: number, ticket: string | null, };

export type LinkEvent = { link: OpenLink | null, error: string | null, };

export type StaffStatus = "invited" | "active" | "disabled";

export type EnrolmentState = "pending" | "enrolled" | "authenticator_reset";

export type PendingMfaReset = { id: number, requested_by_id: number, requested_by: string, requested_at: string, reason: string, ticket: string, };

export type StaffMember = { id: number, email: string, name: string, role: Role, status: StaffStatus, enrolment: EnrolmentState, last_sign_in_at: string | null, 
/**
 * When the newest enrolment link stops working, while one is open.
 */
enrolment_link_expires_at: string | null, pending_mfa_reset: PendingMfaReset | null, };

export type InviteRequest = { email: string, name: string, role: Role, 
/**
 * Why (3 to 500 characters), e.g. "new hire, starts Monday".
 */
reason: string, ticket: string, };

export type InviteSent = { member: StaffMember, email: EmailRef, };

export type StaffChange = { reason: string, ticket: string, };

export type RoleChange = { role: Role, reason: string, ticket: string, };

export type SsoSettings = { 
/**
 * An OpenID provider is configured on the service.
 */
configured: boolean, 
/**
 * Staff must sign in through the provider; password + code is refused.
 */
required: boolean, };

export type SsoSettingsChange = { required: boolean, reason: string, ticket: string, };

export type SsoAvailability = { enabled: boolean, required: boolean, };

export type SsoSignInForm = { server_url: string, stay_signed_in: boolean, };

export const REASON_CODES: ReasonCode[] = ["forgot_password", "email_not_received", "link_expired", "locked_out", "suspected_compromise", "other"];

export const AUDIT_ACTIONS: AuditAction[] = ["sign_in", "sign_out", "password_reset", "security_answer_reset", "address_check", "address_reveal", "evidence_view", "audit_verify", "audit_export", "mail_event", "public_request_limited", "password_changed", "answer_changed", "email_changed", "phone_changed", "two_factor_removed", "email_verified", "request_confirm", "request_claim", "request_renew", "request_release", "request_note", "request_approve", "request_reject", "request_need_info", "request_escalate", "request_second_approve", "request_reassign", "request_user_reply", "request_cancel", "request_apply", "staff_invite", "staff_enrolled", "staff_role_change", "staff_disable", "staff_enable", "staff_mfa_reset_request", "staff_mfa_reset_approve", "sso_setting", "admin_create", "unlock", "verification_email", "end_sessions", "caller_challenge", "caller_check"];
