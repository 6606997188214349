//! Refusals of unauthenticated requests (rate-limited sign-ins, refused public recovery posts)
//! would fill the append-only log at the attacker's pace if each wrote an entry. Instead, per
//! window and key: the first refusal is written at once (a lead sees the flood start), the rest
//! are only counted here, and when the window has ended one entry says how many more there were.
//! Counting is one upsert, so concurrent refusals are each counted once.

use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::{record, Actor, AuditAction, Entry};
use crate::db::begin_write;

/// The outcome refusals are recorded with.
pub const OUTCOME: &str = "rate_limited";

/// What was refused: the action, the key it is summarised by, and what it was aimed at.
pub struct Refusal<'a> {
    pub action: AuditAction,
    pub key: &'a str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub window_ms: i64,
}

/// Counts a refusal inside the caller's transaction; writes the entry when it is the first of
/// its window.
pub async fn refused(conn: &mut SqliteConnection, now_ms: i64, actor: &Actor, r: Refusal<'_>) -> sqlx::Result<()> {
    let window_ms = r.window_ms.max(1);
    let start = now_ms - now_ms.rem_euclid(window_ms);
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO audit_rollups (action, key, window_start_ms, window_end_ms, count, target_type, target_id, client) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7) \
         ON CONFLICT (action, key, window_start_ms) DO UPDATE SET count = audit_rollups.count + 1 \
         RETURNING count",
    )
    .bind(r.action.as_str())
    .bind(r.key)
    .bind(start)
    .bind(start + window_ms)
    .bind(r.target_type)
    .bind(&r.target_id)
    .bind(&actor.client)
    .fetch_one(&mut *conn)
    .await?;
    if count == 1 {
        record(
            conn,
            now_ms,
            actor,
            Entry {
                target_type: r.target_type,
                target_id: r.target_id,
                detail: json!({ "window_end_ms": start + window_ms, "more_follow": "counted, and summarised when the window ends" }),
                ..Entry::new(r.action, OUTCOME)
            },
        )
        .await?;
    }
    Ok(())
}

/// Writes the summary of every window that has ended; answers how many summaries it wrote.
pub async fn flush(db: &SqlitePool, now_ms: i64) -> sqlx::Result<u64> {
    #[derive(sqlx::FromRow)]
    struct Due {
        action: String,
        key: String,
        window_start_ms: i64,
        window_end_ms: i64,
        count: i64,
        target_type: Option<String>,
        target_id: Option<String>,
        client: String,
    }
    let due: Vec<Due> = sqlx::query_as(
        "SELECT action, key, window_start_ms, window_end_ms, count, target_type, target_id, client FROM audit_rollups \
         WHERE flushed_ms IS NULL AND window_end_ms <= $1 ORDER BY window_end_ms LIMIT 500",
    )
    .bind(now_ms)
    .fetch_all(db)
    .await?;
    let mut written = 0;
    for d in due {
        let mut tx = begin_write(db).await?;
        // Whoever marks the window first writes its summary: once, however many instances flush.
        let mine = sqlx::query(
            "UPDATE audit_rollups SET flushed_ms = $1 WHERE action = $2 AND key = $3 AND window_start_ms = $4 AND flushed_ms IS NULL",
        )
        .bind(now_ms)
        .bind(&d.action)
        .bind(&d.key)
        .bind(d.window_start_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let Some(action) = AuditAction::parse(&d.action) else {
            tx.commit().await?;
            continue;
        };
        if mine && d.count > 1 {
            record(
                &mut tx,
                now_ms,
                &Actor::anonymous(d.client),
                Entry {
                    target_type: d.target_type.as_deref(),
                    target_id: d.target_id.clone(),
                    detail: json!({
                        "summary": true,
                        "refused": d.count,
                        "more": d.count - 1,
                        "window_start_ms": d.window_start_ms,
                        "window_end_ms": d.window_end_ms,
                    }),
                    ..Entry::new(action, OUTCOME)
                },
            )
            .await?;
            written += 1;
        }
        tx.commit().await?;
    }
    sqlx::query("DELETE FROM audit_rollups WHERE flushed_ms IS NOT NULL AND flushed_ms < $1")
        .bind(now_ms - 24 * 3600 * 1000)
        .execute(db)
        .await?;
    Ok(written)
}

/// How many refusals an entry stands for: one, or for a summary the ones it adds.
pub fn refusals_in(detail: &serde_json::Value) -> u64 {
    if detail["summary"] == true {
        detail["more"].as_u64().unwrap_or(0)
    } else {
        1
    }
}
