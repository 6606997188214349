use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Role, SecretText};

/// `POST /v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    pub email: String,
    pub password: SecretText,
    /// The current 6-digit code of the agent's authenticator (RFC 6238, SHA-1, 30 s).
    pub totp: SecretText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    #[ts(type = "number")]
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// One row of `GET /v1/agents` (leads): an active staff member and the requests they hold now,
/// whom a request can be handed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentLoad {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Queue requests claimed by them now.
    #[ts(type = "number")]
    pub claimed: i64,
}

/// `201` answer of `POST /v1/sessions`. The token is used as `Authorization: Bearer TOKEN`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionCreated {
    pub token: SecretText,
    /// When the session ends unless used: every use renews it, up to `ends_at`.
    pub expires_at: DateTime<Utc>,
    /// The absolute end (`session_max_secs` after sign-in), however active the agent is.
    pub ends_at: DateTime<Utc>,
    pub agent: Agent,
    /// The form the deployment gives help-desk ticket references (a regular expression the whole
    /// reference must match, e.g. `SUP-\\d+`); none: any reference. The service enforces it; the
    /// console shows it beside the ticket field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_pattern: Option<String>,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub agent: Agent,
    /// When the session ends unless used again (this call renewed it).
    pub session_expires_at: DateTime<Utc>,
    /// The session's absolute end, however active the agent is.
    pub session_ends_at: DateTime<Utc>,
    /// The form the deployment gives help-desk ticket references (a regular expression the whole
    /// reference must match, e.g. `SUP-\\d+`); none: any reference. The service enforces it; the
    /// console shows it beside the ticket field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ticket_pattern: Option<String>,
}

/// What the console knows about its session. The token itself never leaves Rust.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionStatus {
    pub signed_in: bool,
    pub agent: Option<Agent>,
    pub server_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The session's absolute end: the console warns a minute before it.
    pub ends_at: Option<DateTime<Utc>>,
    /// The deployment's form of ticket references (see `Me::ticket_pattern`), once signed in.
    pub ticket_pattern: Option<String>,
    /// Why the agent is back at sign-in, when it was not their choice (a stored session expired or
    /// was revoked, or the keychain could not be read).
    pub notice: Option<String>,
    /// Seconds without input after which the console signs the agent out (0: never).
    #[ts(type = "number")]
    pub idle_lock_secs: u64,
}

/// What the sign-in screen sends to the app (the app, not the webview, talks to the service).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SignInForm {
    pub server_url: String,
    pub email: String,
    #[ts(type = "string")]
    pub password: SecretText,
    #[ts(type = "string")]
    pub totp: SecretText,
    pub stay_signed_in: bool,
}
