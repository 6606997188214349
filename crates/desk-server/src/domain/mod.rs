//! The rules of the service. Functions here take the store, the time and parsed inputs; they know
//! nothing of HTTP, and they write no SQL (that is `crate::store`'s). Refusals are
//! [`DomainError`]s, which the HTTP edge turns into problem documents.

pub mod account_actions;
pub mod accounts;
pub mod at_rest;
pub mod caller_verification;
pub mod end_user;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod oidc;
pub mod outbox;
pub mod queue;
pub mod rate;
pub mod recovery;
pub mod search;
pub mod sessions;
pub mod staff;
pub mod vault;

/// The number in a cursor the service gave out: 1 to 18 decimal digits, nothing else (so it
/// always fits an i64, and the API description can say exactly which cursors are valid).
pub fn cursor_number(digits: &str) -> Option<i64> {
    if (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

pub use error::{DomainError, DomainResult};

/// A signed-in agent acting now, from a client: what every agent action needs besides its input.
pub struct Acting<'a> {
    pub config: &'a crate::Config,
    pub now_ms: i64,
    pub session: &'a sessions::Session,
    pub client: &'a str,
}
