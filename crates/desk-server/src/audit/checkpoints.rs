//! Checkpoints: the head of the chain (id and hash) written now and then to a separate file,
//! append-only. A log whose tail was cut off still verifies as a chain; it no longer reaches the
//! checkpoints, and that is how the cut is caught.
//!
//! A checkpoint only vouches for the log if whoever rewrote the log could not rewrite it too: each
//! line is signed (HMAC-SHA-256 with a subkey of the master key, which the database does not hold)
//! and names the signature of the line before, and the first line is the signed start of the log.
//! A file that is missing, cut short, unreadable, or does not begin at the start of the log leaves
//! the log unverifiable; a line whose signature does not hold, or a gap in the lines, is a break.
//!
//! Several instances share one file (on storage they all see: `data_dir` is required on
//! PostgreSQL): a writer holds the checkpoint lock (an advisory transaction lock on PostgreSQL,
//! the write transaction on SQLite) while it reads the head and the file's last line and appends,
//! so lines stay in order and each names the one before.

use std::io::Write;
use std::path::Path;

use desk_api::BrokenEntry;
use serde::{Deserialize, Serialize};

use super::GENESIS;
use crate::crypto::Keys;
use crate::domain::{DomainError, DomainResult};
use crate::store::{self, Db};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub head_id: i64,
    pub head_hash: String,
    pub at_ms: i64,
    /// The signature of the line before ("" on the first line).
    pub prev_mac: String,
    pub mac: String,
}

impl Checkpoint {
    fn signed_text(head_id: i64, head_hash: &str, at_ms: i64, prev_mac: &str) -> String {
        format!("recovery-desk checkpoint v1|{head_id}|{head_hash}|{at_ms}|{prev_mac}")
    }

    fn new(keys: &Keys, head_id: i64, head_hash: String, at_ms: i64, prev_mac: String) -> Self {
        let mac = keys.checkpoint_mac(&Self::signed_text(head_id, &head_hash, at_ms, &prev_mac));
        Self { head_id, head_hash, at_ms, prev_mac, mac }
    }

    fn signature_holds(&self, keys: &Keys) -> bool {
        keys.checkpoint_mac_ok(&Self::signed_text(self.head_id, &self.head_hash, self.at_ms, &self.prev_mac), &self.mac)
    }
}

/// What the checkpoint file says of the log.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// Every checkpoint is signed, chained, and matches the log.
    Holds {
        checked: u32,
    },
    Broken {
        checked: u32,
        entry: BrokenEntry,
    },
    /// The file cannot vouch for the log; why, and the first entry nothing vouches for.
    Unverifiable {
        checked: u32,
        first_unvouched: i64,
        why: String,
    },
}

fn append(path: &Path, cp: &Checkpoint) -> anyhow::Result<()> {
    let line = serde_json::to_string(cp)?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{line}")?;
    f.sync_all()?;
    Ok(())
}

/// The last complete line, if it parses.
fn last(path: &Path) -> std::io::Result<Option<Checkpoint>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.lines().last().and_then(|l| serde_json::from_str(l).ok())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// At start: a new log gets a new file that begins with the signed start of the chain. A file
/// that is missing while the log has entries is not made up again: it was lost.
pub async fn start_file(pool: &Db, keys: &Keys, path: &Path, now_ms: i64) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let entries = store::audit::count(&mut *pool.acquire().await?).await?;
    if entries == 0 {
        append(path, &Checkpoint::new(keys, 0, GENESIS.to_string(), now_ms, String::new()))
            .map_err(|e| anyhow::anyhow!("cannot write the audit checkpoint file {}: {e}", path.display()))?;
    } else {
        tracing::error!(
            path = %path.display(),
            "the audit checkpoint file is missing while the log has entries: verification will report the log unverifiable"
        );
    }
    Ok(())
}

/// Appends the current head, signed, when it moved since the last checkpoint. Answers whether it
/// wrote.
pub async fn write(pool: &Db, keys: &Keys, path: &Path, now_ms: i64) -> anyhow::Result<bool> {
    let mut tx = pool.write().await?;
    store::audit::advisory_lock(&mut tx, store::audit::CHECKPOINT_LOCK).await?;
    let Some(head) = store::audit::head(&mut tx).await? else { return Ok(false) };
    let prev = last(path)?;
    if prev.as_ref().is_some_and(|c| c.head_id >= head.id) {
        return Ok(false);
    }
    let prev_mac = prev.map(|c| c.mac).unwrap_or_default();
    append(path, &Checkpoint::new(keys, head.id, head.hash, now_ms, prev_mac))?;
    store::commit(tx).await?;
    Ok(true)
}

/// Checks the file against the log, whose last entry is `last_id`.
pub async fn check(pool: &Db, keys: &Keys, path: &Path, last_id: i64) -> DomainResult<Evidence> {
    let unverifiable =
        |checked, first_unvouched, why: String| Ok(Evidence::Unverifiable { checked, first_unvouched, why });
    let broken = |checked, id, reason: String| Ok(Evidence::Broken { checked, entry: BrokenEntry { id, reason } });
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return unverifiable(
                0,
                1,
                "the checkpoint file is missing, so a rewritten log could not be told apart".into(),
            )
        }
        Err(e) => return Err(DomainError::Internal(anyhow::anyhow!("reading {}: {e}", path.display()))),
    };
    if text.is_empty() {
        return unverifiable(0, 1, "the checkpoint file is empty".into());
    }
    if !text.ends_with('\n') {
        return unverifiable(0, 1, "the checkpoint file ends in the middle of a line: it was cut short".into());
    }
    let mut conn = pool.acquire().await?;
    let mut checked = 0;
    let mut prev: Option<Checkpoint> = None;
    for (n, line) in text.lines().enumerate() {
        let vouched = prev.as_ref().map_or(1, |p| p.head_id + 1);
        let Ok(cp) = serde_json::from_str::<Checkpoint>(line) else {
            return unverifiable(checked, vouched, format!("line {} of the checkpoint file cannot be read", n + 1));
        };
        if !cp.signature_holds(keys) {
            return broken(
                checked,
                cp.head_id.max(1),
                format!(
                    "checkpoint line {} is not signed with the service's key: the checkpoint file was rewritten",
                    n + 1
                ),
            );
        }
        match &prev {
            None if cp.head_id != 0 || cp.head_hash != GENESIS || !cp.prev_mac.is_empty() => {
                return unverifiable(
                    0,
                    1,
                    "the checkpoint file does not begin at the start of the log: it was lost and started again".into(),
                );
            }
            Some(p) if cp.prev_mac != p.mac || cp.head_id < p.head_id => {
                return broken(
                    checked,
                    p.head_id + 1,
                    format!("checkpoint lines before line {} were removed or reordered", n + 1),
                );
            }
            _ => {}
        }
        if cp.head_id > 0 {
            // A checkpoint past the walk's end is one another instance wrote since: it vouches
            // for the entry if that entry is there and matches; if it is gone, the tail was cut.
            match store::audit::hash_of(&mut conn, cp.head_id).await? {
                None if cp.head_id > last_id => {
                    return broken(
                        checked,
                        last_id + 1,
                        format!(
                            "the log ends at entry {last_id}, but a checkpoint recorded entry {}: entries were cut off the end",
                            cp.head_id
                        ),
                    );
                }
                hash if hash.as_deref() != Some(cp.head_hash.as_str()) => {
                    return broken(checked, cp.head_id, "this entry differs from its checkpoint".into());
                }
                _ => {}
            }
        }
        checked += 1;
        prev = Some(cp);
    }
    Ok(Evidence::Holds { checked })
}

pub fn spawn_writer(state: crate::AppState) -> Option<tokio::task::JoinHandle<()>> {
    let path = state.config.audit_checkpoint_path()?;
    let every = std::time::Duration::from_secs(state.config.audit_checkpoint_secs.max(1));
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = write(&state.db, &state.keys, &path, state.clock.now_ms()).await {
                tracing::error!(error = %e, path = %path.display(), "could not write an audit checkpoint");
            }
        }
    }))
}
