use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use desk_api::{ActionAccepted, ResetRequest};

use super::extract::{parse_id, ApiJson, ApiPath, Authorized, IdempotencyKey};
use crate::access;
use crate::domain::{recovery, Acting};
use crate::error::ApiResult;
use crate::AppState;

/// Send the account a password-reset email. Needs a reason and a ticket; honours the per-account
/// cooldown; a retry with the same `Idempotency-Key` answers the first result and sends nothing.
#[utoipa::path(post, path = "/v1/accounts/{id}/password-reset", tag = "actions", operation_id = "send_password_reset",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), IdempotencyKey),
    request_body = ResetRequest,
    responses((status = 202, body = ActionAccepted),
              (status = 429, description = "`cooldown`, `account_daily_cap` or `agent_hourly_cap`; see `Retry-After`")))]
pub async fn password_reset(
    state: State<AppState>,
    auth: Authorized<access::SendRecoveryEmail>,
    id: ApiPath<String>,
    key: IdempotencyKey,
    req: ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    send(state, auth, id, key, req, recovery::RecoveryKind::PasswordReset).await
}

/// Send the account a security-answer reset email; the same rules as the password reset.
#[utoipa::path(post, path = "/v1/accounts/{id}/security-answer-reset", tag = "actions",
    operation_id = "send_answer_reset", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), IdempotencyKey),
    request_body = ResetRequest,
    responses((status = 202, body = ActionAccepted),
              (status = 429, description = "`cooldown`, `account_daily_cap` or `agent_hourly_cap`; see `Retry-After`")))]
pub async fn answer_reset(
    state: State<AppState>,
    auth: Authorized<access::SendRecoveryEmail>,
    id: ApiPath<String>,
    key: IdempotencyKey,
    req: ApiJson<ResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    send(state, auth, id, key, req, recovery::RecoveryKind::AnswerReset).await
}

async fn send(
    State(state): State<AppState>,
    auth: Authorized<access::SendRecoveryEmail>,
    ApiPath(id): ApiPath<String>,
    key: IdempotencyKey,
    ApiJson(req): ApiJson<ResetRequest>,
    kind: recovery::RecoveryKind,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let id = parse_id(&id)?;
    let valid = recovery::validate(req, &state.config)?;
    let by =
        Acting { config: &state.config, now_ms: state.clock.now_ms(), session: &auth.session, client: &auth.client };
    let outcome = recovery::send(&state.db, &by, id, kind, valid, &key.key).await?;
    Ok((StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::ACCEPTED), Json(outcome.body)))
}
