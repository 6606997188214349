//! Commands of staff administration, the account actions of a call, and caller verification.
//! One line each: unpack, call the console, answer.

use desk_api::{
    ActionDone, CallerChallenge, CallerMethod, CallerVerified, CommandError, InviteRequest, InviteSent, ResetRequest,
    RoleChange, SsoSettings, SsoSettingsChange, StaffChange, StaffMember,
};
use desk_client::Console;
use tauri::State;

type Answer<T> = Result<T, CommandError>;

#[tauri::command]
pub async fn staff_list(console: State<'_, Console>) -> Answer<Vec<StaffMember>> {
    Ok(console.staff_list().await?)
}

#[tauri::command]
pub async fn staff_invite(console: State<'_, Console>, request: InviteRequest) -> Answer<InviteSent> {
    Ok(console.staff_invite(request).await?)
}

#[tauri::command]
pub async fn staff_set_role(console: State<'_, Console>, id: i64, change: RoleChange) -> Answer<StaffMember> {
    Ok(console.staff_set_role(id, change).await?)
}

#[tauri::command]
pub async fn staff_disable(console: State<'_, Console>, id: i64, change: StaffChange) -> Answer<StaffMember> {
    Ok(console.staff_change(id, "disable", change).await?)
}

#[tauri::command]
pub async fn staff_enable(console: State<'_, Console>, id: i64, change: StaffChange) -> Answer<StaffMember> {
    Ok(console.staff_change(id, "enable", change).await?)
}

#[tauri::command]
pub async fn staff_mfa_reset(console: State<'_, Console>, id: i64, change: StaffChange) -> Answer<StaffMember> {
    Ok(console.staff_change(id, "mfa-reset", change).await?)
}

#[tauri::command]
pub async fn staff_approve_mfa_reset(
    console: State<'_, Console>,
    reset_id: i64,
    change: StaffChange,
) -> Answer<StaffMember> {
    Ok(console.staff_approve_mfa_reset(reset_id, change).await?)
}

#[tauri::command]
pub async fn sso_settings(console: State<'_, Console>) -> Answer<SsoSettings> {
    Ok(console.sso_settings().await?)
}

#[tauri::command]
pub async fn set_sso_required(console: State<'_, Console>, change: SsoSettingsChange) -> Answer<SsoSettings> {
    Ok(console.set_sso_required(change).await?)
}

#[tauri::command]
pub async fn unlock_account(
    console: State<'_, Console>,
    id: i64,
    request: ResetRequest,
    idempotency_key: String,
) -> Answer<ActionDone> {
    Ok(console.unlock(id, request, &idempotency_key).await?)
}

#[tauri::command]
pub async fn end_sessions(
    console: State<'_, Console>,
    id: i64,
    request: ResetRequest,
    idempotency_key: String,
) -> Answer<ActionDone> {
    Ok(console.end_sessions(id, request, &idempotency_key).await?)
}

#[tauri::command]
pub async fn send_verification_email(
    console: State<'_, Console>,
    id: i64,
    email_id: i64,
    request: ResetRequest,
    idempotency_key: String,
) -> Answer<ActionDone> {
    Ok(console.verification_email(id, email_id, request, &idempotency_key).await?)
}

#[tauri::command]
pub async fn caller_challenge(console: State<'_, Console>, id: i64, method: CallerMethod) -> Answer<CallerChallenge> {
    Ok(console.caller_challenge(id, method).await?)
}

#[tauri::command]
pub async fn caller_check(
    console: State<'_, Console>,
    id: i64,
    challenge_id: i64,
    code: String,
) -> Answer<CallerVerified> {
    Ok(console.caller_check(id, challenge_id, code).await?)
}

#[tauri::command]
pub async fn sso_availability(console: State<'_, Console>, server_url: String) -> Answer<desk_api::SsoAvailability> {
    Ok(console.sso_availability(&server_url).await?)
}

#[tauri::command]
pub async fn sign_in_sso(
    console: State<'_, Console>,
    form: desk_api::SsoSignInForm,
) -> Answer<desk_api::SessionStatus> {
    Ok(console.sign_in_sso(form, crate::browser::open).await?)
}
