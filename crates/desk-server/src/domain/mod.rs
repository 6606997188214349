//! The rules of the service. Functions here take the store, the time and parsed inputs; they know
//! nothing of HTTP.

pub mod account_actions;
pub mod accounts;
pub mod at_rest;
pub mod caller_verification;
pub mod end_user;
pub mod events;
pub mod idempotency;
pub mod oidc;
pub mod outbox;
pub mod queue;
pub mod rate;
pub mod recovery;
pub mod sessions;
pub mod staff;
pub mod vault;
