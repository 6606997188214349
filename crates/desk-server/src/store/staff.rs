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

/// An active, enrolled staff member and the requests they hold now.
#[derive(Debug, sqlx::FromRow)]
pub struct LoadRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub claimed: i64,
}

/// Every staff member who can take work (enabled and enrolled), by name, with their claims.
pub async fn active_with_load(conn: &mut Conn) -> StoreResult<Vec<LoadRow>> {
    sqlx::query_as(
        "SELECT a.id, a.name, a.email, a.role, \
                (SELECT COUNT(*) FROM security_requests r WHERE r.assignee_id = a.id AND r.state = 'claimed') AS claimed \
         FROM agents a WHERE a.disabled = 0 AND a.enrolled_ms IS NOT NULL ORDER BY a.name, a.id",
    )
    .fetch_all(conn)
    .await
    .step("listing agents and their claims (agents, security_requests)")
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
    /// `None` until the agent confirmed an authenticator.
    pub enrolled_ms: Option<i64>,
}

pub async fn insert(conn: &mut Conn, a: &NewAgent<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms, enrolled_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(a.email)
    .bind(a.name)
    .bind(a.role)
    .bind(a.password_hash)
    .bind(a.totp_secret)
    .bind(a.created_ms)
    .bind(a.enrolled_ms)
    .fetch_one(conn)
    .await
    .step("adding an agent (agents)")
}

/// A staff member as the admins' list shows them, with their open enrolment link and any
/// authenticator reset that waits for a second admin.
#[derive(Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: Flag,
    pub enrolled_ms: Option<i64>,
    /// Empty until a password was chosen; only its emptiness leaves the store's callers.
    pub password_hash: String,
    pub last_sign_in_ms: Option<i64>,
    pub link_expires_ms: Option<i64>,
    pub reset_id: Option<i64>,
    pub reset_by_id: Option<i64>,
    pub reset_by: Option<String>,
    pub reset_ms: Option<i64>,
    pub reset_reason: Option<String>,
    pub reset_ticket: Option<String>,
}

const MEMBER_SELECT: &str = "SELECT a.id, a.email, a.name, a.role, a.disabled, a.enrolled_ms, a.password_hash, \
     (SELECT MAX(s.created_ms) FROM agent_sessions s WHERE s.agent_id = a.id) AS last_sign_in_ms, \
     (SELECT MAX(e.expires_ms) FROM staff_enrolments e WHERE e.agent_id = a.id AND e.used_ms IS NULL \
        AND e.superseded_ms IS NULL AND e.expires_ms > $1) AS link_expires_ms, \
     r.id AS reset_id, r.requested_by AS reset_by_id, rb.name AS reset_by, r.requested_ms AS reset_ms, \
     r.reason AS reset_reason, r.ticket AS reset_ticket \
     FROM agents a \
     LEFT JOIN staff_mfa_resets r ON r.agent_id = a.id AND r.approved_ms IS NULL \
     LEFT JOIN agents rb ON rb.id = r.requested_by";

/// Every staff member, admins first, then by name.
pub async fn members(conn: &mut Conn, now_ms: i64) -> StoreResult<Vec<MemberRow>> {
    let sql =
        format!("{MEMBER_SELECT} ORDER BY CASE a.role WHEN 'admin' THEN 0 WHEN 'lead' THEN 1 ELSE 2 END, a.name, a.id");
    sqlx::query_as(&sql).bind(now_ms).fetch_all(conn).await.step("listing staff (agents)")
}

pub async fn member(conn: &mut Conn, id: i64, now_ms: i64) -> StoreResult<Option<MemberRow>> {
    let sql = format!("{MEMBER_SELECT} WHERE a.id = $2");
    sqlx::query_as(&sql).bind(now_ms).bind(id).fetch_optional(conn).await.step("reading a staff member (agents)")
}

/// A new invited staff member, or the existing row when that address never enrolled (its name
/// and role are then replaced); `None` when the address belongs to an enrolled member.
pub async fn invite(conn: &mut Conn, email: &str, name: &str, role: Role, now_ms: i64) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms) VALUES ($1, $2, $3, '', '', $4) \
         ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role \
         WHERE agents.enrolled_ms IS NULL AND agents.password_hash = '' RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(role)
    .bind(now_ms)
    .fetch_optional(conn)
    .await
    .step("inviting a staff member (agents)")
}

/// The advisory lock (PostgreSQL) that makes `desk-server admin create` runs take turns.
pub const FIRST_ADMIN_LOCK: i64 = 0x6465_736b_6164_6d31;

/// The first admin (`desk-server admin create`): the "no admin yet" rule and the insert are one
/// statement, behind [`FIRST_ADMIN_LOCK`]. `None` when an admin exists (and `force` is off) or
/// the address is taken.
pub async fn insert_first_admin(
    conn: &mut Conn,
    email: &str,
    name: &str,
    now_ms: i64,
    force: bool,
) -> StoreResult<Option<i64>> {
    // On PostgreSQL two runs at once would each see no admin (read committed): one at a time.
    super::audit::advisory_lock(conn, FIRST_ADMIN_LOCK).await.step("waiting for other `admin create` runs")?;
    sqlx::query_scalar(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms) \
         SELECT $1, $2, 'admin', '', '', $3 WHERE $4 = 1 OR NOT EXISTS (SELECT 1 FROM agents WHERE role = 'admin') \
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(now_ms)
    .bind(Flag(force))
    .fetch_optional(conn)
    .await
    .step("creating the first admin (agents)")
}

pub async fn id_by_email(conn: &mut Conn, email: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
        .step("looking a staff member up (agents)")
}

/// Takes every admin's row for the rest of the transaction (PostgreSQL), so that two admins
/// demoting or disabling each other at once cannot both pass the "another active admin" check.
/// In id order: rows taken in scan order (which an update changes) let two such transactions
/// each hold the row the other waits for, and PostgreSQL ends one as a deadlock (a 500).
pub async fn lock_admins(conn: &mut Conn) -> StoreResult<()> {
    let sql = format!("SELECT id FROM agents WHERE role = 'admin' ORDER BY id{}", super::for_update(conn));
    sqlx::query(&sql).execute(conn).await.step("locking the admins (agents)")?;
    Ok(())
}

/// A new role, unless it would leave no other active, enrolled admin: true when it changed.
/// Take [`lock_admins`] first.
pub async fn set_role_keeping_an_admin(conn: &mut Conn, id: i64, role: Role) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE agents SET role = $1 WHERE id = $2 AND (role <> 'admin' OR $1 = 'admin' OR EXISTS \
         (SELECT 1 FROM agents o WHERE o.role = 'admin' AND o.disabled = 0 AND o.enrolled_ms IS NOT NULL AND o.id <> $2))",
    )
    .bind(role)
    .bind(id)
    .execute(conn)
    .await
    .step("changing a role (agents)")?
    .rows_affected()
        == 1)
}

/// The role the company's identity provider gives (single sign-on).
pub async fn set_role(conn: &mut Conn, id: i64, role: Role) -> StoreResult<()> {
    sqlx::query("UPDATE agents SET role = $1 WHERE id = $2")
        .bind(role)
        .bind(id)
        .execute(conn)
        .await
        .step("changing a role (agents)")?;
    Ok(())
}

/// Disables an enabled member, unless it would leave no other active, enrolled admin: true when
/// it changed. Take [`lock_admins`] first.
pub async fn disable_keeping_an_admin(conn: &mut Conn, id: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE agents SET disabled = 1 WHERE id = $1 AND disabled = 0 AND (role <> 'admin' OR EXISTS \
         (SELECT 1 FROM agents o WHERE o.role = 'admin' AND o.disabled = 0 AND o.enrolled_ms IS NOT NULL AND o.id <> $1))",
    )
    .bind(id)
    .execute(conn)
    .await
    .step("disabling a staff member (agents)")?
    .rows_affected()
        == 1)
}

pub async fn enable(conn: &mut Conn, id: i64) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE agents SET disabled = 0 WHERE id = $1 AND disabled = 1")
        .bind(id)
        .execute(conn)
        .await
        .step("enabling a staff member (agents)")?
        .rows_affected()
        == 1)
}

/// Whether the staff member is an enabled admin now (read under [`lock_admins`]).
pub async fn is_active_admin(conn: &mut Conn, id: i64) -> StoreResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM agents WHERE id = $1 AND role = 'admin' AND disabled = 0")
            .bind(id)
            .fetch_optional(conn)
            .await
            .step("reading a staff member's role (agents)")?;
    Ok(found.is_some())
}

pub async fn is_disabled(conn: &mut Conn, id: i64) -> StoreResult<Option<Flag>> {
    sqlx::query_scalar("SELECT disabled FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading a staff member (agents)")
}

/// Ends every session of the staff member; answers how many ended.
pub async fn end_sessions(conn: &mut Conn, agent_id: i64, now_ms: i64) -> StoreResult<u64> {
    Ok(sqlx::query("UPDATE agent_sessions SET revoked_ms = $1 WHERE agent_id = $2 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(agent_id)
        .execute(conn)
        .await
        .step("ending a staff member's sessions (agent_sessions)")?
        .rows_affected())
}

pub struct NewMfaReset<'a> {
    pub agent_id: i64,
    pub requested_by: i64,
    pub reason: &'a str,
    pub ticket: &'a str,
    pub requested_ms: i64,
}

/// Asks for an authenticator reset: `None` when one already waits (a unique index allows one).
pub async fn request_mfa_reset(conn: &mut Conn, r: &NewMfaReset<'_>) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO staff_mfa_resets (agent_id, requested_by, reason, ticket, requested_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(r.agent_id)
    .bind(r.requested_by)
    .bind(r.reason)
    .bind(r.ticket)
    .bind(r.requested_ms)
    .fetch_optional(conn)
    .await
    .step("asking for an authenticator reset (staff_mfa_resets)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct MfaReset {
    pub agent_id: i64,
    pub requested_by: i64,
    pub approved_ms: Option<i64>,
}

/// Approves a waiting reset by an admin who neither asked for it nor is its subject: the reset,
/// or `None` when this approver may not (or it is approved already).
pub async fn approve_mfa_reset(
    conn: &mut Conn,
    reset_id: i64,
    approver: i64,
    now_ms: i64,
) -> StoreResult<Option<MfaReset>> {
    sqlx::query_as(
        "UPDATE staff_mfa_resets SET approved_by = $1, approved_ms = $2 \
         WHERE id = $3 AND approved_ms IS NULL AND requested_by <> $1 AND agent_id <> $1 \
         RETURNING agent_id, requested_by, approved_ms",
    )
    .bind(approver)
    .bind(now_ms)
    .bind(reset_id)
    .fetch_optional(conn)
    .await
    .step("approving an authenticator reset (staff_mfa_resets)")
}

pub async fn mfa_reset(conn: &mut Conn, reset_id: i64) -> StoreResult<Option<MfaReset>> {
    sqlx::query_as("SELECT agent_id, requested_by, approved_ms FROM staff_mfa_resets WHERE id = $1")
        .bind(reset_id)
        .fetch_optional(conn)
        .await
        .step("reading an authenticator reset (staff_mfa_resets)")
}

/// The old authenticator stops working; the member must enrol a new one.
pub async fn clear_authenticator(conn: &mut Conn, agent_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE agents SET totp_secret = '', enrolled_ms = NULL WHERE id = $1")
        .bind(agent_id)
        .execute(conn)
        .await
        .step("clearing an authenticator (agents)")?;
    Ok(())
}

/// Every unused backup code of the member stops working.
pub async fn void_backup_codes(conn: &mut Conn, agent_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE staff_backup_codes SET used_ms = $1 WHERE agent_id = $2 AND used_ms IS NULL")
        .bind(now_ms)
        .bind(agent_id)
        .execute(conn)
        .await
        .step("voiding backup codes (staff_backup_codes)")?;
    Ok(())
}

pub async fn insert_backup_codes(conn: &mut Conn, agent_id: i64, hashes: &[String], now_ms: i64) -> StoreResult<()> {
    for hash in hashes {
        sqlx::query("INSERT INTO staff_backup_codes (agent_id, code_hash, created_ms) VALUES ($1, $2, $3)")
            .bind(agent_id)
            .bind(hash)
            .bind(now_ms)
            .execute(&mut *conn)
            .await
            .step("storing backup codes (staff_backup_codes)")?;
    }
    Ok(())
}

/// Spends one unused backup code of the member: true for the one caller that spent it.
pub async fn use_backup_code(conn: &mut Conn, agent_id: i64, code_hash: &str, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE staff_backup_codes SET used_ms = $1 WHERE id = \
         (SELECT id FROM staff_backup_codes WHERE agent_id = $2 AND code_hash = $3 AND used_ms IS NULL LIMIT 1) \
         AND used_ms IS NULL",
    )
    .bind(now_ms)
    .bind(agent_id)
    .bind(code_hash)
    .execute(conn)
    .await
    .step("using a backup code (staff_backup_codes)")?
    .rows_affected()
        == 1)
}

#[derive(Debug, sqlx::FromRow)]
pub struct Contact {
    pub email: String,
    pub name: String,
}

pub async fn contact(conn: &mut Conn, id: i64) -> StoreResult<Option<Contact>> {
    sqlx::query_as("SELECT email, name FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading a staff member's address (agents)")
}

/// When the member finished enrolling: `None` for no such member, `Some(None)` when not yet.
pub async fn enrolled_ms(conn: &mut Conn, id: i64) -> StoreResult<Option<Option<i64>>> {
    sqlx::query_scalar("SELECT enrolled_ms FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading a staff member's enrolment (agents)")
}

/// An enrolled member found by the address the identity provider vouches for.
#[derive(Debug, sqlx::FromRow)]
pub struct Enrolled {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: Flag,
}

pub async fn enrolled_by_email(conn: &mut Conn, email: &str) -> StoreResult<Option<Enrolled>> {
    sqlx::query_as("SELECT id, email, name, role, disabled FROM agents WHERE email = $1 AND enrolled_ms IS NOT NULL")
        .bind(email)
        .fetch_optional(conn)
        .await
        .step("finding an enrolled staff member (agents)")
}

/// A service-wide switch admins set at run time (`settings`).
pub async fn setting(conn: &mut Conn, key: &str) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
        .step("reading a setting (settings)")
}

pub async fn put_setting(conn: &mut Conn, key: &str, value: &str, now_ms: i64, by: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_ms, updated_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, \
         updated_by = excluded.updated_by",
    )
    .bind(key)
    .bind(value)
    .bind(now_ms)
    .bind(by)
    .execute(conn)
    .await
    .step("changing a setting (settings)")?;
    Ok(())
}
