//! The rules of the service. Functions here take the store, the time and parsed inputs; they know
//! nothing of HTTP.

pub mod accounts;
pub mod idempotency;
pub mod recovery;
pub mod sessions;
