//! One line each: unpack, call the console (which knows nothing of Tauri), answer.

use desk_api::{AccountDetail, AccountSummary, ActionAccepted, CommandError, Page, ResetRequest, SessionStatus, SignInForm};
use desk_client::Console;
use tauri::State;

type Answer<T> = Result<T, CommandError>;

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
pub async fn search_accounts(console: State<'_, Console>, q: String, cursor: Option<String>) -> Answer<Page<AccountSummary>> {
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
