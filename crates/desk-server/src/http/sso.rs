//! Single sign-on (public routes: the person is not signed in yet). Rules in `domain::oidc`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use desk_api::{SessionCreated, SsoAvailability, SsoFinishRequest, SsoStart, SsoStartRequest};

use super::extract::{ApiJson, ClientAddr};
use crate::domain::oidc;
use crate::error::ApiResult;
use crate::AppState;

/// Whether single sign-on is offered, and whether it is required.
#[utoipa::path(get, path = "/v1/sso", tag = "sessions", operation_id = "sso_availability", responses((status = 200, body = SsoAvailability)))]
pub async fn availability(State(state): State<AppState>) -> ApiResult<Json<SsoAvailability>> {
    Ok(Json(oidc::availability(&state.db, &state.config).await?))
}

/// Start a single sign-on: a single-use state and a nonce, and the provider's endpoints.
#[utoipa::path(post, path = "/v1/sso/start", tag = "sessions", operation_id = "sso_start", request_body = SsoStartRequest,
    responses((status = 200, body = SsoStart),
              (status = 409, description = "not configured, or the provider is unreachable"),
              (status = 422, description = "the redirect is not a loopback address")))]
pub async fn start(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<SsoStartRequest>,
) -> ApiResult<Json<SsoStart>> {
    Ok(Json(oidc::start(&state.db, &state.config, state.clock.now_ms(), &client, &req.redirect_uri).await?))
}

/// Finish a single sign-on with the provider's ID token: the usual session.
#[utoipa::path(post, path = "/v1/sso/finish", tag = "sessions", operation_id = "sso_finish", request_body = SsoFinishRequest,
    responses((status = 201, body = SessionCreated),
              (status = 401, description = "sso_failed: the message says which check refused it"),
              (status = 409, description = "not configured")))]
pub async fn finish(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<SsoFinishRequest>,
) -> ApiResult<(StatusCode, Json<SessionCreated>)> {
    let s = oidc::finish(&state.db, &state.config, state.clock.now_ms(), &client, &req.state, &req.id_token).await?;
    Ok((StatusCode::CREATED, Json(super::sessions::created(s, &state.config))))
}
