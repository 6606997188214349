//! Fixed-window counters for the limits of sign-in and of the public pages. Taking a unit is one
//! statement — an upsert that only counts while the window is under its cap — so a limit holds
//! against concurrent requests and across service instances (on PostgreSQL the conflicting row is
//! locked and the condition is checked against its latest version), and a refused request adds no
//! row of its own: one row per key, however hard it is hammered.

use sqlx::SqliteConnection;

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

/// Takes a unit; `Err(retry_after_ms)` when the window is full.
pub async fn take(conn: &mut SqliteConnection, now_ms: i64, b: &Bucket) -> sqlx::Result<Result<(), i64>> {
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
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_some() {
        return Ok(Ok(()));
    }
    let start: Option<i64> =
        sqlx::query_scalar("SELECT window_start_ms FROM rate_buckets WHERE scope = $1 AND key = $2")
            .bind(b.scope)
            .bind(&b.key)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(Err((start.unwrap_or(now_ms) + b.window_ms - now_ms).max(1000)))
}

/// Gives a unit back (the work it was taken for did not count against the limit).
pub async fn give_back(conn: &mut SqliteConnection, b: &Bucket) -> sqlx::Result<()> {
    sqlx::query("UPDATE rate_buckets SET count = count - 1 WHERE scope = $1 AND key = $2 AND count > 0")
        .bind(b.scope)
        .bind(&b.key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Empties the window (a success ends a run of failures).
pub async fn clear(conn: &mut SqliteConnection, b: &Bucket) -> sqlx::Result<()> {
    sqlx::query("UPDATE rate_buckets SET count = 0 WHERE scope = $1 AND key = $2")
        .bind(b.scope)
        .bind(&b.key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets windows that ended long ago.
pub async fn prune(conn: &mut SqliteConnection, before_ms: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM rate_buckets WHERE window_start_ms < $1")
        .bind(before_ms)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Seconds to wait, rounded up, at least 1.
pub fn secs(ms: i64) -> u64 {
    ((ms + 999) / 1000).max(1) as u64
}

/// Counts a unit whatever the outcome (every attempt counts, refused or not); `Err(retry_after_ms)`
/// when the count went over the cap. Still one row per key: refusals add to it, not to the table.
pub async fn hit(conn: &mut SqliteConnection, now_ms: i64, b: &Bucket) -> sqlx::Result<Result<(), i64>> {
    let (count, start): (i64, i64) = sqlx::query_as(
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
    .fetch_one(&mut *conn)
    .await?;
    Ok(if count <= b.cap { Ok(()) } else { Err((start + b.window_ms - now_ms).max(1000)) })
}
