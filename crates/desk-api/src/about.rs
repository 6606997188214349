//! Versions: the service's (`GET /v1/version`) and what the console's About box shows.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `GET /v1/version`: which build of the service answers. One version number covers the console
/// and the service (the workspace's), so an agent can tell at a glance whether they match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceVersion {
    /// The service's release, e.g. `0.1.0`.
    pub version: String,
    /// The API generation it serves (`v1`).
    pub api: String,
}

/// What the console's About box shows: its own version and, when the service answered, the
/// service's. Nothing in it is secret; "Copy diagnostics" copies `diagnostics` as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct About {
    pub app_version: String,
    pub server_url: String,
    /// `None` when the service could not be asked; `service_error` then says why.
    pub service: Option<ServiceVersion>,
    pub service_error: Option<String>,
    /// OS notifications (a high-risk request arrives, a hold is about to end) may be shown.
    pub notifications: bool,
    /// Plain text for a support ticket: versions, system, where the logs are, which settings apply.
    pub diagnostics: String,
    /// The settings this machine's IT department decides (updates, notifications, the extra CA
    /// file, the settings file), each with its value and what decided it: the Settings view shows
    /// them as managed.
    pub managed: Vec<ManagedSetting>,
    /// Whether the console updates itself at start, and whether this agent may change that.
    pub updates: UpdatesSetting,
}

/// Updates: on or off, what decided (`default`, `your choice`, `machine settings`,
/// `RECOVERY_DESK_UPDATES`), and whether the agent may choose (only where the deployment did not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UpdatesSetting {
    pub on: bool,
    pub decided_by: String,
    pub agent_may_change: bool,
}

/// One setting in force, e.g. `updates`: `off (RECOVERY_DESK_UPDATES)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManagedSetting {
    pub name: String,
    pub value: String,
}

/// Where a `recovery-desk://` link leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LinkTarget {
    Account,
    Request,
}

/// A deep link the console was asked to open: `recovery-desk://account/{id}?ticket=T-123` or
/// `recovery-desk://request/{id}`. It only opens a view; the ticket is filled into the next
/// action's form, never sent by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OpenLink {
    pub target: LinkTarget,
    #[ts(type = "number")]
    pub id: i64,
    pub ticket: Option<String>,
}

/// What the shell tells the UI about a link: the place to open, or why the link was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LinkEvent {
    pub link: Option<OpenLink>,
    pub error: Option<String>,
}
