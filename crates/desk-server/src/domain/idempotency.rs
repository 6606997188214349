//! `Idempotency-Key`: a retry with the same key and the same request gets the first answer and
//! causes nothing twice; the same key with a different request is refused. The key is claimed in
//! the action's transaction before its work (see `store::idempotency` for why that holds across
//! instances).

use super::{DomainError, DomainResult};
use crate::store::{self, Conn};

/// A stored first answer.
pub struct Replay {
    pub status: u16,
    pub body: serde_json::Value,
}

pub fn parse_key(raw: Option<&str>) -> DomainResult<String> {
    match raw {
        Some(k) if !k.is_empty() && k.len() <= 128 && k.chars().all(|c| c.is_ascii_graphic()) => Ok(k.to_string()),
        _ => Err(DomainError::IdempotencyKeyMissing),
    }
}

/// Claims `key` for this request: `None` when the caller got it and goes on to do the work, or
/// the first answer given under it. The same key with another request is refused.
pub async fn claim(
    conn: &mut Conn,
    agent_id: i64,
    key: &str,
    request_hash: &str,
    now_ms: i64,
) -> DomainResult<Option<Replay>> {
    match store::idempotency::claim(conn, agent_id, key, request_hash, now_ms).await? {
        None => Ok(None),
        Some(stored) if stored.request_hash != request_hash => Err(DomainError::IdempotencyKeyReused),
        Some(stored) => {
            let status = u16::try_from(stored.status_code)
                .map_err(|_| DomainError::corrupt("idempotency_keys.status_code", stored.status_code))?;
            let body = serde_json::from_str(&stored.response)
                .map_err(|e| DomainError::corrupt("idempotency_keys.response", e))?;
            Ok(Some(Replay { status, body }))
        }
    }
}

/// Stores the first answer under the key the caller claimed.
pub async fn answer(
    conn: &mut Conn,
    agent_id: i64,
    key: &str,
    status: u16,
    body: &serde_json::Value,
) -> DomainResult<()> {
    Ok(store::idempotency::answer(conn, agent_id, key, status, &body.to_string()).await?)
}

/// Gives the key back: the work ended in a refusal, which a retry should meet afresh.
pub async fn release(conn: &mut Conn, agent_id: i64, key: &str) -> DomainResult<()> {
    Ok(store::idempotency::release(conn, agent_id, key).await?)
}
