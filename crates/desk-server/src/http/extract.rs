use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::access::{allowed, Perm};
use crate::domain::sessions::{self, Session};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// A JSON body whose rejections are problem documents.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into())
            }
            JsonRejection::JsonDataError(e) => ApiError::MalformedJson(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::MalformedJson(e.body_text()),
            JsonRejection::BytesRejection(_) => ApiError::PayloadTooLarge,
            other => ApiError::MalformedJson(other.body_text()),
        }
    }
}

/// Path parameters whose rejections (text that is not UTF-8 once percent-decoded) are problems.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::invalid("path", r.body_text())
    }
}

/// The query string as plain strings; each handler parses what it needs.
pub struct ApiQuery(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(map))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::invalid("query", r.body_text())
    }
}

/// The `Idempotency-Key` of an agent action: a retry with the same key answers the first result
/// and does nothing twice. Described once here for every operation that takes one.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// One key per action of the agent (1 to 128 visible ASCII characters); a retry of the same
    /// action sends the same key.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 128, pattern = r"^[!-~]+$(?!\n)")]
    pub key: String,
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        Ok(IdempotencyKey { key: crate::domain::idempotency::parse_key(raw)? })
    }
}

/// The caller's address, for rate limits and the audit log.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        let agent: String = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect();
        Ok(ClientAddr(format!("{} {agent}", addr.as_deref().unwrap_or("unknown"))))
    }
}

/// A signed-in agent whose role holds permission `P`. Taking one of these is how a handler says
/// what it needs; there is no other way to get a session.
pub struct Authorized<P: Perm> {
    pub session: Session,
    pub client: String,
    _perm: PhantomData<P>,
}

impl<P: Perm> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ApiError::Unauthorized)?;
        let session = sessions::authenticate(&state.db, state.clock.now_ms(), token).await?;
        if !allowed(session.agent.role, P::PERMISSION) {
            return Err(ApiError::Forbidden);
        }
        let ClientAddr(client) =
            ClientAddr::from_request_parts(parts, state).await.unwrap_or(ClientAddr("unknown".into()));
        Ok(Self { session, client, _perm: PhantomData })
    }
}

/// Ids in paths are positive integers; anything else is a clear `invalid_input`.
pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid("id", "an account id is a positive whole number"))
}
