//! One line each: unpack, call the console (which knows nothing of Tauri), answer.

use chrono::{DateTime, Utc};
use desk_api::{About, LinkEvent};
use desk_api::{
    AccountDetail, AccountSummary, ActionAccepted, ActivityEvent, AddressCheckResult, AuditEntry, AuditFilter,
    CommandError, ExportFormat, ExportResult, Figures, Page, Progress, ResetRequest, RevealRequest, RevealedAddress,
    SessionStatus, SignInForm, VerifyReport,
};
use desk_client::links::LinkInbox;
use desk_client::Console;
use tauri::ipc::Channel;
use tauri::State;

use crate::desktop::Facts;
use crate::save::SavePath;

type Answer<T> = Result<T, CommandError>;

#[tauri::command]
pub async fn about(console: State<'_, Console>, facts: State<'_, Facts>) -> Answer<About> {
    Ok(console.about(&facts.get()).await)
}

/// The agent turns updates on or off for the next start; the answer is the About box as it now is.
#[tauri::command]
pub async fn choose_updates(console: State<'_, Console>, facts: State<'_, Facts>, on: bool) -> Answer<About> {
    facts.choose_updates(on)?;
    Ok(console.about(&facts.get()).await)
}

#[tauri::command]
pub fn take_links(inbox: State<'_, LinkInbox>) -> Vec<LinkEvent> {
    inbox.take()
}

#[tauri::command]
pub async fn session_status(console: State<'_, Console>) -> Answer<SessionStatus> {
    Ok(console.status().await)
}

#[tauri::command]
pub async fn sign_in(console: State<'_, Console>, form: SignInForm) -> Answer<SessionStatus> {
    Ok(console.sign_in(form).await?)
}

#[tauri::command]
pub async fn sign_out(console: State<'_, Console>) -> Answer<SessionStatus> {
    Ok(console.sign_out().await)
}

#[tauri::command]
pub async fn search_accounts(
    console: State<'_, Console>,
    q: String,
    cursor: Option<String>,
) -> Answer<Page<AccountSummary>> {
    Ok(console.search(&q, cursor.as_deref()).await?)
}

#[tauri::command]
pub async fn get_account(console: State<'_, Console>, id: i64) -> Answer<AccountDetail> {
    Ok(console.account(id).await?)
}

#[tauri::command]
pub async fn send_password_reset(
    console: State<'_, Console>,
    id: i64,
    request: ResetRequest,
    idempotency_key: String,
) -> Answer<ActionAccepted> {
    Ok(console.password_reset(id, request, &idempotency_key).await?)
}

#[tauri::command]
pub async fn send_answer_reset(
    console: State<'_, Console>,
    id: i64,
    request: ResetRequest,
    idempotency_key: String,
) -> Answer<ActionAccepted> {
    Ok(console.answer_reset(id, request, &idempotency_key).await?)
}

#[tauri::command]
pub async fn account_activity(
    console: State<'_, Console>,
    id: i64,
    cursor: Option<String>,
) -> Answer<Page<ActivityEvent>> {
    Ok(console.activity(id, cursor.as_deref()).await?)
}

#[tauri::command]
pub async fn check_address(console: State<'_, Console>, id: i64, address: String) -> Answer<AddressCheckResult> {
    Ok(console.check_address(id, &address).await?)
}

#[tauri::command]
pub async fn reveal_address(
    console: State<'_, Console>,
    id: i64,
    email_id: i64,
    request: RevealRequest,
) -> Answer<RevealedAddress> {
    Ok(console.reveal_address(id, email_id, request).await?)
}

#[tauri::command]
pub async fn audit_query(
    console: State<'_, Console>,
    filter: AuditFilter,
    cursor: Option<String>,
) -> Answer<Page<AuditEntry>> {
    Ok(console.audit_page(filter, cursor.as_deref()).await?)
}

#[tauri::command]
pub async fn audit_verify(console: State<'_, Console>, on_progress: Channel<Progress>) -> Answer<VerifyReport> {
    Ok(console.audit_verify(|p| drop(on_progress.send(p))).await?)
}

#[tauri::command]
pub async fn audit_export(
    console: State<'_, Console>,
    save: State<'_, SavePath>,
    format: ExportFormat,
    filter: AuditFilter,
    on_progress: Channel<Progress>,
) -> Answer<ExportResult> {
    let Some(path) = crate::save::ask(&save, format).await else {
        return Ok(ExportResult { path: None, entries: 0, bytes: 0 });
    };
    Ok(console.audit_export(format, filter, path, |p| drop(on_progress.send(p))).await?)
}

#[tauri::command]
pub async fn audit_figures(console: State<'_, Console>, from: DateTime<Utc>, to: DateTime<Utc>) -> Answer<Figures> {
    Ok(console.audit_figures(from, to).await?)
}

// The queue. Moves answer the request as it now stands.

use desk_api::{
    AgentLoad, DecisionRequest, EvidenceContent, NoteRequest, QueueFilter, QueueItem, ReassignRequest, RequestDetail,
    StateCount,
};

#[tauri::command]
pub async fn queue_counts(console: State<'_, Console>) -> Answer<Vec<StateCount>> {
    Ok(console.queue_counts().await?)
}

#[tauri::command]
pub async fn queue_list(
    console: State<'_, Console>,
    filter: QueueFilter,
    cursor: Option<String>,
) -> Answer<Page<QueueItem>> {
    Ok(console.queue_list(filter, cursor.as_deref()).await?)
}

#[tauri::command]
pub async fn queue_claim_next(console: State<'_, Console>) -> Answer<RequestDetail> {
    Ok(console.claim_next().await?)
}

#[tauri::command]
pub async fn request_detail(console: State<'_, Console>, id: i64) -> Answer<RequestDetail> {
    Ok(console.request_detail(id).await?)
}

#[tauri::command]
pub async fn request_claim(console: State<'_, Console>, id: i64) -> Answer<RequestDetail> {
    Ok(console.request_claim(id).await?)
}

#[tauri::command]
pub async fn request_renew(console: State<'_, Console>, id: i64) -> Answer<RequestDetail> {
    Ok(console.request_renew(id).await?)
}

#[tauri::command]
pub async fn request_release(console: State<'_, Console>, id: i64) -> Answer<()> {
    Ok(console.request_release(id).await?)
}

#[tauri::command]
pub async fn request_note(console: State<'_, Console>, id: i64, text: String) -> Answer<RequestDetail> {
    Ok(console.add_note(id, &NoteRequest { text }).await?)
}

#[tauri::command]
pub async fn request_decide(
    console: State<'_, Console>,
    id: i64,
    decision: DecisionRequest,
    idempotency_key: String,
) -> Answer<RequestDetail> {
    Ok(console.decide(id, decision, &idempotency_key).await?)
}

#[tauri::command]
pub async fn request_second_approval(
    console: State<'_, Console>,
    id: i64,
    note: String,
    idempotency_key: String,
) -> Answer<RequestDetail> {
    Ok(console.second_approval(id, &note, &idempotency_key).await?)
}

#[tauri::command]
pub async fn list_agents(console: State<'_, Console>) -> Answer<Vec<AgentLoad>> {
    Ok(console.list_agents().await?)
}

#[tauri::command]
pub async fn request_reassign(console: State<'_, Console>, id: i64, agent_id: i64) -> Answer<RequestDetail> {
    Ok(console.reassign(id, &ReassignRequest { agent_id }).await?)
}

#[tauri::command]
pub async fn request_evidence(console: State<'_, Console>, id: i64, file_id: i64) -> Answer<EvidenceContent> {
    Ok(console.request_evidence(id, file_id).await?)
}
