//! The contract of Recovery Desk.
//!
//! Every type that crosses a process boundary (service ⇄ client ⇄ webview) is defined here once.
//! The TypeScript the UI uses is generated from these types (`typescript()`), and a test fails when
//! the committed `ui/src/lib/contract.ts` is stale.

mod accounts;
mod actions;
mod audit;
mod auth;
mod domain;
mod error;
pub mod mail;
mod queue;
mod secret;
mod sso;
mod staff;
mod typescript;

pub use accounts::*;
pub use actions::*;
pub use audit::*;
pub use auth::*;
pub use domain::*;
pub use error::*;
pub use mail::{MailEvent, MailEventKind};
pub use queue::*;
pub use secret::SecretText;
pub use sso::*;
pub use staff::*;
pub use typescript::typescript;

/// One page of a keyset-paginated list. `next_cursor` is opaque; absent on the last page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
