use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use desk_api::{Me, SessionCreated, SignInRequest};

use super::extract::{ApiJson, Authorized, ClientAddr};
use crate::access;
use crate::domain::sessions;
use crate::error::ApiResult;
use crate::AppState;

/// The answer to a sign-in, by password or single sign-on: the session and the desk's rules the
/// console shows (the ticket form).
pub(super) fn created(s: sessions::NewSession, config: &crate::Config) -> SessionCreated {
    SessionCreated {
        token: s.token,
        expires_at: s.expires_at,
        ends_at: s.ends_at,
        agent: s.agent,
        ticket_pattern: config.ticket_pattern.clone(),
    }
}

/// Sign in with email, password and the current TOTP code.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", operation_id = "sign_in", request_body = SignInRequest,
    responses((status = 201, body = SessionCreated),
              (status = 401, description = "`invalid_credentials`: email, password or code is wrong (not saying which)"),
              (status = 429, description = "`too_many_attempts` for this address or client"),
              (status = 503, description = "`service_busy`: too many sign-ins in hand; retry after `Retry-After`")))]
pub async fn create(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<(StatusCode, Json<SessionCreated>)> {
    let s = sessions::sign_in(&state, &client, &req.email, &req.password, &req.totp).await?;
    Ok((StatusCode::CREATED, Json(created(s, &state.config))))
}

/// Sign out: the session's token stops working at once.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "sessions", operation_id = "sign_out",
    security(("bearer" = [])), responses((status = 204, description = "Signed out")))]
pub async fn delete(State(state): State<AppState>, auth: Authorized<access::ReadOwnSession>) -> ApiResult<StatusCode> {
    sessions::sign_out(&state.db, state.clock.now_ms(), &auth.session, &auth.client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in agent.
#[utoipa::path(get, path = "/v1/me", tag = "sessions", operation_id = "me", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
pub async fn me(State(state): State<AppState>, auth: Authorized<access::ReadOwnSession>) -> Json<Me> {
    Json(Me {
        agent: auth.session.agent,
        session_expires_at: auth.session.expires_at,
        session_ends_at: auth.session.ends_at,
        ticket_pattern: state.config.ticket_pattern.clone(),
    })
}
