//! Every failure leaves the service as an RFC 9457 problem document with a stable `code`.
//! The domain's refusals ([`DomainError`]) are translated here, each to its status; store and
//! internal errors are logged here (with the step that failed) and answered with a generic
//! `internal` problem.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use desk_api::{ErrorCode, Problem};

use crate::domain::DomainError;

/// A failure at the edge: what the domain refused (or what failed under it), or what the HTTP
/// layer itself turned away before the domain saw the request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the request took too long and was stopped; nothing was changed by it")]
    Timeout,
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Domain(DomainError::Store(e))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Domain(DomainError::Internal(e))
    }
}

impl ApiError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::invalid(field, message).into()
    }

    pub fn not_found(what: &'static str) -> Self {
        DomainError::NotFound(what).into()
    }

    pub const UNAUTHORIZED: Self = ApiError::Domain(DomainError::Unauthorized);
    pub const FORBIDDEN: Self = ApiError::Domain(DomainError::Forbidden);

    fn parts(&self) -> (StatusCode, ErrorCode, &'static str) {
        match self {
            ApiError::Domain(e) => {
                let (status, title) = domain_status(e);
                (status, e.code(), title)
            }
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson, "Malformed JSON"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType, "Unsupported media type")
            }
            ApiError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "Payload too large")
            }
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "Method not allowed")
            }
            ApiError::Timeout => (StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestTimeout, "Request timeout"),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn to_problem(&self) -> Problem {
        let (status, code, title) = self.parts();
        let (field, retry_after, detail) = match self {
            ApiError::Domain(DomainError::Invalid { field, message }) => {
                (Some(field.to_string()), None, message.clone())
            }
            // What failed stays in the log; the answer says only that something did.
            ApiError::Domain(e) if e.is_internal() => (None, None, "internal error".to_string()),
            ApiError::Domain(e) => (None, e.retry_after(), e.to_string()),
            other => (None, None, other.to_string()),
        };
        Problem {
            type_uri: format!("urn:recovery-desk:problem:{}", code.as_str()),
            title: title.into(),
            status: status.as_u16(),
            detail,
            code,
            field,
            retry_after,
        }
    }
}

/// The status and title of each of the domain's refusals.
fn domain_status(e: &DomainError) -> (StatusCode, &'static str) {
    use DomainError::*;
    match e {
        Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid input"),
        NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
        InvalidCredentials => (StatusCode::UNAUTHORIZED, "Sign-in failed"),
        TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
        Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized"),
        SessionExpired => (StatusCode::UNAUTHORIZED, "Session expired"),
        Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
        Cooldown { .. } => (StatusCode::TOO_MANY_REQUESTS, "Cooldown"),
        Limited { .. } => (StatusCode::TOO_MANY_REQUESTS, "Limit reached"),
        IdempotencyKeyMissing => (StatusCode::BAD_REQUEST, "Idempotency-Key required"),
        // The body itself is fine (with a fresh key it would be taken): the refusal is about the
        // key's state, so 409 rather than the 422 of the IETF draft.
        IdempotencyKeyReused => (StatusCode::CONFLICT, "Idempotency-Key reused"),
        Conflict { .. } => (StatusCode::CONFLICT, "Conflict"),
        // Not 428: that status is about conditional requests.
        Denied { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
        SignInRefused { .. } => (StatusCode::UNAUTHORIZED, "Sign-in refused"),
        Busy => (StatusCode::SERVICE_UNAVAILABLE, "Busy"),
        Store(_) | Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Refusals are answers, not faults: only what failed inside is logged, in the span of the
        // database step that failed, so the line names the entry point and its ids and the route.
        if let ApiError::Domain(e) = &self {
            if e.is_internal() {
                e.log("internal error");
            }
        }
        let problem = self.to_problem();
        let mut res = (self.status(), axum::Json(&problem)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = problem.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
