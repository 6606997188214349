//! Agents' sessions, and the counters behind sign-in limits and the public pages' rate limits.
//!
//! Across instances: a limit is one row per (scope, key) taken with a single upsert that only
//! counts while the window is under its cap (`INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`).
//! On PostgreSQL the conflicting row is locked and the condition is checked against its latest
//! version, and two first inserts of one key meet on the primary key, so concurrent attempts on
//! any number of instances never count past the cap.

use desk_api::Role;

use super::{Conn, Flag, Step, StoreResult};

pub struct NewSession<'a> {
    pub agent_id: i64,
    pub token_hash: &'a str,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub client: &'a str,
}

pub async fn insert(conn: &mut Conn, s: &NewSession<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO agent_sessions (agent_id, token_hash, created_ms, expires_ms, client) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.agent_id)
    .bind(s.token_hash)
    .bind(s.created_ms)
    .bind(s.expires_ms)
    .bind(s.client)
    .execute(conn)
    .await
    .step("starting a session (agent_sessions)")?;
    Ok(())
}

/// A session and its agent, found by the token's hash.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub session_id: i64,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub agent_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: Flag,
}

pub async fn by_token_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.id AS session_id, s.created_ms, s.expires_ms, s.revoked_ms, a.id AS agent_id, a.email, a.name, a.role, a.disabled \
         FROM agent_sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
    .step("reading a session (agent_sessions)")
}

/// Moves a live session's end to `to`. One conditional statement: it never shortens a session
/// and never revives an ended or revoked one, so racing requests agree in whatever order they land.
pub async fn extend(conn: &mut Conn, session_id: i64, now_ms: i64, to: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE agent_sessions SET expires_ms = $1 \
         WHERE id = $2 AND expires_ms < $1 AND expires_ms > $3 AND revoked_ms IS NULL",
    )
    .bind(to)
    .bind(session_id)
    .bind(now_ms)
    .execute(conn)
    .await
    .step("renewing a session (agent_sessions)")?;
    Ok(())
}

pub async fn revoke(conn: &mut Conn, session_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE agent_sessions SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(session_id)
        .execute(conn)
        .await
        .step("ending a session (agent_sessions)")?;
    Ok(())
}

/// One limit on one key: at most `cap` units per window of `window_ms`.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub scope: &'static str,
    pub key: String,
    pub cap: i64,
    pub window_ms: i64,
}

impl Bucket {
    pub fn new(scope: &'static str, key: impl Into<String>, cap: i64, window_ms: i64) -> Self {
        Self { scope, key: key.into(), cap, window_ms }
    }
}

/// Takes a unit if the window has room (a window that has ended starts again): true when taken.
pub async fn take(conn: &mut Conn, now_ms: i64, b: &Bucket) -> StoreResult<bool> {
    let taken: Option<i64> = sqlx::query_scalar(
        "INSERT INTO rate_buckets (scope, key, window_start_ms, count) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           count = CASE WHEN rate_buckets.window_start_ms <= $3 - $4 THEN 1 ELSE rate_buckets.count + 1 END, \
           window_start_ms = CASE WHEN rate_buckets.window_start_ms <= $3 - $4 THEN $3 ELSE rate_buckets.window_start_ms END \
         WHERE rate_buckets.window_start_ms <= $3 - $4 OR rate_buckets.count < $5 \
         RETURNING count",
    )
    .bind(b.scope)
    .bind(&b.key)
    .bind(now_ms)
    .bind(b.window_ms)
    .bind(b.cap)
    .fetch_optional(conn)
    .await
    .step("taking a unit of a limit (rate_buckets)")?;
    Ok(taken.is_some())
}

/// When the bucket's current window began.
pub async fn window_start(conn: &mut Conn, b: &Bucket) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT window_start_ms FROM rate_buckets WHERE scope = $1 AND key = $2")
        .bind(b.scope)
        .bind(&b.key)
        .fetch_optional(conn)
        .await
        .step("reading a limit's window (rate_buckets)")
}

/// A bucket's count after a unit was added, and when its window began.
#[derive(Debug, sqlx::FromRow)]
pub struct Count {
    pub count: i64,
    pub window_start_ms: i64,
}

/// Adds a unit whatever the count (a window that has ended starts again).
pub async fn hit(conn: &mut Conn, now_ms: i64, b: &Bucket) -> StoreResult<Count> {
    sqlx::query_as(
        "INSERT INTO rate_buckets (scope, key, window_start_ms, count) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           count = CASE WHEN rate_buckets.window_start_ms <= $3 - $4 THEN 1 ELSE rate_buckets.count + 1 END, \
           window_start_ms = CASE WHEN rate_buckets.window_start_ms <= $3 - $4 THEN $3 ELSE rate_buckets.window_start_ms END \
         RETURNING count, window_start_ms",
    )
    .bind(b.scope)
    .bind(&b.key)
    .bind(now_ms)
    .bind(b.window_ms)
    .fetch_one(conn)
    .await
    .step("counting against a limit (rate_buckets)")
}

/// Gives a unit back.
pub async fn give_back(conn: &mut Conn, b: &Bucket) -> StoreResult<()> {
    sqlx::query("UPDATE rate_buckets SET count = count - 1 WHERE scope = $1 AND key = $2 AND count > 0")
        .bind(b.scope)
        .bind(&b.key)
        .execute(conn)
        .await
        .step("giving a unit back (rate_buckets)")?;
    Ok(())
}

/// Empties the window.
pub async fn clear(conn: &mut Conn, b: &Bucket) -> StoreResult<()> {
    sqlx::query("UPDATE rate_buckets SET count = 0 WHERE scope = $1 AND key = $2")
        .bind(b.scope)
        .bind(&b.key)
        .execute(conn)
        .await
        .step("emptying a limit's window (rate_buckets)")?;
    Ok(())
}

/// Forgets windows that began before then; answers how many.
pub async fn prune(conn: &mut Conn, before_ms: i64) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM rate_buckets WHERE window_start_ms < $1")
        .bind(before_ms)
        .execute(conn)
        .await
        .step("forgetting old limit windows (rate_buckets)")?
        .rows_affected())
}
