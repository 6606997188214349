//! `Idempotency-Key`: a retry with the same key and the same request gets the first answer and
//! causes nothing twice; the same key with a different request is refused.

use crate::store::Conn;

use crate::error::{ApiError, ApiResult};

/// A stored first answer.
pub struct Replay {
    pub status: u16,
    pub body: serde_json::Value,
}

pub fn parse_key(raw: Option<&str>) -> ApiResult<String> {
    match raw {
        Some(k) if !k.is_empty() && k.len() <= 128 && k.chars().all(|c| c.is_ascii_graphic()) => Ok(k.to_string()),
        _ => Err(ApiError::IdempotencyKeyMissing),
    }
}

/// Looks the key up inside the caller's write transaction.
pub async fn lookup(conn: &mut Conn, agent_id: i64, key: &str, request_hash: &str) -> ApiResult<Option<Replay>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE agent_id = $1 AND idem_key = $2",
    )
    .bind(agent_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some((hash, _, _)) if hash != request_hash => Err(ApiError::IdempotencyKeyReused),
        Some((_, status, body)) => Ok(Some(Replay {
            status: status as u16,
            body: serde_json::from_str(&body).map_err(|e| ApiError::Internal(e.into()))?,
        })),
    }
}

pub async fn store(
    conn: &mut Conn,
    agent_id: i64,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &serde_json::Value,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (agent_id, idem_key, request_hash, status_code, response, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(agent_id)
    .bind(key)
    .bind(request_hash)
    .bind(status as i64)
    .bind(body.to_string())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
