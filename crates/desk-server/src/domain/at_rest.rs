//! Rows written before secrets were protected at rest — TOTP secrets in plain base32, codes as a
//! plain SHA-256 — are brought up to date when the service starts, in place: TOTP secrets are
//! sealed, and code hashes become keyed hashes of the same SHA-256 (so they still verify). A row
//! is rewritten only while it still holds what was read, so instances that start together do each
//! row once, and a start after the upgrade finds nothing to do.

use sqlx::SqlitePool;

use crate::crypto::{Code, Keys, Sealed, KEYED_PREFIX, SEALED_PREFIX};
use crate::db::begin_write;

/// A column to upgrade: the table, its key column, the column, and how a stale value is rewritten.
struct Column {
    table: &'static str,
    column: &'static str,
    prefix: &'static str,
}

const COLUMNS: &[Column] = &[
    Column { table: "agents", column: "totp_secret", prefix: SEALED_PREFIX },
    Column { table: "two_factor_methods", column: "secret", prefix: SEALED_PREFIX },
    Column { table: "backup_codes", column: "code_hash", prefix: KEYED_PREFIX },
    Column { table: "sms_codes", column: "code_hash", prefix: KEYED_PREFIX },
    Column { table: "security_requests", column: "contact_code_hash", prefix: KEYED_PREFIX },
];

fn rewrite(keys: &Keys, c: &Column, old: &str) -> String {
    match (c.table, c.column) {
        ("agents", _) => keys.seal(Sealed::AgentTotp, old),
        ("two_factor_methods", _) => keys.seal(Sealed::UserTotp, old),
        ("backup_codes", _) => keys.upgrade_code_hash(Code::Backup, old),
        ("sms_codes", _) => keys.upgrade_code_hash(Code::Sms, old),
        _ => keys.upgrade_code_hash(Code::Contact, old),
    }
}

/// Answers how many values were rewritten.
pub async fn upgrade(db: &SqlitePool, keys: &Keys) -> anyhow::Result<u64> {
    let mut done = 0;
    for c in COLUMNS {
        let stale: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} NOT LIKE '{prefix}%'",
            col = c.column,
            table = c.table,
            prefix = c.prefix
        ))
        .fetch_all(db)
        .await?;
        if stale.is_empty() {
            continue;
        }
        let mut tx = begin_write(db).await?;
        for (id, old) in &stale {
            done += sqlx::query(&format!(
                "UPDATE {table} SET {col} = $1 WHERE id = $2 AND {col} = $3",
                col = c.column,
                table = c.table
            ))
            .bind(rewrite(keys, c, old))
            .bind(id)
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        tracing::info!(
            table = c.table,
            column = c.column,
            rows = stale.len(),
            "secrets stored before the key existed are now protected"
        );
    }
    Ok(done)
}
