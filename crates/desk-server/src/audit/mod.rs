//! The audit log: append-only (the store's triggers refuse updates and deletes) and hash-chained.
//! `record` is the one path that writes an entry, and it takes the caller's transaction so that the
//! entry commits or rolls back with its effect. Action names come from one list, the contract's
//! [`AuditAction`], which the figures count from too.

pub mod checkpoints;
pub mod figures;
pub mod query;
pub mod rollups;
pub mod verify;

pub use desk_api::AuditAction;
use desk_api::Role;
use serde::Serialize;
use sqlx::SqliteConnection;

use crate::crypto::sha256_hex;

/// The hash that stands before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub client: String,
}

impl Actor {
    pub fn anonymous(client: impl Into<String>) -> Self {
        Self { id: None, email: None, role: None, client: client.into() }
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: AuditAction,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub reason: Option<&'a str>,
    pub ticket: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: serde_json::Value,
}

impl<'a> Entry<'a> {
    /// An entry with no target, reason or ticket and an empty detail; fill the rest with
    /// `Entry { target_id: …, ..Entry::new(action, outcome) }`.
    pub fn new(action: AuditAction, outcome: &'a str) -> Self {
        Self {
            action,
            target_type: None,
            target_id: None,
            reason: None,
            ticket: None,
            outcome,
            detail: serde_json::json!({}),
        }
    }
}

/// The canonical serialisation that is hashed: fixed field order, UTC milliseconds, no whitespace.
#[derive(Serialize)]
struct Canonical<'a> {
    id: i64,
    at_ms: i64,
    actor_id: Option<i64>,
    actor_email: Option<&'a str>,
    actor_role: Option<&'a str>,
    action: &'a str,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    reason: Option<&'a str>,
    ticket: Option<&'a str>,
    outcome: &'a str,
    client: &'a str,
    detail: &'a str,
    prev_hash: &'a str,
}

pub fn entry_hash(c: &CanonicalRow) -> String {
    let canonical = Canonical {
        id: c.id,
        at_ms: c.at_ms,
        actor_id: c.actor_id,
        actor_email: c.actor_email.as_deref(),
        actor_role: c.actor_role.as_deref(),
        action: &c.action,
        target_type: c.target_type.as_deref(),
        target_id: c.target_id.as_deref(),
        reason: c.reason.as_deref(),
        ticket: c.ticket.as_deref(),
        outcome: &c.outcome,
        client: &c.client,
        detail: &c.detail,
        prev_hash: &c.prev_hash,
    };
    let json = serde_json::to_vec(&canonical).expect("plain struct serialises");
    let mut input = c.prev_hash.as_bytes().to_vec();
    input.extend_from_slice(&json);
    sha256_hex(&input)
}

/// One stored entry, as hashed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CanonicalRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub reason: Option<String>,
    pub ticket: Option<String>,
    pub outcome: String,
    pub client: String,
    pub detail: String,
    pub prev_hash: String,
}

/// Appends one entry inside the caller's (write) transaction and returns its id.
pub async fn record(conn: &mut SqliteConnection, now_ms: i64, actor: &Actor, entry: Entry<'_>) -> sqlx::Result<i64> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let (id, prev_hash) = match last {
        Some((id, hash)) => (id + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let row = CanonicalRow {
        id,
        at_ms: now_ms,
        actor_id: actor.id,
        actor_email: actor.email.clone(),
        actor_role: actor.role.map(|r| r.as_str().to_string()),
        action: entry.action.as_str().to_string(),
        target_type: entry.target_type.map(str::to_string),
        target_id: entry.target_id,
        reason: entry.reason.map(str::to_string),
        ticket: entry.ticket.map(str::to_string),
        outcome: entry.outcome.to_string(),
        client: actor.client.clone(),
        detail: entry.detail.to_string(),
        prev_hash,
    };
    let hash = entry_hash(&row);
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
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Walks the whole chain and the checkpoints; answers the first entry that does not verify (or,
/// for a log the checkpoints cannot vouch for, why).
pub async fn first_broken(
    pool: &sqlx::SqlitePool,
    keys: &crate::crypto::Keys,
    checkpoints: Option<&std::path::Path>,
) -> sqlx::Result<Option<desk_api::BrokenEntry>> {
    let mut after = 0;
    loop {
        let chunk = verify::chunk(pool, keys, checkpoints, after, 10_000, true).await?;
        if chunk.broken.is_some() || chunk.done {
            return Ok(chunk.broken);
        }
        after = chunk.last_id;
    }
}
