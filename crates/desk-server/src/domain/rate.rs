//! Fixed-window limits for sign-in and the public pages. Taking a unit is one statement — an
//! upsert that only counts while the window is under its cap (`store::sessions`) — so a limit
//! holds against concurrent requests and across service instances, and a refused request adds no
//! row of its own: one row per key, however hard it is hammered.

pub use crate::store::sessions::Bucket;
use crate::store::{self, Conn, StoreResult};

/// Takes a unit; `Err(retry_after_ms)` when the window is full.
pub async fn take(conn: &mut Conn, now_ms: i64, b: &Bucket) -> StoreResult<Result<(), i64>> {
    if store::sessions::take(conn, now_ms, b).await? {
        return Ok(Ok(()));
    }
    let start = store::sessions::window_start(conn, b).await?;
    Ok(Err((start.unwrap_or(now_ms) + b.window_ms - now_ms).max(1000)))
}

/// Counts a unit whatever the outcome (every attempt counts, refused or not); `Err(retry_after_ms)`
/// when the count went over the cap. Still one row per key: refusals add to it, not to the table.
pub async fn hit(conn: &mut Conn, now_ms: i64, b: &Bucket) -> StoreResult<Result<(), i64>> {
    let c = store::sessions::hit(conn, now_ms, b).await?;
    Ok(if c.count <= b.cap { Ok(()) } else { Err((c.window_start_ms + b.window_ms - now_ms).max(1000)) })
}

/// Gives a unit back (the work it was taken for did not count against the limit).
pub async fn give_back(conn: &mut Conn, b: &Bucket) -> StoreResult<()> {
    store::sessions::give_back(conn, b).await
}

/// Empties the window (a success ends a run of failures).
pub async fn clear(conn: &mut Conn, b: &Bucket) -> StoreResult<()> {
    store::sessions::clear(conn, b).await
}

/// Seconds to wait, rounded up, at least 1.
pub fn secs(ms: i64) -> u64 {
    ((ms + 999) / 1000).max(1) as u64
}
