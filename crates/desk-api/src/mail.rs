//! The mail provider's delivery webhook (`POST /v1/mail/events`). Not seen by the UI.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

/// What the provider reports about one email the outbox sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MailEventKind {
    /// The receiving server accepted the email: `sent` becomes `delivered`.
    Delivered,
    /// The email bounced: it becomes `bounced` and the address is flagged as bouncing.
    Bounced,
}

/// The body of `POST /v1/mail/events`, authenticated by the `X-Webhook-Secret` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MailEvent {
    /// The outbox id of the email, as answered by the action that sent it (`email.id`).
    #[serde(deserialize_with = "crate::whole_number")]
    pub email_id: i64,
    pub event: MailEventKind,
}
