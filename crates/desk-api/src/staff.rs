//! Staff administration: who may use the console, in which role, and how they enrol.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{EmailRef, Role};

/// Where a staff member is in their life at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    /// Invited; has not finished enrolling yet.
    Invited,
    Active,
    /// Cannot sign in; every session ended when they were disabled.
    Disabled,
}

/// How far the staff member's sign-in factors are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentState {
    /// The enrolment link was sent; no password or authenticator yet.
    Pending,
    /// Password and authenticator set, backup codes issued.
    Enrolled,
    /// The authenticator was reset; a new one must be enrolled through the mailed link.
    AuthenticatorReset,
}

/// An authenticator reset that waits for a second admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingMfaReset {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub requested_by_id: i64,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub reason: String,
    pub ticket: String,
}

/// One row of `GET /v1/staff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffMember {
    #[ts(type = "number")]
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: StaffStatus,
    pub enrolment: EnrolmentState,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// When the newest enrolment link stops working, while one is open.
    pub enrolment_link_expires_at: Option<DateTime<Utc>>,
    pub pending_mfa_reset: Option<PendingMfaReset>,
}

/// `POST /v1/staff/invites`: an admin invites an agent or a lead (or another admin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Why (3 to 500 characters), e.g. "new hire, starts Monday".
    pub reason: String,
    pub ticket: String,
}

/// `201` answer of an invite: the staff member's id and the email carrying the link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteSent {
    pub member: StaffMember,
    pub email: EmailRef,
}

/// A change to a staff member: why, and the ticket it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffChange {
    pub reason: String,
    pub ticket: String,
}

/// `POST /v1/staff/{id}/role`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleChange {
    pub role: Role,
    pub reason: String,
    pub ticket: String,
}

/// `GET /v1/settings/sso`: whether single sign-on is set up, and whether it is the only way in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoSettings {
    /// An OpenID provider is configured on the service.
    pub configured: bool,
    /// Staff must sign in through the provider; password + code is refused.
    pub required: bool,
}

/// `PUT /v1/settings/sso`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoSettingsChange {
    pub required: bool,
    pub reason: String,
    pub ticket: String,
}
