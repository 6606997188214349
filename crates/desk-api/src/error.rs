use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use ts_rs::TS;

/// The stable machine codes of every error, service-side and client-side. The UI decides what to
/// show from the code, never from a message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    /// A field failed validation; `field` names it.
    InvalidInput,
    /// The body is not the JSON the route expects.
    MalformedJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    NotFound,
    /// Email, password or TOTP code wrong; deliberately not saying which.
    InvalidCredentials,
    /// Too many failed sign-ins for this address or client; `retry_after` says when to try again.
    TooManyAttempts,
    /// No session, or a session token the service does not know.
    Unauthorized,
    /// The session was valid once but has expired or was revoked.
    SessionExpired,
    Forbidden,
    /// The per-account cooldown of this action has not passed yet.
    Cooldown,
    /// The account already had the most recovery emails a day allows.
    AccountDailyCap,
    /// The agent sent the most recovery emails an hour allows.
    AgentHourlyCap,
    /// The request is not in a state that allows this.
    InvalidState,
    /// Someone else holds the request's lease.
    ClaimedByOther,
    /// The agent's lease on the request ran out; claim it again.
    LeaseExpired,
    /// A second approval must come from a lead who did not give the first.
    SameApprover,
    /// The decision is missing checklist items its change needs.
    ChecklistIncomplete,
    /// Nothing in the queue to claim.
    QueueEmpty,
    IdempotencyKeyMissing,
    /// The same Idempotency-Key was used with a different request.
    IdempotencyKeyReused,
    /// The thing is not in a state this change applies to (e.g. `delivered` for a failed email).
    InvalidTransition,
    /// A staff member with this email address exists already.
    StaffExists,
    /// The change would leave the desk without an active admin.
    LastAdmin,
    /// An admin cannot raise their own role, disable themselves or approve their own request.
    OwnChange,
    /// The password is shorter than 12 characters or on the list of common passwords.
    WeakPassword,
    /// The service requires single sign-on; password and code are not accepted.
    SsoRequired,
    /// Single sign-on failed; the message says which check refused it.
    SsoFailed,
    /// The action needs the caller verified (within 15 minutes) first.
    CallerVerificationRequired,
    /// The code the caller read back is wrong; `retry_after` is absent, attempts remain.
    WrongCode,
    /// The caller-verification challenge expired or was already used.
    ChallengeExpired,
    /// The service has too much work in hand (sign-ins wait for password checks); `retry_after`
    /// says when to try again.
    ServiceBusy,
    /// The request took longer than the service allows (a body sent too slowly, a stuck step).
    RequestTimeout,
    /// Something failed inside the service; the details are in its log, not in the answer.
    Internal,
    /// Client side: the service could not be reached.
    ServiceUnreachable,
    /// Client side: the connection broke after the request was sent, before the answer came, and
    /// retrying (with the same `Idempotency-Key`) did not reach the service either. The action was
    /// done at most once; sending it again is safe.
    ConnectionLost,
    /// Client side: the service answered something that is not this contract.
    UnexpectedResponse,
    /// Client side: no agent is signed in.
    NotSignedIn,
    /// Client side: the OS keychain refused or is unavailable.
    KeychainUnavailable,
}

/// An RFC 9457 problem document, as every error of the service is answered
/// (`Content-Type: application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    /// The request field the problem is about, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// Seconds until the action may be tried again, for `cooldown` and `too_many_attempts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after: Option<u64>,
}

/// What a Tauri command answers on failure: a stable code the UI switches on, a human message it
/// may show, and the details a specific message needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    #[ts(type = "number | null")]
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_strings() {
        // as_str must spell every code as serde does.
        for code in [
            ErrorCode::InvalidInput,
            ErrorCode::TooManyAttempts,
            ErrorCode::InvalidTransition,
            ErrorCode::ServiceBusy,
            ErrorCode::RequestTimeout,
            ErrorCode::KeychainUnavailable,
            ErrorCode::ConnectionLost,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(code.as_str().into()));
        }
        assert_eq!(ErrorCode::IdempotencyKeyReused.as_str(), "idempotency_key_reused");
        let p: Problem = serde_json::from_str(
            r#"{"type":"about:blank","title":"t","status":429,"detail":"d","code":"cooldown","retry_after":30}"#,
        )
        .unwrap();
        assert_eq!(p.code, ErrorCode::Cooldown);
        assert_eq!(p.retry_after, Some(30));
    }
}
