//! Staff enrolment links (invites, and the link an approved authenticator reset sends).
//!
//! Across instances: a link is used once, by one conditional `UPDATE … WHERE used_ms IS NULL`
//! checked by rows affected; a new link supersedes the older ones in the same transaction.

use super::{Conn, Flag, Step, StoreResult};

/// Older unused links of the member stop working.
pub async fn supersede(conn: &mut Conn, agent_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE staff_enrolments SET superseded_ms = $1 WHERE agent_id = $2 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(agent_id)
    .execute(conn)
    .await
    .step("superseding enrolment links (staff_enrolments)")?;
    Ok(())
}

pub struct NewLink<'a> {
    pub agent_id: i64,
    /// `invite` or `authenticator_reset` (the table's CHECK).
    pub purpose: &'a str,
    pub token_hash: &'a str,
    pub created_by: Option<i64>,
    pub created_ms: i64,
    pub expires_ms: i64,
}

pub async fn insert(conn: &mut Conn, l: &NewLink<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO staff_enrolments (agent_id, purpose, token_hash, created_by, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(l.agent_id)
    .bind(l.purpose)
    .bind(l.token_hash)
    .bind(l.created_by)
    .bind(l.created_ms)
    .bind(l.expires_ms)
    .execute(conn)
    .await
    .step("issuing an enrolment link (staff_enrolments)")?;
    Ok(())
}

/// A link with the member it enrols.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub agent_id: i64,
    pub purpose: String,
    pub expires_ms: i64,
    pub password_ms: Option<i64>,
    pub used_ms: Option<i64>,
    pub superseded_ms: Option<i64>,
    pub failed_codes: i64,
    pub email: String,
    pub name: String,
    pub disabled: Flag,
}

pub async fn by_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<LinkRow>> {
    sqlx::query_as(
        "SELECT e.id, e.agent_id, e.purpose, e.expires_ms, e.password_ms, e.used_ms, e.superseded_ms, e.failed_codes, \
                a.email, a.name, a.disabled \
         FROM staff_enrolments e JOIN agents a ON a.id = e.agent_id WHERE e.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
    .step("opening an enrolment link (staff_enrolments)")
}

pub async fn count_failure(conn: &mut Conn, id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE staff_enrolments SET failed_codes = failed_codes + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .step("counting a failed enrolment step (staff_enrolments)")?;
    Ok(())
}

/// Records the password step (the chosen password's hash, or none when an existing one was
/// confirmed) while the link still works: true when it did.
pub async fn set_password(conn: &mut Conn, id: i64, password_hash: Option<&str>, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE staff_enrolments SET password_hash = $1, password_ms = $2 \
         WHERE id = $3 AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $2",
    )
    .bind(password_hash)
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await
    .step("recording the password step (staff_enrolments)")?
    .rows_affected()
        == 1)
}

/// The member's current password hash (to confirm it after an authenticator reset).
pub async fn current_password_hash(conn: &mut Conn, agent_id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT password_hash FROM agents WHERE id = $1")
        .bind(agent_id)
        .fetch_optional(conn)
        .await
        .step("reading a password hash (agents)")
}

/// Stores a new, not yet confirmed authenticator secret (sealed) for a member who has not
/// finished enrolling: true when it was stored.
pub async fn set_pending_secret(conn: &mut Conn, agent_id: i64, sealed: &str) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE agents SET totp_secret = $1 WHERE id = $2 AND enrolled_ms IS NULL")
        .bind(sealed)
        .bind(agent_id)
        .execute(conn)
        .await
        .step("storing a new authenticator secret (agents)")?
        .rows_affected()
        == 1)
}

/// What the confirming code is checked against.
#[derive(Debug, sqlx::FromRow)]
pub struct Pending {
    /// Sealed.
    pub totp_secret: String,
    pub role: desk_api::Role,
    pub enrolled_ms: Option<i64>,
}

pub async fn pending(conn: &mut Conn, agent_id: i64) -> StoreResult<Option<Pending>> {
    sqlx::query_as("SELECT totp_secret, role, enrolled_ms FROM agents WHERE id = $1")
        .bind(agent_id)
        .fetch_optional(conn)
        .await
        .step("reading an enrolment's authenticator (agents)")
}

/// Uses the link up, if it still works and its password step is done: true for the one caller.
pub async fn use_link(conn: &mut Conn, id: i64, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE staff_enrolments SET used_ms = $1 \
         WHERE id = $2 AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $1 AND password_ms IS NOT NULL",
    )
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await
    .step("using an enrolment link (staff_enrolments)")?
    .rows_affected()
        == 1)
}

/// The enrolment takes effect: the chosen password (if any), enrolled now, and the confirming
/// code's step counted as used; the link forgets the password hash it held.
pub async fn take_effect(conn: &mut Conn, id: i64, agent_id: i64, now_ms: i64, step: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE agents SET password_hash = COALESCE((SELECT password_hash FROM staff_enrolments WHERE id = $1), password_hash), \
         enrolled_ms = $2, totp_last_step = $3 WHERE id = $4",
    )
    .bind(id)
    .bind(now_ms)
    .bind(step)
    .bind(agent_id)
    .execute(&mut *conn)
    .await
    .step("finishing an enrolment (agents)")?;
    sqlx::query("UPDATE staff_enrolments SET password_hash = NULL WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .step("finishing an enrolment (staff_enrolments)")?;
    Ok(())
}
