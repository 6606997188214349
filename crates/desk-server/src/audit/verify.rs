//! Verifying the chain, one stretch at a time so that a console can show progress over millions
//! of entries, and the checkpoints at the end so that a cut-off tail is caught too.

use std::path::Path;

use desk_api::{BrokenEntry, VerifyChunk, VerifyVerdict};
use futures_util::TryStreamExt;
use sqlx::SqlitePool;

use super::checkpoints::Evidence;
use super::{entry_hash, CanonicalRow, GENESIS};
use crate::crypto::Keys;

pub const MAX_CHUNK: i64 = 20_000;

const COLUMNS: &str = "id, at_ms, actor_id, actor_email, actor_role, action, target_type, target_id, reason, ticket, \
                       outcome, client, detail, prev_hash";

/// Checks the entries after `after` (at most `limit`): each one's hash, its link to the one
/// before, and that no id is missing. The stretch that reaches the end also checks checkpoints;
/// it is `intact` only when the walk began at the first entry (`from_start`), `partial` otherwise.
pub async fn chunk(
    pool: &SqlitePool,
    keys: &Keys,
    checkpoints: Option<&Path>,
    after: i64,
    limit: i64,
    from_start: bool,
) -> sqlx::Result<VerifyChunk> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await?;
    let mut expected_prev = if after == 0 {
        GENESIS.to_string()
    } else {
        match sqlx::query_scalar::<_, String>("SELECT hash FROM audit_log WHERE id = $1")
            .bind(after)
            .fetch_optional(pool)
            .await?
        {
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
    let sql = format!("SELECT {COLUMNS}, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2");
    let mut rows = sqlx::query_as::<_, RowWithHash>(&sql).bind(after).bind(limit).fetch(pool);
    let mut checked = 0u64;
    let mut last_id = after;
    while let Some(r) = rows.try_next().await? {
        let RowWithHash { row, hash } = r;
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

struct RowWithHash {
    row: CanonicalRow,
    hash: String,
}

impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for RowWithHash {
    fn from_row(r: &'r sqlx::sqlite::SqliteRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(Self { row: CanonicalRow::from_row(r)?, hash: r.try_get("hash")? })
    }
}
