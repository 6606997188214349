//! The rules of the service. Functions here take the store, the time and parsed inputs; they know
//! nothing of HTTP, and they write no SQL (that is `crate::store`'s). Refusals are
//! [`DomainError`]s, which the HTTP edge turns into problem documents.

pub mod accounts;
pub mod at_rest;
pub mod end_user;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod outbox;
pub mod queue;
pub mod rate;
pub mod recovery;
pub mod sessions;

pub use error::{DomainError, DomainResult};

/// A signed-in agent acting now, from a client: what every agent action needs besides its input.
pub struct Acting<'a> {
    pub config: &'a crate::Config,
    pub now_ms: i64,
    pub session: &'a sessions::Session,
    pub client: &'a str,
}
