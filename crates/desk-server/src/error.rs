//! Every failure leaves the service as an RFC 9457 problem document with a stable `code`.
//! The domain's refusals ([`DomainError`]) are translated here, each to its status; store and
//! internal errors are logged here (with the step that failed) and answered with a generic
//! `internal` problem.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use desk_api::{ErrorCode, Problem};

use crate::domain::error::limit_message;
use crate::domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("email, password or code is wrong")]
    InvalidCredentials,
    #[error("too many failed attempts; try again later")]
    TooManyAttempts { retry_after: u64 },
    #[error("sign in first")]
    Unauthorized,
    #[error("the session has expired or was revoked; sign in again")]
    SessionExpired,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("{message}")]
    Cooldown { retry_after: u64, message: String },
    /// A cap other than the cooldown; `code` names it.
    #[error("{}", limit_message(*.code, *.retry_after))]
    Limited { code: ErrorCode, retry_after: u64 },
    #[error("this action needs an Idempotency-Key header (1 to 128 visible characters)")]
    IdempotencyKeyMissing,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    /// The request does not fit the current state of what it names (409).
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// The role allows the route, but not this use of it, or not yet (403); `code` says why, e.g.
    /// `caller_verification_required`. (Not 428: that status is about conditional requests.)
    #[error("{message}")]
    Denied { code: ErrorCode, message: String },
    /// A sign-in that failed for a reason the person can act on (401), e.g. single sign-on.
    #[error("{message}")]
    SignInRefused { code: ErrorCode, message: String },
    #[error("the service has too many sign-ins in hand; try again in a moment")]
    Busy,
    #[error("the request took too long and was stopped; nothing was changed by it")]
    Timeout,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        use DomainError as D;
        match e {
            D::Invalid { field, message } => ApiError::Invalid { field, message },
            D::NotFound(what) => ApiError::NotFound(what),
            D::InvalidCredentials => ApiError::InvalidCredentials,
            D::TooManyAttempts { retry_after } => ApiError::TooManyAttempts { retry_after },
            D::Unauthorized => ApiError::Unauthorized,
            D::SessionExpired => ApiError::SessionExpired,
            D::Forbidden => ApiError::Forbidden,
            D::Cooldown { retry_after, message } => ApiError::Cooldown { retry_after, message },
            D::Limited { code, retry_after } => ApiError::Limited { code, retry_after },
            D::IdempotencyKeyMissing => ApiError::IdempotencyKeyMissing,
            D::IdempotencyKeyReused => ApiError::IdempotencyKeyReused,
            D::Conflict { code, message } => ApiError::Conflict { code, message },
            D::Denied { code, message } => ApiError::Denied { code, message },
            D::SignInRefused { code, message } => ApiError::SignInRefused { code, message },
            D::Busy => ApiError::Busy,
            D::Store(e) => ApiError::Internal(e.into()),
            D::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    fn parts(&self) -> (StatusCode, ErrorCode, &'static str) {
        use ApiError::*;
        match self {
            Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, "Invalid input"),
            MalformedJson(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson, "Malformed JSON"),
            UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType, "Unsupported media type")
            }
            PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "Payload too large"),
            NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound, "Not found"),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "Method not allowed"),
            InvalidCredentials => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials, "Sign-in failed"),
            TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyAttempts, "Too many attempts"),
            Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, "Unauthorized"),
            SessionExpired => (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired, "Session expired"),
            Forbidden => (StatusCode::FORBIDDEN, ErrorCode::Forbidden, "Forbidden"),
            Cooldown { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::Cooldown, "Cooldown"),
            Limited { code, .. } => (StatusCode::TOO_MANY_REQUESTS, *code, "Limit reached"),
            IdempotencyKeyMissing => {
                (StatusCode::BAD_REQUEST, ErrorCode::IdempotencyKeyMissing, "Idempotency-Key required")
            }
            // The body itself is fine (with a fresh key it would be taken): the refusal is about the
            // key's state, so 409 rather than the 422 of the IETF draft.
            IdempotencyKeyReused => (StatusCode::CONFLICT, ErrorCode::IdempotencyKeyReused, "Idempotency-Key reused"),
            Conflict { code, .. } => (StatusCode::CONFLICT, *code, "Conflict"),
            Denied { code, .. } => (StatusCode::FORBIDDEN, *code, "Forbidden"),
            SignInRefused { code, .. } => (StatusCode::UNAUTHORIZED, *code, "Sign-in refused"),
            Busy => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceBusy, "Busy"),
            Timeout => (StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestTimeout, "Request timeout"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "Internal error"),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn to_problem(&self) -> Problem {
        let (status, code, title) = self.parts();
        let (field, retry_after) = match self {
            ApiError::Invalid { field, .. } => (Some(field.to_string()), None),
            ApiError::TooManyAttempts { retry_after }
            | ApiError::Cooldown { retry_after, .. }
            | ApiError::Limited { retry_after, .. } => (None, Some(*retry_after)),
            ApiError::Busy => (None, Some(1)),
            _ => (None, None),
        };
        Problem {
            type_uri: format!("urn:recovery-desk:problem:{}", code.as_str()),
            title: title.into(),
            status: status.as_u16(),
            detail: self.to_string(),
            code,
            field,
            retry_after,
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            // The cause stays in the log; the answer says only that it happened. A failed database
            // step is logged in the span it ran in, so the line names the domain's entry point
            // and its ids as well as the route.
            let span = e.downcast_ref::<crate::store::StoreError>().map(|s| s.span().clone());
            span.unwrap_or_else(tracing::Span::current).in_scope(|| tracing::error!(error = ?e, "internal error"));
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
