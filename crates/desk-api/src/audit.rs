use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use ts_rs::TS;

use crate::Role;

/// Every action the service writes to the audit log: the one list the service records from and
/// the per-agent figures count from, so a name cannot drift between writer and reader.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    TS,
    IntoStaticStr,
    EnumString,
    VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignOut,
    /// An agent sent a password-reset email.
    PasswordReset,
    /// An agent sent a security-answer-reset email.
    SecurityAnswerReset,
    AddressCheck,
    AddressReveal,
    EvidenceView,
    AuditVerify,
    AuditExport,
    /// The mail provider reported a delivery or a bounce.
    MailEvent,
    /// Public recovery requests refused by a limit, summarised per client and window.
    PublicRequestLimited,
    PasswordChanged,
    AnswerChanged,
    EmailChanged,
    PhoneChanged,
    TwoFactorRemoved,
    /// The new address of an applied email change was confirmed through the link mailed to it.
    EmailVerified,
    RequestConfirm,
    RequestClaim,
    /// A lease renewed (not written: renewals come every minute).
    RequestRenew,
    RequestRelease,
    RequestNote,
    RequestApprove,
    RequestReject,
    RequestNeedInfo,
    RequestEscalate,
    RequestSecondApprove,
    RequestReassign,
    RequestUserReply,
    RequestCancel,
    RequestApply,
    /// An admin invited a staff member (or sent a new enrolment link).
    StaffInvite,
    /// A staff member finished enrolling (password, authenticator, backup codes).
    StaffEnrolled,
    StaffRoleChange,
    StaffDisable,
    StaffEnable,
    /// An admin asked for a reset of a staff member's authenticator.
    StaffMfaResetRequest,
    /// A second admin approved it.
    StaffMfaResetApprove,
    /// An admin required single sign-on, or stopped requiring it.
    SsoSetting,
    /// `desk-server admin create` made an admin.
    AdminCreate,
    /// An agent unlocked an account locked by failed sign-ins.
    Unlock,
    /// An agent sent a verification email to an unverified address.
    VerificationEmail,
    /// An agent ended every session of a user.
    EndSessions,
    /// An agent challenged a caller for a code of the user's own factor.
    CallerChallenge,
    /// The code a caller read back, checked.
    CallerCheck,
}

/// What an action counts as in the per-agent figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionGroup {
    /// A recovery email sent by an agent.
    Reset,
    /// A decision on a queue request (approve, reject, need info, escalate).
    Decision,
    SecondApproval,
    /// Taking a request to work on it: where handling time starts.
    Claim,
    /// A change to an account's security details.
    AccountChange,
    Reveal,
    /// Sessions, reads and the rest.
    Other,
}

impl AuditAction {
    pub fn group(self) -> ActionGroup {
        use AuditAction::*;
        match self {
            PasswordReset | SecurityAnswerReset => ActionGroup::Reset,
            RequestApprove | RequestReject | RequestNeedInfo | RequestEscalate => ActionGroup::Decision,
            RequestSecondApprove => ActionGroup::SecondApproval,
            RequestClaim => ActionGroup::Claim,
            PasswordChanged | AnswerChanged | EmailChanged | PhoneChanged | TwoFactorRemoved => {
                ActionGroup::AccountChange
            }
            AddressReveal => ActionGroup::Reveal,
            _ => ActionGroup::Other,
        }
    }
}

/// One entry of the audit log, as stored and hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: DateTime<Utc>,
    #[ts(type = "number | null")]
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_role: Option<Role>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// What the target is called now (an account's username, a request's SD- reference, a staff
    /// member's name), for reading the log; not part of the entry or its hash, and not exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target_label: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub outcome: String,
    /// The caller's address and user agent.
    pub client: String,
    /// Action-specific details, as canonical JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters of the audit log; every one is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[cfg_attr(feature = "openapi", param(minimum = 1))]
    pub agent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[cfg_attr(feature = "openapi", param(pattern = r"^[A-Za-z0-9_]{1,64}$(?!\n)"))]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[cfg_attr(feature = "openapi", param(minimum = 1))]
    pub account: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    #[cfg_attr(feature = "openapi", param(minimum = 1))]
    pub request: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[cfg_attr(feature = "openapi", param(pattern = r"^[A-Za-z0-9_]{1,64}$(?!\n)"))]
    pub outcome: Option<String>,
    /// Inclusive lower bound (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokenEntry {
    /// The first entry that does not verify (for a cut-off tail: the first missing id).
    #[ts(type = "number")]
    pub id: i64,
    pub reason: String,
}

/// `GET /v1/audit/verify?after=ID&limit=N`: one stretch of the chain, checked. Walk it by passing
/// `last_id` back as `after` until `done`; the last stretch also checks the checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyChunk {
    /// What this stretch says of the log. `intact` only for a walk that began at the first entry
    /// and reached the end with every checkpoint signed and matching.
    pub verdict: VerifyVerdict,
    #[ts(type = "number")]
    pub checked: u64,
    #[ts(type = "number")]
    pub last_id: i64,
    #[ts(type = "number")]
    pub total: u64,
    pub done: bool,
    pub broken: Option<BrokenEntry>,
    pub checkpoints_checked: u32,
    pub head_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerifyVerdict {
    /// More stretches follow; pass `last_id` back as `after`.
    InProgress,
    /// The whole chain, from the first entry, verified and matches every signed checkpoint.
    Intact,
    /// An entry or a checkpoint does not match: `broken` says where.
    Broken,
    /// The chain holds together, but the signed checkpoints that would catch a rewritten log are
    /// missing, cut short, unsigned or unreadable: the log cannot be vouched for.
    Unverifiable,
    /// The stretch from `after` to the end verified, but the entries before it were not walked.
    Partial,
}

/// What the console reports after walking the whole chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VerifyReport {
    pub ok: bool,
    #[ts(type = "number")]
    pub entries: u64,
    pub head_hash: String,
    pub broken: Option<BrokenEntry>,
    pub checkpoints_checked: u32,
}

/// Progress of a long job (verify, export), sent to the UI while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Progress {
    #[ts(type = "number")]
    pub done: u64,
    /// The expected total, when known.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    #[ts(type = "number")]
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExportResult {
    /// Where the file was written; null when the agent cancelled the save dialog.
    pub path: Option<String>,
    #[ts(type = "number")]
    pub entries: u64,
    #[ts(type = "number")]
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionCount {
    pub action: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// One agent's work in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentFigures {
    #[ts(type = "number")]
    pub agent_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[ts(type = "number")]
    pub actions: u64,
    pub by_action: Vec<ActionCount>,
    #[ts(type = "number")]
    pub resets_sent: u64,
    #[ts(type = "number")]
    pub queue_decisions: u64,
    /// Median seconds from claiming a request to deciding it; null without decisions.
    #[ts(type = "number | null")]
    pub median_handling_secs: Option<u64>,
    #[ts(type = "number")]
    pub second_approvals: u64,
    /// Actions per UTC hour of day (24 values).
    #[ts(type = "number[]")]
    pub by_hour: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// Far more actions than the rest of the team in the period.
    HighRate,
    /// Actions in hours of the day the agent does not usually work.
    OutsideUsualHours,
    /// Many resets on accounts whose details changed shortly before.
    ResetsOnRecentlyChangedAccounts,
    /// The same agent revealing full addresses again and again.
    RepeatedReveals,
    /// Many failed or refused sign-ins for the agent's address: someone is guessing, or trying to
    /// keep the agent out.
    SignInFlood,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Anomaly {
    pub kind: AnomalyKind,
    #[ts(type = "number")]
    pub agent_id: i64,
    pub agent_email: String,
    pub summary: String,
    /// The entries behind the flag (at most 100).
    #[ts(type = "number[]")]
    pub entry_ids: Vec<i64>,
}

/// `GET /v1/audit/figures?from=&to=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub agents: Vec<AgentFigures>,
    pub anomalies: Vec<Anomaly>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_name_is_not_an_action_and_decisions_group_together() {
        // Names and their spelling are checked for every enum in lib.rs (`names`).
        assert_eq!(AuditAction::parse("request_approved"), None);
        assert_eq!(AuditAction::RequestApprove.group(), ActionGroup::Decision);
    }
}
