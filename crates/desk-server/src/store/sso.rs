//! Single sign-on attempts: started by the service (state and nonce stored hashed), finished once.
//!
//! Across instances: an attempt is finished once, by one conditional `UPDATE … WHERE used_ms IS
//! NULL RETURNING`.

use super::{Conn, Step, StoreResult};

pub struct NewAttempt<'a> {
    pub state_hash: &'a str,
    pub nonce_hash: &'a str,
    pub redirect_uri: &'a str,
    pub client: &'a str,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// Attempts nobody finished go once they expired before `before_ms`.
pub async fn prune(conn: &mut Conn, before_ms: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sso_attempts WHERE expires_ms < $1")
        .bind(before_ms)
        .execute(conn)
        .await
        .step("pruning single sign-on attempts (sso_attempts)")?;
    Ok(())
}

pub async fn insert(conn: &mut Conn, a: &NewAttempt<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sso_attempts (state_hash, nonce_hash, redirect_uri, client, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.state_hash)
    .bind(a.nonce_hash)
    .bind(a.redirect_uri)
    .bind(a.client)
    .bind(a.created_ms)
    .bind(a.expires_ms)
    .execute(conn)
    .await
    .step("starting a single sign-on attempt (sso_attempts)")?;
    Ok(())
}

/// Ends the attempt of `state_hash` if it is open and unexpired: its nonce's hash, else `None`.
pub async fn finish(conn: &mut Conn, state_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar(
        "UPDATE sso_attempts SET used_ms = $1 WHERE state_hash = $2 AND used_ms IS NULL AND expires_ms > $1 \
         RETURNING nonce_hash",
    )
    .bind(now_ms)
    .bind(state_hash)
    .fetch_optional(conn)
    .await
    .step("finishing a single sign-on attempt (sso_attempts)")
}

/// The nonce hash of an open, unexpired attempt, without using it up.
pub async fn open_nonce(conn: &mut Conn, state_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar(
        "SELECT nonce_hash FROM sso_attempts WHERE state_hash = $1 AND used_ms IS NULL AND expires_ms > $2",
    )
    .bind(state_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await
    .step("reading a single sign-on attempt (sso_attempts)")
}
