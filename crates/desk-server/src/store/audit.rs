//! The audit log and what serves it: the hash chain's entries, the summaries of refusals, and
//! leads' walks over the chain.
//!
//! Across instances: each entry names the one before it, so appends must happen one at a time.
//! [`lock_chain`] takes a transaction-scoped advisory lock on PostgreSQL (`pg_advisory_xact_lock`)
//! inside the action's transaction before the head is read; the next appender on any instance
//! waits for that transaction to end and then reads the head it wrote. On SQLite the write
//! transaction is already the only one. The table itself refuses updates and deletes (triggers on
//! both backends); on PostgreSQL the service's role may only insert and select (see
//! [`super::roles`]). Summaries of refusals are counted by one upsert, and written once, by
//! whichever instance marks the window first.

use desk_api::{AuditAction, AuditFilter, Role};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::sql::Builder;
use super::{Backend, Conn, Step, StoreResult};
use crate::audit::CanonicalRow;

/// Lock keys of the advisory locks the service takes (PostgreSQL). Arbitrary, fixed, distinct.
pub const AUDIT_CHAIN_LOCK: i64 = 0x6465_736b_6175_6431;
pub const CHECKPOINT_LOCK: i64 = 0x6465_736b_6368_6b31;

/// Takes the lock of the chain's head for the rest of the transaction (PostgreSQL).
pub async fn lock_chain(conn: &mut Conn) -> StoreResult<()> {
    advisory_lock(conn, AUDIT_CHAIN_LOCK).await.step("waiting for the audit chain's head")
}

/// A transaction-scoped advisory lock on PostgreSQL; nothing on SQLite, whose write transaction
/// is already the only writer.
pub async fn advisory_lock(conn: &mut Conn, key: i64) -> Result<(), sqlx::Error> {
    if Backend::of(conn) == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(conn).await?;
    }
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct Head {
    pub id: i64,
    pub hash: String,
}

/// The newest entry.
pub async fn head(conn: &mut Conn) -> StoreResult<Option<Head>> {
    sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_optional(conn)
        .await
        .step("reading the audit chain's head (audit_log)")
}

pub async fn append(conn: &mut Conn, row: &CanonicalRow, hash: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at_ms, actor_id, actor_email, actor_role, action, target_type, target_id, \
         reason, ticket, outcome, client, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(row.id)
    .bind(row.at_ms)
    .bind(row.actor_id)
    .bind(&row.actor_email)
    .bind(&row.actor_role)
    .bind(&row.action)
    .bind(&row.target_type)
    .bind(&row.target_id)
    .bind(&row.reason)
    .bind(&row.ticket)
    .bind(&row.outcome)
    .bind(&row.client)
    .bind(&row.detail)
    .bind(&row.prev_hash)
    .bind(hash)
    .execute(conn)
    .await
    .step("appending to the audit log (audit_log)")?;
    Ok(())
}

pub async fn count(conn: &mut Conn) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(conn)
        .await
        .step("counting audit entries (audit_log)")
}

pub async fn hash_of(conn: &mut Conn, id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading an audit entry's hash (audit_log)")
}

/// An entry as stored: what was hashed, and the hash.
#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    #[sqlx(flatten)]
    pub row: CanonicalRow,
    pub hash: String,
}

const CANONICAL: &str =
    "id, at_ms, actor_id, actor_email, actor_role, action, target_type, target_id, reason, ticket, \
                         outcome, client, detail, prev_hash, hash";

/// The entries after `after`, in id order, at most `limit`, streamed.
pub fn stretch(conn: &mut Conn, after: i64, limit: i64) -> BoxStream<'_, StoreResult<Stored>> {
    sqlx::query_as::<_, Stored>(
        "SELECT id, at_ms, actor_id, actor_email, actor_role, action, target_type, target_id, reason, ticket, outcome, \
         client, detail, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
    )
        .bind(after)
        .bind(limit)
        .fetch(conn)
        .map(|r| r.step("reading the audit chain (audit_log)"))
        .boxed()
}

/// An entry as a lead reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_role: Option<Role>,
    /// As written: a log keeps names from every version that wrote it.
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub outcome: String,
    pub client: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

fn push_filter(qb: &mut Builder<'_>, f: &AuditFilter) {
    qb.push(" FROM audit_log WHERE 1 = 1");
    if let Some(agent) = f.agent {
        qb.push(" AND actor_id = ").push_bind(agent);
    }
    if let Some(action) = &f.action {
        qb.push(" AND action = ").push_bind(action.clone());
    }
    if let Some(account) = f.account {
        qb.push(" AND target_type = 'account' AND target_id = ").push_bind(account.to_string());
    }
    if let Some(request) = f.request {
        qb.push(" AND target_type = 'request' AND target_id = ").push_bind(request.to_string());
    }
    if let Some(outcome) = &f.outcome {
        qb.push(" AND outcome = ").push_bind(outcome.clone());
    }
    if let Some(from) = f.from {
        qb.push(" AND at_ms >= ").push_bind(from.timestamp_millis());
    }
    if let Some(to) = f.to {
        qb.push(" AND at_ms < ").push_bind(to.timestamp_millis());
    }
}

/// Filtered entries before the id `before` (if any), newest first.
pub async fn page(conn: &mut Conn, f: &AuditFilter, before: Option<i64>, limit: i64) -> StoreResult<Vec<EntryRow>> {
    let mut qb = Builder::new(format!("SELECT {CANONICAL}"));
    push_filter(&mut qb, f);
    if let Some(b) = before {
        qb.push(" AND id < ").push_bind(b);
    }
    qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    qb.fetch_all(conn).await.step("reading the audit log (audit_log)")
}

/// Filtered entries after the id `after`, oldest first.
pub async fn batch(conn: &mut Conn, f: &AuditFilter, after: i64, limit: i64) -> StoreResult<Vec<EntryRow>> {
    let mut qb = Builder::new(format!("SELECT {CANONICAL}"));
    push_filter(&mut qb, f);
    qb.push(" AND id > ").push_bind(after);
    qb.push(" ORDER BY id LIMIT ").push_bind(limit);
    qb.fetch_all(conn).await.step("exporting the audit log (audit_log)")
}

/// What the figures count: entries by staff in a period.
#[derive(Debug, sqlx::FromRow)]
pub struct StaffEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor_id: i64,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
}

pub async fn staff_entries(conn: &mut Conn, from_ms: i64, to_ms: i64) -> StoreResult<Vec<StaffEntry>> {
    sqlx::query_as(
        "SELECT id, at_ms, actor_id, action, target_type, target_id, outcome FROM audit_log \
         WHERE at_ms >= $1 AND at_ms < $2 AND actor_id IS NOT NULL AND actor_role IS NOT NULL ORDER BY id",
    )
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await
    .step("reading staff actions for figures (audit_log)")
}

/// What an audit target is called now.
#[derive(Debug, sqlx::FromRow)]
pub struct TargetLabel {
    pub kind: String,
    pub id: i64,
    pub label: String,
}

/// The usernames, request references and staff names of these ids, in one statement.
pub async fn target_labels(
    conn: &mut Conn,
    accounts: &[i64],
    requests: &[i64],
    agents: &[i64],
) -> StoreResult<Vec<TargetLabel>> {
    let parts: Vec<(&str, &[i64])> = [
        ("SELECT 'account' AS kind, id, username AS label FROM accounts WHERE id IN ", accounts),
        ("SELECT 'request' AS kind, id, reference AS label FROM security_requests WHERE id IN ", requests),
        ("SELECT 'agent' AS kind, id, name AS label FROM agents WHERE id IN ", agents),
    ]
    .into_iter()
    .filter(|(_, ids)| !ids.is_empty())
    .collect();
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = Builder::new("");
    for (i, (select, ids)) in parts.into_iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push(select);
        qb.push_list(ids.iter().copied());
    }
    qb.fetch_all(conn).await.step("naming audit targets (accounts, security_requests, agents)")
}

fn push_actions(qb: &mut Builder<'_>, actions: &[AuditAction]) {
    qb.push(" ");
    qb.push_list(actions.iter().copied());
}

/// A decision, and when the same agent last claimed the request before it.
#[derive(Debug, sqlx::FromRow)]
pub struct Handling {
    pub actor_id: i64,
    pub decided_ms: i64,
    pub claimed_ms: Option<i64>,
}

pub async fn decisions_with_claims(
    conn: &mut Conn,
    decisions: &[AuditAction],
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<Vec<Handling>> {
    let mut qb = Builder::new(
        "SELECT d.actor_id, d.at_ms AS decided_ms, (SELECT MAX(c.at_ms) FROM audit_log c WHERE c.target_type = 'request' \
           AND c.target_id = d.target_id AND c.actor_id = d.actor_id AND c.action = ",
    );
    qb.push_bind(AuditAction::RequestClaim);
    qb.push(
        " AND c.id < d.id) AS claimed_ms FROM audit_log d WHERE d.target_type = 'request' AND d.actor_id IS NOT NULL",
    );
    qb.push(" AND d.at_ms >= ").push_bind(from_ms);
    qb.push(" AND d.at_ms < ").push_bind(to_ms);
    qb.push(" AND d.action IN");
    push_actions(&mut qb, decisions);
    qb.fetch_all(conn).await.step("reading handling times (audit_log)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct AccountChange {
    pub target_id: String,
    pub at_ms: i64,
}

/// Changes of these kinds to accounts since then.
pub async fn account_changes_since(
    conn: &mut Conn,
    changes: &[AuditAction],
    since_ms: i64,
) -> StoreResult<Vec<AccountChange>> {
    let mut qb = Builder::new(
        "SELECT target_id, at_ms FROM audit_log WHERE target_type = 'account' AND target_id IS NOT NULL AND at_ms >= ",
    );
    qb.push_bind(since_ms);
    qb.push(" AND action IN");
    push_actions(&mut qb, changes);
    qb.fetch_all(conn).await.step("reading account changes (audit_log)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct Refused {
    pub id: i64,
    pub target_id: Option<String>,
    pub client: String,
    pub detail: String,
}

/// Sign-ins that failed or were refused (with this outcome) in a period.
pub async fn failed_sign_ins(conn: &mut Conn, refused: &str, from_ms: i64, to_ms: i64) -> StoreResult<Vec<Refused>> {
    sqlx::query_as(
        "SELECT id, target_id, client, detail FROM audit_log WHERE action = $1 AND outcome IN ('failure', $2) \
         AND at_ms >= $3 AND at_ms < $4 ORDER BY id",
    )
    .bind(AuditAction::SignIn)
    .bind(refused)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await
    .step("reading failed sign-ins (audit_log)")
}

/// A refusal counted in its window's summary row.
pub struct Refusal<'a> {
    pub action: AuditAction,
    pub key: &'a str,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub client: &'a str,
}

/// Counts the refusal; answers the window's count including it.
pub async fn count_refusal(conn: &mut Conn, r: &Refusal<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO audit_rollups (action, key, window_start_ms, window_end_ms, count, target_type, target_id, client) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7) \
         ON CONFLICT (action, key, window_start_ms) DO UPDATE SET count = audit_rollups.count + 1 \
         RETURNING count",
    )
    .bind(r.action)
    .bind(r.key)
    .bind(r.window_start_ms)
    .bind(r.window_end_ms)
    .bind(r.target_type)
    .bind(r.target_id)
    .bind(r.client)
    .fetch_one(conn)
    .await
    .step("counting a refusal (audit_rollups)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct Rollup {
    /// As written; a name this version does not know is left alone.
    pub action: String,
    pub key: String,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    pub count: i64,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub client: String,
}

/// Windows that have ended and were not summarised yet (500 at a time).
pub async fn ended_rollups(conn: &mut Conn, now_ms: i64) -> StoreResult<Vec<Rollup>> {
    sqlx::query_as(
        "SELECT action, key, window_start_ms, window_end_ms, count, target_type, target_id, client FROM audit_rollups \
         WHERE flushed_ms IS NULL AND window_end_ms <= $1 ORDER BY window_end_ms LIMIT 500",
    )
    .bind(now_ms)
    .fetch_all(conn)
    .await
    .step("finding ended refusal windows (audit_rollups)")
}

/// Marks the window summarised: true for the one caller that marked it.
pub async fn mark_flushed(conn: &mut Conn, r: &Rollup, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE audit_rollups SET flushed_ms = $1 WHERE action = $2 AND key = $3 AND window_start_ms = $4 \
         AND flushed_ms IS NULL",
    )
    .bind(now_ms)
    .bind(&r.action)
    .bind(&r.key)
    .bind(r.window_start_ms)
    .execute(conn)
    .await
    .step("marking a refusal window summarised (audit_rollups)")?
    .rows_affected()
        == 1)
}

pub async fn prune_rollups(conn: &mut Conn, flushed_before_ms: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM audit_rollups WHERE flushed_ms IS NOT NULL AND flushed_ms < $1")
        .bind(flushed_before_ms)
        .execute(conn)
        .await
        .step("forgetting summarised windows (audit_rollups)")?;
    Ok(())
}

/// Continues a session's walk when its last stretch ended at `after`: true when it did (the walk
/// is taken, so two stretches cannot both continue it).
pub async fn continue_walk(conn: &mut Conn, session_id: i64, after: i64, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE audit_verify_walks SET last_id = -1, updated_ms = $3 WHERE session_id = $1 AND last_id = $2",
    )
    .bind(session_id)
    .bind(after)
    .bind(now_ms)
    .execute(conn)
    .await
    .step("continuing a verification walk (audit_verify_walks)")?
    .rows_affected()
        == 1)
}

pub async fn save_walk(conn: &mut Conn, session_id: i64, last_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_verify_walks (session_id, last_id, updated_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id) DO UPDATE SET last_id = $2, updated_ms = $3",
    )
    .bind(session_id)
    .bind(last_id)
    .bind(now_ms)
    .execute(conn)
    .await
    .step("saving a verification walk (audit_verify_walks)")?;
    Ok(())
}

pub async fn end_walk(conn: &mut Conn, session_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM audit_verify_walks WHERE session_id = $1")
        .bind(session_id)
        .execute(conn)
        .await
        .step("ending a verification walk (audit_verify_walks)")?;
    Ok(())
}
