//! Checkpoints: the head of the chain (id and hash) written now and then to a separate file,
//! append-only. A log whose tail was cut off still verifies as a chain; it no longer reaches the
//! checkpoints, and that is how the cut is caught.

use std::io::Write;
use std::path::Path;

use desk_api::BrokenEntry;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub head_id: i64,
    pub head_hash: String,
    pub at_ms: i64,
}

fn read_all(path: &Path) -> std::io::Result<Vec<Checkpoint>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Appends the current head when it moved since the last checkpoint. Answers whether it wrote.
pub async fn write(pool: &SqlitePool, path: &Path, now_ms: i64) -> anyhow::Result<bool> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(pool).await?;
    let Some((head_id, head_hash)) = head else { return Ok(false) };
    let last = read_all(path)?.into_iter().last();
    if last.is_some_and(|c| c.head_id == head_id) {
        return Ok(false);
    }
    let line = serde_json::to_string(&Checkpoint { head_id, head_hash, at_ms: now_ms })?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{line}")?;
    f.sync_all()?;
    Ok(true)
}

/// Every checkpoint must name an entry the log still has, with the same hash.
pub async fn check(pool: &SqlitePool, path: &Path, last_id: i64) -> sqlx::Result<(u32, Option<BrokenEntry>)> {
    let all = read_all(path).map_err(sqlx::Error::Io)?;
    let mut checked = 0;
    for cp in &all {
        if cp.head_id > last_id {
            return Ok((
                checked,
                Some(BrokenEntry {
                    id: last_id + 1,
                    reason: format!(
                    "the log ends at entry {last_id}, but a checkpoint recorded entry {}: entries were cut off the end",
                    cp.head_id
                ),
                }),
            ));
        }
        let hash: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_log WHERE id = $1")
            .bind(cp.head_id)
            .fetch_optional(pool)
            .await?;
        if hash.as_deref() != Some(cp.head_hash.as_str()) {
            return Ok((
                checked,
                Some(BrokenEntry { id: cp.head_id, reason: "this entry differs from its checkpoint".into() }),
            ));
        }
        checked += 1;
    }
    Ok((checked, None))
}

pub fn spawn_writer(state: crate::AppState) -> Option<tokio::task::JoinHandle<()>> {
    let path = state.config.audit_checkpoint_path()?;
    let every = std::time::Duration::from_secs(state.config.audit_checkpoint_secs.max(1));
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = write(&state.db, &path, state.clock.now_ms()).await {
                tracing::error!(error = %e, path = %path.display(), "could not write an audit checkpoint");
            }
        }
    }))
}
