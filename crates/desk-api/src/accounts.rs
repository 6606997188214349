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
    /// Names the address for a reveal, without saying it.
    #[ts(type = "number")]
    pub id: i64,
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
    /// Where the email's link is, for emails that carry one.
    pub link: Option<LinkState>,
}

/// Where a recovery link is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Sent, not opened yet.
    Pending,
    Opened,
    Used,
    Expired,
    /// A newer link of the same kind replaced it.
    Superseded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same address once case, dots and +tags are set aside where the provider ignores them.
    SameAddress,
    SamePhone,
    SameNameAndCountry,
}

/// Another account that may belong to the same person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateAccount {
    #[ts(type = "number")]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub reasons: Vec<DuplicateReason>,
}

/// `POST /v1/accounts/{id}/address-check`: does the address the user states match one on file?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressCheckRequest {
    pub address: String,
}

/// The answer says whether it matches and what it is, never which address is on file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressCheckResult {
    pub matches: bool,
    pub primary: bool,
    pub verified: bool,
    pub bounced: bool,
}

/// `POST /v1/accounts/{id}/emails/{email_id}/reveal`: the full address, for a reason, on record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealRequest {
    /// Why the full address is needed (at least 10 characters).
    pub reason: String,
    pub ticket: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedAddress {
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// The user asked for a link on a public page.
    UserRequested,
    /// An agent sent a recovery email.
    AgentSent,
    Email,
    LinkOpened,
    TwoFactorPassed,
    TwoFactorFailed,
    SmsCodeSent,
    PasswordChanged,
    AnswerChanged,
    NoticeSent,
    /// An agent unlocked the account.
    AccountUnlocked,
    /// An agent sent a verification email to an unverified address.
    VerificationSent,
    /// The user confirmed an address through a verification email.
    EmailVerified,
    /// An agent ended every session of the user.
    SessionsEnded,
    /// An agent challenged the caller for a code.
    CallerChallenged,
    CallerVerified,
    CallerVerificationFailed,
}

/// One event of the account's recovery activity, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    #[ts(type = "number")]
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: ActivityKind,
    pub summary: String,
    /// The agent, for agent actions.
    pub actor: Option<String>,
    #[ts(type = "number | null")]
    pub email_id: Option<i64>,
    pub email_status: Option<EmailStatus>,
    pub link: Option<LinkState>,
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
    /// Seconds until a security-answer reset may be sent again (0: now).
    #[ts(type = "number")]
    pub answer_reset_available_in: u64,
    pub duplicates: Vec<DuplicateAccount>,
    /// The newest caller verification on this account, while it counts (15 minutes).
    pub caller_verified: Option<crate::CallerVerified>,
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
