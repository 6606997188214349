//! The columns that hold secrets, for the one-off upgrade of values stored before they were
//! protected at rest.
//!
//! Across instances: a value is rewritten only while it still holds what was read (`… AND col =
//! $old`), so instances starting together rewrite each value once.

use super::{Conn, Step, StoreResult};

/// A column that holds a secret, and the prefix every protected value in it starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretColumn {
    AgentTotp,
    UserTotp,
    BackupCode,
    SmsCode,
    ContactCode,
}

impl SecretColumn {
    pub const ALL: [SecretColumn; 5] =
        [Self::AgentTotp, Self::UserTotp, Self::BackupCode, Self::SmsCode, Self::ContactCode];

    /// (table, column)
    pub fn place(self) -> (&'static str, &'static str) {
        match self {
            Self::AgentTotp => ("agents", "totp_secret"),
            Self::UserTotp => ("two_factor_methods", "secret"),
            Self::BackupCode => ("backup_codes", "code_hash"),
            Self::SmsCode => ("sms_codes", "code_hash"),
            Self::ContactCode => ("security_requests", "contact_code_hash"),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct StaleValue {
    pub id: i64,
    pub value: String,
}

/// Values of the column that do not start with `prefix`.
pub async fn stale(conn: &mut Conn, column: SecretColumn, prefix: &str) -> StoreResult<Vec<StaleValue>> {
    let (table, col) = column.place();
    sqlx::query_as(&format!("SELECT id, {col} AS value FROM {table} WHERE {col} IS NOT NULL AND {col} NOT LIKE $1"))
        .bind(format!("{prefix}%"))
        .fetch_all(conn)
        .await
        .step("finding secrets stored unprotected")
}

/// Replaces the value while it is still `old`: true when this caller replaced it.
pub async fn rewrite(conn: &mut Conn, column: SecretColumn, id: i64, old: &str, new: &str) -> StoreResult<bool> {
    let (table, col) = column.place();
    Ok(sqlx::query(&format!("UPDATE {table} SET {col} = $1 WHERE id = $2 AND {col} = $3"))
        .bind(new)
        .bind(id)
        .bind(old)
        .execute(conn)
        .await
        .step("protecting a secret stored unprotected")?
        .rows_affected()
        == 1)
}
