use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{AccountStatus, EmailStatus, ReasonCode, TwoFactorKind};

/// One row of `GET /v1/accounts?q=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub country: String,
    /// The primary address, masked.
    pub primary_email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaskedEmail {
    pub masked: String,
    pub primary: bool,
    pub verified: bool,
    pub bounced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwoFactorMethod {
    pub kind: TwoFactorKind,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A recovery email the account was sent, with where it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryEmail {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: String,
    pub to_masked: String,
    pub status: EmailStatus,
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/accounts/{id}`. Addresses and phone are masked; no secret of any kind is here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDetail {
    #[ts(type = "number")]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub country: String,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub emails: Vec<MaskedEmail>,
    pub phone: Option<String>,
    pub two_factor: Vec<TwoFactorMethod>,
    pub security_question_set: bool,
    pub recent_emails: Vec<RecoveryEmail>,
    /// Seconds until a password reset may be sent again (0: now).
    #[ts(type = "number")]
    pub password_reset_available_in: u64,
}

/// `POST /v1/accounts/{id}/password-reset` (and the other recovery actions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetRequest {
    pub reason: ReasonCode,
    /// The support ticket this action answers, e.g. `SUP-12345`.
    pub ticket: String,
    /// Free text that the reason code does not say.
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailRef {
    #[ts(type = "number")]
    pub id: i64,
    pub status: EmailStatus,
}

/// `202` answer of a recovery action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionAccepted {
    #[ts(type = "number")]
    pub action_id: i64,
    pub email: EmailRef,
}

/// One message of the embedded default's local mailbox (`GET /dev/mailbox.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxMessage {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub status: EmailStatus,
    pub created_at: DateTime<Utc>,
}
