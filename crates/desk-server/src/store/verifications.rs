//! Verification links mailed to an unverified address on an account.
//!
//! Across instances: a link is used once, by one conditional `UPDATE … WHERE used_ms IS NULL
//! RETURNING`.

use super::{Conn, Step, StoreResult};

pub struct NewVerification<'a> {
    pub account_id: i64,
    pub email_id: i64,
    pub token_hash: &'a str,
    pub action_id: i64,
    pub created_ms: i64,
    pub expires_ms: i64,
}

pub async fn insert(conn: &mut Conn, v: &NewVerification<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO email_verifications (account_id, email_id, token_hash, action_id, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(v.account_id)
    .bind(v.email_id)
    .bind(v.token_hash)
    .bind(v.action_id)
    .bind(v.created_ms)
    .bind(v.expires_ms)
    .execute(conn)
    .await
    .step("issuing a verification link (email_verifications)")?;
    Ok(())
}

/// The address a link confirmed.
#[derive(Debug, sqlx::FromRow)]
pub struct Used {
    pub account_id: i64,
    pub email_id: i64,
}

/// Uses the link up if it is unused and unexpired: `None` when it is not.
pub async fn use_link(conn: &mut Conn, token_hash: &str, now_ms: i64) -> StoreResult<Option<Used>> {
    sqlx::query_as(
        "UPDATE email_verifications SET used_ms = $1 WHERE token_hash = $2 AND used_ms IS NULL AND expires_ms > $1 \
         RETURNING account_id, email_id",
    )
    .bind(now_ms)
    .bind(token_hash)
    .fetch_optional(conn)
    .await
    .step("using a verification link (email_verifications)")
}

/// Whether the link exists, and when it was used: `None` for an unknown link.
pub async fn used_ms(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<Option<i64>>> {
    sqlx::query_scalar("SELECT used_ms FROM email_verifications WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await
        .step("reading a verification link (email_verifications)")
}
