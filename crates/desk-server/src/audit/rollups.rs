//! Refusals of unauthenticated requests (rate-limited sign-ins, refused public recovery posts)
//! would fill the append-only log at the attacker's pace if each wrote an entry. Instead, per
//! window and key: the first refusal is written at once (a lead sees the flood start), the rest
//! are only counted here, and when the window has ended one entry says how many more there were.
//! Counting is one upsert, so concurrent refusals are each counted once.

use serde_json::json;

use super::{record, Actor, AuditAction, Entry};
use crate::store::{self, Conn, Db, StoreResult};

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
pub async fn refused(conn: &mut Conn, now_ms: i64, actor: &Actor, r: Refusal<'_>) -> StoreResult<()> {
    let window_ms = r.window_ms.max(1);
    let start = now_ms - now_ms.rem_euclid(window_ms);
    let counted = store::audit::Refusal {
        action: r.action,
        key: r.key,
        window_start_ms: start,
        window_end_ms: start + window_ms,
        target_type: r.target_type,
        target_id: r.target_id.as_deref(),
        client: &actor.client,
    };
    if store::audit::count_refusal(conn, &counted).await? == 1 {
        let entry = Entry {
            target_type: r.target_type,
            target_id: r.target_id,
            detail: json!({ "window_end_ms": start + window_ms, "more_follow": "counted, and summarised when the window ends" }),
            ..Entry::new(r.action, OUTCOME)
        };
        record(conn, now_ms, actor, entry).await?;
    }
    Ok(())
}

/// Writes the summary of every window that has ended; answers how many summaries it wrote.
pub async fn flush(db: &Db, now_ms: i64) -> StoreResult<u64> {
    let due = store::audit::ended_rollups(&mut *db.acquire().await?, now_ms).await?;
    let mut written = 0;
    for d in due {
        let mut tx = db.write().await?;
        // Whoever marks the window first writes its summary: once, however many instances flush.
        let mine = store::audit::mark_flushed(&mut tx, &d, now_ms).await?;
        // A name this version does not know (written by a newer one) is left to that version.
        let Some(action) = AuditAction::parse(&d.action) else {
            store::commit(tx).await?;
            continue;
        };
        if mine && d.count > 1 {
            let entry = Entry {
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
            };
            record(&mut tx, now_ms, &Actor::anonymous(d.client.clone()), entry).await?;
            written += 1;
        }
        store::commit(tx).await?;
    }
    let mut tx = db.write().await?;
    store::audit::prune_rollups(&mut tx, now_ms - 24 * 3600 * 1000).await?;
    store::commit(tx).await?;
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
