//! Verifying the chain, one stretch at a time so that a console can show progress over millions
//! of entries, and the checkpoints at the end so that a cut-off tail is caught too.

use std::path::Path;

use desk_api::{BrokenEntry, VerifyChunk, VerifyVerdict};
use futures_util::TryStreamExt;

use super::checkpoints::Evidence;
use super::{entry_hash, GENESIS};
use crate::crypto::Keys;
use crate::domain::DomainResult;
use crate::store::{self, Db};

pub const MAX_CHUNK: i64 = 20_000;

/// Checks the entries after `after` (at most `limit`): each one's hash, its link to the one
/// before, and that no id is missing. The stretch that reaches the end also checks checkpoints;
/// it is `intact` only when the walk began at the first entry (`from_start`), `partial` otherwise.
pub async fn chunk(
    pool: &Db,
    keys: &Keys,
    checkpoints: Option<&Path>,
    after: i64,
    limit: i64,
    from_start: bool,
) -> DomainResult<VerifyChunk> {
    let mut conn = pool.acquire().await?;
    let total = store::audit::count(&mut conn).await?;
    let mut expected_prev = if after == 0 {
        GENESIS.to_string()
    } else {
        match store::audit::hash_of(&mut conn, after).await? {
            Some(h) => h,
            None => {
                return Ok(report(
                    0,
                    after,
                    total,
                    true,
                    Some(broken(after, "this entry is missing from the log")),
                    0,
                    String::new(),
                ));
            }
        }
    };
    let mut rows = store::audit::stretch(&mut conn, after, limit);
    let mut checked = 0u64;
    let mut last_id = after;
    while let Some(r) = rows.try_next().await? {
        let store::audit::Stored { row, hash } = r;
        if row.id != last_id + 1 {
            return Ok(report(
                checked,
                last_id,
                total,
                true,
                Some(broken(last_id + 1, "this entry is missing: the ids jump over it")),
                0,
                expected_prev,
            ));
        }
        if row.prev_hash != expected_prev {
            return Ok(report(
                checked,
                last_id,
                total,
                true,
                Some(broken(row.id, "its link to the entry before does not match")),
                0,
                expected_prev,
            ));
        }
        if entry_hash(&row) != hash {
            return Ok(report(
                checked,
                last_id,
                total,
                true,
                Some(broken(row.id, "its content does not match its hash")),
                0,
                expected_prev,
            ));
        }
        expected_prev = hash;
        last_id = row.id;
        checked += 1;
    }
    drop(rows);
    drop(conn);
    let done = (checked as i64) < limit;
    if !done {
        return Ok(report(checked, last_id, total, false, None, 0, expected_prev));
    }
    let evidence = match checkpoints {
        Some(path) => super::checkpoints::check(pool, keys, path, last_id).await?,
        None => {
            Evidence::Unverifiable { checked: 0, first_unvouched: 1, why: "no checkpoint file is configured".into() }
        }
    };
    let mut r = match evidence {
        Evidence::Holds { checked: cps } => report(checked, last_id, total, true, None, cps, expected_prev),
        Evidence::Broken { checked: cps, entry } => {
            report(checked, last_id, total, true, Some(entry), cps, expected_prev)
        }
        Evidence::Unverifiable { checked: cps, first_unvouched, why } => {
            let mut r = report(checked, last_id, total, true, None, cps, expected_prev);
            // Clients that only look at `broken` must not take this for intact either.
            r.broken = Some(broken(first_unvouched, &format!("the log cannot be verified: {why}")));
            r.verdict = VerifyVerdict::Unverifiable;
            r
        }
    };
    if r.verdict == VerifyVerdict::Intact && !from_start {
        r.verdict = VerifyVerdict::Partial;
    }
    Ok(r)
}

fn broken(id: i64, reason: &str) -> BrokenEntry {
    BrokenEntry { id, reason: reason.to_string() }
}

fn report(
    checked: u64,
    last_id: i64,
    total: i64,
    done: bool,
    broken: Option<BrokenEntry>,
    checkpoints_checked: u32,
    head_hash: String,
) -> VerifyChunk {
    let verdict = match (&broken, done) {
        (Some(_), _) => VerifyVerdict::Broken,
        (None, false) => VerifyVerdict::InProgress,
        (None, true) => VerifyVerdict::Intact,
    };
    VerifyChunk { verdict, checked, last_id, total: total.max(0) as u64, done, broken, checkpoints_checked, head_hash }
}

/// One stretch of a lead's walk over the chain.
pub struct Stretch {
    pub session_id: i64,
    /// The last entry the previous stretch checked (0 to start).
    pub after: i64,
    pub limit: i64,
}

/// Checks a stretch for a signed-in lead. A walk in stretches is one verification if each stretch
/// starts where this session's last one ended, from entry 0: the continuation is taken by a
/// conditional update, so two stretches cannot both continue one walk. The stretch that reaches
/// the end is on record, with its verdict.
pub async fn walk(
    db: &Db,
    keys: &Keys,
    checkpoints: Option<&Path>,
    actor: &crate::audit::Actor,
    now_ms: i64,
    s: Stretch,
) -> DomainResult<VerifyChunk> {
    let from_start = s.after == 0 || {
        let mut tx = db.write().await?;
        let taken = store::audit::continue_walk(&mut tx, s.session_id, s.after, now_ms).await?;
        store::commit(tx).await?;
        taken
    };
    let chunk = chunk(db, keys, checkpoints, s.after, s.limit, from_start).await?;
    let mut tx = db.write().await?;
    if chunk.done {
        store::audit::end_walk(&mut tx, s.session_id).await?;
        let detail = serde_json::json!({
            "after": s.after,
            "entries": chunk.total,
            "broken": chunk.broken,
            "checkpoints": chunk.checkpoints_checked,
        });
        let outcome = match chunk.verdict {
            VerifyVerdict::Intact => "intact",
            VerifyVerdict::Partial => "partial",
            VerifyVerdict::Unverifiable => "unverifiable",
            VerifyVerdict::Broken | VerifyVerdict::InProgress => "broken",
        };
        let entry =
            crate::audit::Entry { detail, ..crate::audit::Entry::new(desk_api::AuditAction::AuditVerify, outcome) };
        crate::audit::record(&mut tx, now_ms, actor, entry).await?;
    } else if from_start {
        store::audit::save_walk(&mut tx, s.session_id, chunk.last_id, now_ms).await?;
    }
    store::commit(tx).await?;
    Ok(chunk)
}
