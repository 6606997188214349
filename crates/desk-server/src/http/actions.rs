use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use desk_api::{ActionAccepted, ResetRequest};

use super::extract::{parse_id, ApiJson, Authorized};
use crate::access;
use crate::domain::{idempotency, recovery, Acting};
use crate::error::ApiResult;
use crate::AppState;

/// Send the account a password-reset email. Needs a reason and a ticket; honours the per-account
/// cooldown; a retry with the same `Idempotency-Key` answers the first result and sends nothing.
#[utoipa::path(post, path = "/v1/accounts/{id}/password-reset", tag = "actions", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = ResetRequest,
    responses((status = 202, body = ActionAccepted), (status = 422, body = desk_api::Problem),
              (status = 429, body = desk_api::Problem, description = "cooldown; see Retry-After")))]
pub async fn password_reset(
    state: State<AppState>,
    auth: Authorized<access::SendRecoveryEmail>,
    id: Path<String>,
    headers: HeaderMap,
    req: ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    send(state, auth, id, headers, req, recovery::RecoveryKind::PasswordReset).await
}

/// Send the account a security-answer reset email; the same rules as the password reset.
#[utoipa::path(post, path = "/v1/accounts/{id}/security-answer-reset", tag = "actions", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = String, Header)),
    request_body = ResetRequest,
    responses((status = 202, body = ActionAccepted), (status = 422, body = desk_api::Problem),
              (status = 429, body = desk_api::Problem, description = "cooldown or cap; see Retry-After")))]
pub async fn answer_reset(
    state: State<AppState>,
    auth: Authorized<access::SendRecoveryEmail>,
    id: Path<String>,
    headers: HeaderMap,
    req: ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    send(state, auth, id, headers, req, recovery::RecoveryKind::AnswerReset).await
}

async fn send(
    State(state): State<AppState>,
    auth: Authorized<access::SendRecoveryEmail>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ResetRequest>,
    kind: recovery::RecoveryKind,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let id = parse_id(&id)?;
    let key = idempotency::parse_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    let valid = recovery::validate(req)?;
    let by =
        Acting { config: &state.config, now_ms: state.clock.now_ms(), session: &auth.session, client: &auth.client };
    let outcome = recovery::send(&state.db, &by, id, kind, valid, &key).await?;
    Ok((StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::ACCEPTED), Json(outcome.body)))
}
