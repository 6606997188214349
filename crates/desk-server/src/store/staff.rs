//! Staff: the agents, leads and admins who sign in to the console.
//!
//! Across instances: a TOTP step is accepted once per agent by one conditional `UPDATE`
//! (`totp_last_step < $step`), so racing sign-ins with one code get one session.

use desk_api::Role;

use super::{Conn, Flag, Step, StoreResult};

/// What sign-in needs of an agent.
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    /// Sealed.
    pub totp_secret: String,
    pub disabled: Flag,
    pub totp_last_step: i64,
}

pub async fn credentials(conn: &mut Conn, email: &str) -> StoreResult<Option<Credentials>> {
    sqlx::query_as(
        "SELECT id, email, name, role, password_hash, totp_secret, disabled, totp_last_step FROM agents WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(conn)
    .await
    .step("reading an agent's credentials (agents)")
}

/// Records the TOTP step as used when it is later than the last one and the agent is enabled:
/// true for the one caller that moved it.
pub async fn take_totp_step(conn: &mut Conn, agent_id: i64, step: i64) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE agents SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1 AND disabled = 0")
        .bind(step)
        .bind(agent_id)
        .execute(conn)
        .await
        .step("using a TOTP step (agents)")?
        .rows_affected()
        == 1)
}

#[derive(Debug, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Every agent, in id order.
pub async fn all(conn: &mut Conn) -> StoreResult<Vec<StaffRow>> {
    sqlx::query_as("SELECT id, email, name, role FROM agents ORDER BY id")
        .fetch_all(conn)
        .await
        .step("listing agents (agents)")
}

/// Takes the agent's row for the rest of the transaction (PostgreSQL): an agent's own actions
/// queue behind each other, so a per-agent cap counts each once.
pub async fn lock(conn: &mut Conn, id: i64) -> StoreResult<()> {
    let sql = format!("SELECT id FROM agents WHERE id = $1{}", super::for_update(conn));
    sqlx::query(&sql).bind(id).execute(conn).await.step("locking an agent (agents)")?;
    Ok(())
}

pub async fn is_enabled(conn: &mut Conn, id: i64) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE id = $1 AND disabled = 0")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("looking an agent up (agents)")?;
    Ok(found.is_some())
}

pub async fn name(conn: &mut Conn, id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT name FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading an agent's name (agents)")
}

pub async fn count(conn: &mut Conn) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM agents").fetch_one(conn).await.step("counting agents (agents)")
}

pub struct NewAgent<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    /// Sealed.
    pub totp_secret: &'a str,
    pub created_ms: i64,
}

pub async fn insert(conn: &mut Conn, a: &NewAgent<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.email)
    .bind(a.name)
    .bind(a.role)
    .bind(a.password_hash)
    .bind(a.totp_secret)
    .bind(a.created_ms)
    .fetch_one(conn)
    .await
    .step("adding an agent (agents)")
}
