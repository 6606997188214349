//! The security-details queue: requests users file when self-service recovery failed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use ts_rs::TS;

use crate::{AccountStatus, ActivityEvent, DuplicateAccount, MaskedEmail, TwoFactorMethod};

/// Where a request is. Every move between states is checked in one place on the service.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RequestState {
    /// Filed, but the contact address is not confirmed yet; not in the queue.
    Unconfirmed,
    /// In the queue, nobody on it.
    Open,
    /// An agent holds the lease.
    Claimed,
    /// Waiting for the user to answer a question; back to Open when they do.
    NeedsInfo,
    /// Handed to the team leads.
    Escalated,
    /// Approved once; a lead who is not the first approver must approve too.
    AwaitingSecondApproval,
    /// Approved; the change applies when the cooling-off period ends, unless cancelled.
    Approved,
    Applied,
    Rejected,
    /// Cancelled through a "this wasn't me" link.
    Cancelled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ChangeKind {
    Email,
    Phone,
    RemoveTwoFactor,
    ResetSecurityQuestion,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
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
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

/// The verification checklist; which items a decision needs depends on the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChecklistItem {
    /// The facts the user gave match what is on file (name, country, a former address, age).
    FactsMatchAccount,
    /// No suspicious recovery attempts or changes lately.
    RecentActivityReviewed,
    /// Possible duplicate accounts were looked at.
    DuplicatesReviewed,
    /// The statement is consistent with the account's history.
    StatementConsistent,
    /// The evidence files were looked at (or there are none).
    EvidenceReviewed,
    /// For a new address or phone: it is not on another account.
    NewValueNotOnAnotherAccount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    NeedInfo,
    Escalate,
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueItem {
    #[ts(type = "number")]
    pub id: i64,
    pub reference: String,
    pub state: RequestState,
    pub risk: RiskLevel,
    pub change: ChangeKind,
    #[ts(type = "number | null")]
    pub account_id: Option<i64>,
    pub username: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub sla_due_at: DateTime<Utc>,
    pub assignee: Option<String>,
    #[ts(type = "number | null")]
    pub assignee_id: Option<i64>,
}

/// Requests per state, for the queue's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateCount {
    pub state: RequestState,
    #[ts(type = "number")]
    pub count: u64,
}

/// A fact the user gave, beside what is on file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FactCheck {
    pub fact: String,
    pub submitted: String,
    pub on_file: String,
    pub matches: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnFile {
    pub username: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub country: String,
    pub created_at: DateTime<Utc>,
    pub emails: Vec<MaskedEmail>,
    pub phone: Option<String>,
    pub two_factor: Vec<TwoFactorMethod>,
    pub security_question_set: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceFile {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub content_type: String,
    #[ts(type = "number")]
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestNote {
    pub author: String,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// A step in the request's history (claims, decisions, approvals, cancel, apply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestStep {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub from: RequestState,
    pub to: RequestState,
    pub note: Option<String>,
}

/// `GET /v1/requests/{id}`: what the user submitted beside what is on file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDetail {
    pub item: QueueItem,
    pub risk_reasons: Vec<String>,
    /// What the user asked to change to (the new address or phone; none for removals).
    pub new_value: Option<String>,
    pub statement: String,
    /// The contact address the user confirmed, masked.
    pub contact: String,
    /// Whether that address is one of the account's: masks can look alike, this says it.
    pub contact_on_file: bool,
    pub facts: Vec<FactCheck>,
    pub on_file: Option<OnFile>,
    pub recent_activity: Vec<ActivityEvent>,
    pub duplicates: Vec<DuplicateAccount>,
    pub earlier_requests: Vec<QueueItem>,
    pub evidence: Vec<EvidenceFile>,
    pub notes: Vec<RequestNote>,
    pub steps: Vec<RequestStep>,
    /// The checklist items a decision on this change needs.
    pub checklist: Vec<ChecklistItem>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub first_approver: Option<String>,
    pub apply_at: Option<DateTime<Utc>>,
    pub needs_second_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRequest {
    pub decision: Decision,
    pub checklist: Vec<ChecklistItem>,
    /// The internal note: why the agent decided so. Staff see it; the user never does.
    pub note: String,
    /// The message to the user, mailed with a rejection or a request for more information (for
    /// "need more information" it is the question, and required). Never the internal note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteRequest {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReassignRequest {
    #[ts(type = "number")]
    #[serde(deserialize_with = "crate::whole_number")]
    pub agent_id: i64,
}

/// Queue filters; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct QueueFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub state: Option<RequestState>,
    /// "me", "none", or an agent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub risk: Option<RiskLevel>,
    /// Only requests submitted at least this many hours ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub min_age_hours: Option<i64>,
}

/// An evidence file, for the console's viewer (images are shown inline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EvidenceContent {
    pub name: String,
    pub content_type: String,
    /// The file itself, for the image types the viewer shows as they are; empty for a PDF, which
    /// reaches the webview only as `pages`.
    pub data_base64: String,
    /// A PDF's first pages, rendered to PNG by the console (base64), at most 10.
    pub pages: Vec<String>,
    /// How many pages the PDF has (more than `pages` holds when it is long).
    pub page_count: u32,
    /// Why a PDF could not be shown, when it could not.
    pub render_error: Option<String>,
}
