use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Role;

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
