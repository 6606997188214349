//! `Idempotency-Key`s and the first answer given under each.
//!
//! Across instances: the key is claimed before the work it guards, by inserting it under its
//! primary key (`INSERT … ON CONFLICT DO NOTHING`). A second request with the same key, on any
//! instance, waits on that row until the first transaction ends, then finds the first answer (or,
//! if the first rolled back, claims the key itself). The answer is filled in before commit.

use super::{Conn, Step, StoreResult};

#[derive(Debug, sqlx::FromRow)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub status_code: i64,
    pub response: String,
}

/// Claims the key for this request: `None` when this caller got it, else what is stored under it.
pub async fn claim(
    conn: &mut Conn,
    agent_id: i64,
    key: &str,
    request_hash: &str,
    now_ms: i64,
) -> StoreResult<Option<StoredAnswer>> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (agent_id, idem_key, request_hash, status_code, response, created_ms) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (agent_id, idem_key) DO NOTHING",
    )
    .bind(agent_id)
    .bind(key)
    .bind(request_hash)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .step("claiming an idempotency key (idempotency_keys)")?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    sqlx::query_as(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE agent_id = $1 AND idem_key = $2",
    )
    .bind(agent_id)
    .bind(key)
    .fetch_optional(conn)
    .await
    .step("reading an idempotency key (idempotency_keys)")
}

/// Stores the answer under a key this transaction claimed.
pub async fn answer(conn: &mut Conn, agent_id: i64, key: &str, status: u16, body: &str) -> StoreResult<()> {
    sqlx::query("UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE agent_id = $1 AND idem_key = $2")
        .bind(agent_id)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(conn)
        .await
        .step("storing the first answer (idempotency_keys)")?;
    Ok(())
}

/// Gives a claimed key back, for work that ended without an answer worth replaying.
pub async fn release(conn: &mut Conn, agent_id: i64, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE agent_id = $1 AND idem_key = $2")
        .bind(agent_id)
        .bind(key)
        .execute(conn)
        .await
        .step("releasing an idempotency key (idempotency_keys)")?;
    Ok(())
}
