//! Unlock, verification email, end sessions, and caller verification. Rules live in
//! `domain::account_actions` and `domain::caller_verification`; handlers only parse.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use desk_api::{ActionDone, CallerChallenge, CallerChallengeRequest, CallerCodeRequest, CallerVerified, ResetRequest};

use super::extract::{parse_id, positive_id, ApiJson, ApiPath, Authorized, IdempotencyKey};
use crate::access;
use crate::domain::account_actions::{self, AccountAction};
use crate::domain::{caller_verification, idempotency, recovery};
use crate::error::ApiResult;
use crate::AppState;

async fn act(
    state: AppState,
    auth: Authorized<access::ActOnAccount>,
    id: i64,
    headers: HeaderMap,
    req: ResetRequest,
    action: AccountAction,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let key = idempotency::parse_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    let valid = recovery::validate(req, &state.config)?;
    let outcome = account_actions::perform(&state.db, &auth.acting(&state), id, action, valid, &key).await?;
    Ok((StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::ACCEPTED), Json(outcome.body)))
}

/// Unlock an account locked by failed sign-ins; the user is told by email. Needs a recent
/// caller verification when the settings say so (by default they do).
#[utoipa::path(post, path = "/v1/accounts/{id}/unlock", tag = "actions", operation_id = "unlock_account", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), IdempotencyKey), request_body = ResetRequest,
    responses((status = 202, body = ActionDone),
              (status = 409, description = "not locked"),
              (status = 403, description = "`caller_verification_required`: verify the caller first (when the settings say so)"),
              (status = 429, description = "cooldown or cap; see Retry-After")))]
pub async fn unlock(
    State(state): State<AppState>,
    auth: Authorized<access::ActOnAccount>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let id = parse_id(&id)?;
    act(state, auth, id, headers, req, AccountAction::Unlock).await
}

/// Send a verification email to an unverified address of the account; the answer does not
/// name the address.
#[utoipa::path(post, path = "/v1/accounts/{id}/emails/{email_id}/verification", tag = "actions", operation_id = "send_verification_email", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), ("email_id" = i64, Path, minimum = 1), IdempotencyKey), request_body = ResetRequest,
    responses((status = 202, body = ActionDone),
              (status = 409, description = "verified already"),
              (status = 403, description = "`caller_verification_required`: verify the caller first (when the settings say so)"),
              (status = 429, description = "cooldown or cap; see Retry-After")))]
pub async fn verification_email(
    State(state): State<AppState>,
    auth: Authorized<access::ActOnAccount>,
    ApiPath((id, email_id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let id = parse_id(&id)?;
    let email_id = positive_id(&email_id, "email_id", "email_id")?;
    act(state, auth, id, headers, req, AccountAction::VerificationEmail { email_id }).await
}

/// End every session of the user (reason `suspected_compromise`); every verified address is told.
#[utoipa::path(post, path = "/v1/accounts/{id}/end-sessions", tag = "actions", operation_id = "end_user_sessions", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), IdempotencyKey), request_body = ResetRequest,
    responses((status = 202, body = ActionDone),
              (status = 403, description = "`caller_verification_required`: verify the caller first (when the settings say so)"),
              (status = 429, description = "cooldown or cap; see Retry-After")))]
pub async fn end_sessions(
    State(state): State<AppState>,
    auth: Authorized<access::ActOnAccount>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let id = parse_id(&id)?;
    act(state, auth, id, headers, req, AccountAction::EndSessions).await
}

/// Challenge the caller: the service sends a one-time code (SMS or a verified address) or asks
/// for the authenticator app's current code. The answer names neither the code nor where it went.
#[utoipa::path(post, path = "/v1/accounts/{id}/caller-verification", tag = "actions", operation_id = "verify_caller", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = CallerChallengeRequest,
    responses((status = 201, body = CallerChallenge),
              (status = 409, description = "`invalid_state`: the account lacks that factor"),
              (status = 429, description = "too many challenges this hour")))]
pub async fn challenge(
    State(state): State<AppState>,
    auth: Authorized<access::VerifyCaller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CallerChallengeRequest>,
) -> ApiResult<(StatusCode, Json<CallerChallenge>)> {
    let id = parse_id(&id)?;
    let c = caller_verification::challenge(&state.db, &state.keys, &auth.acting(&state), id, req.method).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Check the code the caller read back. Attempts are limited; a code works once.
#[utoipa::path(post, path = "/v1/accounts/{id}/caller-verification/{challenge_id}/check", tag = "actions", operation_id = "check_caller_code",
    security(("bearer" = [])), params(("id" = i64, Path, minimum = 1), ("challenge_id" = i64, Path, minimum = 1)), request_body = CallerCodeRequest,
    responses((status = 200, body = CallerVerified),
              (status = 409, description = "`challenge_expired` (expired or used) or `wrong_code` (the message says how many tries are left)"),
              (status = 429, description = "no attempts left")))]
pub async fn check(
    State(state): State<AppState>,
    auth: Authorized<access::VerifyCaller>,
    ApiPath((id, challenge_id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<CallerCodeRequest>,
) -> ApiResult<Json<CallerVerified>> {
    let id = parse_id(&id)?;
    let challenge_id = positive_id(&challenge_id, "challenge_id", "challenge_id")?;
    let by = auth.acting(&state);
    let v = caller_verification::check(&state.db, &state.keys, &by, id, challenge_id, &req.code).await?;
    Ok(Json(v))
}
