//! The account actions of a support call: verifying the caller, unlocking, sending a
//! verification email, ending every session.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use ts_rs::TS;

use crate::EmailRef;

/// How the caller proves they hold the account: a factor of the user's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CallerMethod {
    /// The current code of the user's authenticator app, read back by the caller.
    AuthenticatorApp,
    /// A one-time code sent by SMS to the phone on file.
    Sms,
    /// A one-time code sent to a verified address on file.
    Email,
}

/// `POST /v1/accounts/{id}/caller-verification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerChallengeRequest {
    pub method: CallerMethod,
}

/// A challenge waiting for the code the caller reads back. Neither the code nor where it went
/// is in here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerChallenge {
    #[ts(type = "number")]
    pub id: i64,
    pub method: CallerMethod,
    pub expires_at: DateTime<Utc>,
    #[ts(type = "number")]
    pub attempts_left: i64,
    /// The message carrying the code, for `sms` and `email`.
    pub message: Option<EmailRef>,
}

/// `POST /v1/accounts/{id}/caller-verification/{challenge_id}/check`: what the caller read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerCodeRequest {
    pub code: String,
}

/// A passed verification: "caller verified via … N minutes ago by …".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallerVerified {
    pub method: CallerMethod,
    pub verified_at: DateTime<Utc>,
    /// Until when it counts for the actions that need it.
    pub valid_until: DateTime<Utc>,
    pub by: String,
    #[ts(type = "number")]
    pub by_id: i64,
}

/// `202` answer of unlock, verification email and ending sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionDone {
    #[ts(type = "number")]
    pub action_id: i64,
    /// The emails the action sent (the user's notice, or the verification link).
    pub emails: Vec<EmailRef>,
    #[ts(type = "number")]
    pub sessions_ended: u64,
}
