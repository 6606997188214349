//! What the rules refuse, and what failed underneath them. The domain knows nothing of HTTP: the
//! edge (`crate::error`) gives each a status and a problem document. A store failure carries the
//! step that failed; the edge logs it and answers only that something went wrong.

use desk_api::ErrorCode;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// An input breaks a rule; `field` names it.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
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
    /// The request does not fit the current state of what it names.
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// The role allows the route, but not this use of it, or not yet; `code` says why, e.g.
    /// `caller_verification_required`.
    #[error("{message}")]
    Denied { code: ErrorCode, message: String },
    /// A sign-in that failed for a reason the person can act on, e.g. single sign-on.
    #[error("{message}")]
    SignInRefused { code: ErrorCode, message: String },
    #[error("the service has too many sign-ins in hand; try again in a moment")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// A stored value the rules cannot read (the store decoded it, but it is not what it should
    /// be): an internal error naming where it is, never a guess.
    pub fn corrupt(place: &str, why: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{place}: {why}"))
    }

    /// The contract's code for this refusal.
    pub fn code(&self) -> ErrorCode {
        use DomainError::*;
        match self {
            Invalid { .. } => ErrorCode::InvalidInput,
            NotFound(_) => ErrorCode::NotFound,
            InvalidCredentials => ErrorCode::InvalidCredentials,
            TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Unauthorized => ErrorCode::Unauthorized,
            SessionExpired => ErrorCode::SessionExpired,
            Forbidden => ErrorCode::Forbidden,
            Cooldown { .. } => ErrorCode::Cooldown,
            Limited { code, .. } | Conflict { code, .. } | Denied { code, .. } | SignInRefused { code, .. } => *code,
            IdempotencyKeyMissing => ErrorCode::IdempotencyKeyMissing,
            IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Busy => ErrorCode::ServiceBusy,
            Store(_) | Internal(_) => ErrorCode::Internal,
        }
    }

    /// Something failed underneath the rules: the service's fault, not the caller's.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Internal(_))
    }

    /// Writes one error line with every cause, in the span of the database step that failed
    /// (which names the entry point and its ids), else in the current one.
    pub fn log(&self, what: &str) {
        let step = match self {
            Self::Store(s) => Some(s.span()),
            Self::Internal(e) => e.downcast_ref::<StoreError>().map(StoreError::span),
            _ => None,
        };
        let mut causes = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            causes.push_str(": ");
            causes.push_str(&cause.to_string());
            source = cause.source();
        }
        step.cloned().unwrap_or_else(tracing::Span::current).in_scope(|| tracing::error!(error = %causes, "{what}"));
    }

    /// Seconds to wait before trying again, for the refusals that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after }
            | Self::Cooldown { retry_after, .. }
            | Self::Limited { retry_after, .. } => Some(*retry_after),
            Self::Busy => Some(1),
            _ => None,
        }
    }
}

pub fn limit_message(code: ErrorCode, retry_after: u64) -> String {
    match code {
        ErrorCode::AccountDailyCap => {
            format!("this account has had the most recovery emails allowed in 24 hours; try again in {retry_after} s")
        }
        ErrorCode::AgentHourlyCap => {
            format!("you have sent the most recovery emails allowed in an hour; try again in {retry_after} s")
        }
        _ => format!("a limit was reached; try again in {retry_after} s"),
    }
}

impl From<crate::crypto::GateError> for DomainError {
    fn from(e: crate::crypto::GateError) -> Self {
        match e {
            crate::crypto::GateError::Busy => DomainError::Busy,
            crate::crypto::GateError::Failed(m) => DomainError::Internal(anyhow::anyhow!(m)),
        }
    }
}
