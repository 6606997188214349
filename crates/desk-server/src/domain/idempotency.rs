//! `Idempotency-Key`: a retry with the same key and the same request gets the first answer and
//! causes nothing twice; the same key with a different request is refused.

use sqlx::SqliteConnection;

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
pub async fn lookup(
    conn: &mut SqliteConnection,
    agent_id: i64,
    key: &str,
    request_hash: &str,
) -> ApiResult<Option<Replay>> {
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
    conn: &mut SqliteConnection,
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

/// Takes `key` for this request in the caller's write transaction, in one statement, before the
/// work it guards: the first caller inserts it (None: go on), and a later one, even a concurrent
/// one on another instance, finds it (Some: the stored first answer) or is refused when the key
/// was used for a different request. The key is released with the transaction if the work fails.
pub async fn claim(
    conn: &mut SqliteConnection,
    agent_id: i64,
    key: &str,
    request_hash: &str,
    first_answer: &serde_json::Value,
    now_ms: i64,
) -> ApiResult<Option<Replay>> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (agent_id, idem_key, request_hash, status_code, response, created_ms) \
         VALUES ($1, $2, $3, 200, $4, $5) ON CONFLICT (agent_id, idem_key) DO NOTHING",
    )
    .bind(agent_id)
    .bind(key)
    .bind(request_hash)
    .bind(first_answer.to_string())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    lookup(conn, agent_id, key, request_hash).await
}
