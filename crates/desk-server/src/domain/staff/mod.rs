//! Staff administration: invites, roles, disabling, authenticator resets with a second admin's
//! approval, and the single-sign-on switch. Every change is the admin's alone (`access.rs`), is
//! decided by one conditional statement, and writes its audit entry in the same transaction.

pub mod enrol;
pub mod passwords;

use desk_api::{
    AuditAction, EmailAddress, EmailRef, EmailStatus, EnrolmentState, ErrorCode, InviteRequest, InviteSent,
    PendingMfaReset, Role, RoleChange, SsoSettings, StaffChange, StaffMember, StaffStatus, Ticket,
};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::sessions::Session;
use super::{outbox, vault};
use crate::audit::{self, Entry};
use crate::clock::from_ms;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::Config;

fn rank(role: Role) -> u8 {
    match role {
        Role::Agent => 0,
        Role::Lead => 1,
        Role::Admin => 2,
    }
}

/// A staff change that passed validation: a reason in words and a ticket.
pub struct Why {
    pub reason: String,
    pub ticket: Ticket,
}

pub fn why(reason: &str, ticket: &str) -> ApiResult<Why> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if !(3..=500).contains(&n) || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid("reason", "say why in 3 to 500 characters"));
    }
    let ticket = Ticket::parse(ticket).map_err(|m| ApiError::invalid("ticket", m))?;
    Ok(Why { reason: reason.to_string(), ticket })
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    disabled: i64,
    enrolled_ms: Option<i64>,
    password_hash: String,
    last_sign_in_ms: Option<i64>,
    link_expires_ms: Option<i64>,
    reset_id: Option<i64>,
    reset_by_id: Option<i64>,
    reset_by: Option<String>,
    reset_ms: Option<i64>,
    reset_reason: Option<String>,
    reset_ticket: Option<String>,
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

impl MemberRow {
    fn member(self) -> StaffMember {
        let enrolment = match (self.enrolled_ms, self.password_hash.is_empty()) {
            (Some(_), _) => EnrolmentState::Enrolled,
            (None, true) => EnrolmentState::Pending,
            (None, false) => EnrolmentState::AuthenticatorReset,
        };
        let status = if self.disabled != 0 {
            StaffStatus::Disabled
        } else if enrolment == EnrolmentState::Pending {
            StaffStatus::Invited
        } else {
            StaffStatus::Active
        };
        StaffMember {
            id: self.id,
            email: self.email,
            name: self.name,
            role: Role::parse(&self.role).unwrap_or(Role::Agent),
            status,
            enrolment,
            last_sign_in_at: self.last_sign_in_ms.map(from_ms),
            enrolment_link_expires_at: self.link_expires_ms.map(from_ms),
            pending_mfa_reset: match (self.reset_id, self.reset_by_id, self.reset_ms) {
                (Some(id), Some(by_id), Some(at)) => Some(PendingMfaReset {
                    id,
                    requested_by_id: by_id,
                    requested_by: self.reset_by.unwrap_or_default(),
                    requested_at: from_ms(at),
                    reason: self.reset_reason.unwrap_or_default(),
                    ticket: self.reset_ticket.unwrap_or_default(),
                }),
                _ => None,
            },
        }
    }
}

/// Every staff member, admins first, then by name.
pub async fn list(db: &SqlitePool, now_ms: i64) -> ApiResult<Vec<StaffMember>> {
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "{MEMBER_SELECT} ORDER BY CASE a.role WHEN 'admin' THEN 0 WHEN 'lead' THEN 1 ELSE 2 END, a.name, a.id"
    ))
    .bind(now_ms)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(MemberRow::member).collect())
}

pub async fn member(conn: &mut SqliteConnection, id: i64, now_ms: i64) -> ApiResult<StaffMember> {
    let row: Option<MemberRow> = sqlx::query_as(&format!("{MEMBER_SELECT} WHERE a.id = $2"))
        .bind(now_ms)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(MemberRow::member).ok_or(ApiError::NotFound("staff member"))
}

async fn record(
    conn: &mut SqliteConnection,
    now_ms: i64,
    actor: &crate::audit::Actor,
    action: AuditAction,
    target: i64,
    why: &Why,
    detail: serde_json::Value,
) -> sqlx::Result<i64> {
    audit::record(
        conn,
        now_ms,
        actor,
        Entry {
            action,
            target_type: Some("agent"),
            target_id: Some(target.to_string()),
            reason: Some(&why.reason),
            ticket: Some(why.ticket.as_str()),
            outcome: "success",
            detail,
        },
    )
    .await
}

fn own_change(message: &str) -> ApiError {
    ApiError::Denied { code: ErrorCode::OwnChange, message: message.into() }
}

/// Invites a new staff member: their row (no password, no authenticator yet) and a mailed
/// single-use enrolment link. Inviting an address whose enrolment never finished sends a new
/// link (the old one stops working); an enrolled address is refused.
pub async fn invite(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    req: &InviteRequest,
) -> ApiResult<InviteSent> {
    let email = EmailAddress::parse(&req.email).map_err(|m| ApiError::invalid("email", m))?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "a name is 1 to 100 characters"));
    }
    let why = why(&req.reason, &req.ticket)?;
    let mut tx = begin_write(db).await?;
    // Either a new row, or the existing one when it never enrolled; an enrolled one stays as is.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms) VALUES ($1, $2, $3, '', '', $4) \
         ON CONFLICT (email) DO UPDATE SET name = excluded.name, role = excluded.role \
         WHERE agents.enrolled_ms IS NULL AND agents.password_hash = '' RETURNING id",
    )
    .bind(email.as_str())
    .bind(name)
    .bind(req.role.as_str())
    .bind(now_ms)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(ApiError::Conflict {
            code: ErrorCode::StaffExists,
            message: "a staff member with this email address has already enrolled".into(),
        });
    };
    let link = enrol::issue_link(&mut tx, config, now_ms, id, enrol::Purpose::Invite, Some(session.agent.id)).await?;
    let hours = config.staff_invite_ttl_secs / 3600;
    let body = format!(
        "Hello {name},\n\n{} invited you to Recovery Desk as {} {}.\n\n\
         Open this link within {hours} hours to choose a password and set up your authenticator app:\n\n{link}\n\n\
         The link works once. If you did not expect this, ignore this email.\n",
        session.agent.name,
        if req.role == Role::Agent { "an" } else { "a" },
        req.role.as_str()
    );
    let email_id = outbox::enqueue(
        &mut tx,
        now_ms,
        outbox::Mail {
            account_id: None,
            action_id: None,
            token_id: None,
            kind: "staff_invite",
            to: email.as_str(),
            subject: "You are invited to Recovery Desk",
            body: &body,
        },
    )
    .await?;
    record(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::StaffInvite,
        id,
        &why,
        json!({ "email": email.as_str(), "role": req.role.as_str(), "email_id": email_id }),
    )
    .await?;
    let member = member(&mut tx, id, now_ms).await?;
    tx.commit().await?;
    Ok(InviteSent { member, email: EmailRef { id: email_id, status: EmailStatus::Queued } })
}

/// A new role. Nobody raises their own role, and the last active admin stays an admin.
pub async fn change_role(
    db: &SqlitePool,
    now_ms: i64,
    session: &Session,
    client: &str,
    id: i64,
    req: &RoleChange,
) -> ApiResult<StaffMember> {
    let why = why(&req.reason, &req.ticket)?;
    if id == session.agent.id && rank(req.role) > rank(session.agent.role) {
        return Err(own_change("you cannot raise your own role; ask another admin"));
    }
    let mut tx = begin_write(db).await?;
    let before = member(&mut tx, id, now_ms).await?;
    let changed = sqlx::query(
        "UPDATE agents SET role = $1 WHERE id = $2 AND (role <> 'admin' OR $1 = 'admin' OR EXISTS \
         (SELECT 1 FROM agents o WHERE o.role = 'admin' AND o.disabled = 0 AND o.enrolled_ms IS NOT NULL AND o.id <> $2))",
    )
    .bind(req.role.as_str())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(last_admin());
    }
    record(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::StaffRoleChange,
        id,
        &why,
        json!({ "from": before.role.as_str(), "to": req.role.as_str() }),
    )
    .await?;
    let after = member(&mut tx, id, now_ms).await?;
    tx.commit().await?;
    Ok(after)
}

fn last_admin() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::LastAdmin,
        message: "this would leave the desk without an active admin; make someone else admin first".into(),
    }
}

/// Disables (every session ends in the same transaction) or re-enables a staff member.
pub async fn set_disabled(
    db: &SqlitePool,
    now_ms: i64,
    session: &Session,
    client: &str,
    id: i64,
    disable: bool,
    change: &StaffChange,
) -> ApiResult<StaffMember> {
    let why = why(&change.reason, &change.ticket)?;
    if disable && id == session.agent.id {
        return Err(own_change("you cannot disable yourself; ask another admin"));
    }
    let mut tx = begin_write(db).await?;
    member(&mut tx, id, now_ms).await?;
    let (action, ended) = if disable {
        let changed = sqlx::query(
            "UPDATE agents SET disabled = 1 WHERE id = $1 AND disabled = 0 AND (role <> 'admin' OR EXISTS \
             (SELECT 1 FROM agents o WHERE o.role = 'admin' AND o.disabled = 0 AND o.enrolled_ms IS NOT NULL AND o.id <> $1))",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            let disabled: i64 =
                sqlx::query_scalar("SELECT disabled FROM agents WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
            return Err(if disabled != 0 {
                ApiError::Conflict {
                    code: ErrorCode::InvalidState,
                    message: "this staff member is disabled already".into(),
                }
            } else {
                last_admin()
            });
        }
        let ended = end_sessions(&mut tx, id, now_ms).await?;
        (AuditAction::StaffDisable, ended)
    } else {
        let changed = sqlx::query("UPDATE agents SET disabled = 0 WHERE id = $1 AND disabled = 1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            return Err(ApiError::Conflict {
                code: ErrorCode::InvalidState,
                message: "this staff member is not disabled".into(),
            });
        }
        (AuditAction::StaffEnable, 0)
    };
    record(&mut tx, now_ms, &session.actor(client), action, id, &why, json!({ "sessions_ended": ended })).await?;
    let after = member(&mut tx, id, now_ms).await?;
    tx.commit().await?;
    Ok(after)
}

async fn end_sessions(conn: &mut SqliteConnection, agent_id: i64, now_ms: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("UPDATE agent_sessions SET revoked_ms = $1 WHERE agent_id = $2 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(agent_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// The first half of an authenticator reset: one admin asks, with a reason and a ticket.
pub async fn request_mfa_reset(
    db: &SqlitePool,
    now_ms: i64,
    session: &Session,
    client: &str,
    id: i64,
    change: &StaffChange,
) -> ApiResult<StaffMember> {
    let why = why(&change.reason, &change.ticket)?;
    let mut tx = begin_write(db).await?;
    let target = member(&mut tx, id, now_ms).await?;
    if target.enrolment != EnrolmentState::Enrolled {
        return Err(ApiError::Conflict {
            code: ErrorCode::InvalidState,
            message: "this staff member has no authenticator enrolled; their enrolment link sets one up".into(),
        });
    }
    let reset_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO staff_mfa_resets (agent_id, requested_by, reason, ticket, requested_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(session.agent.id)
    .bind(&why.reason)
    .bind(why.ticket.as_str())
    .bind(now_ms)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(reset_id) = reset_id else {
        return Err(ApiError::Conflict {
            code: ErrorCode::InvalidState,
            message: "an authenticator reset for this staff member already waits for approval".into(),
        });
    };
    record(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::StaffMfaResetRequest,
        id,
        &why,
        json!({ "reset_id": reset_id }),
    )
    .await?;
    let after = member(&mut tx, id, now_ms).await?;
    tx.commit().await?;
    Ok(after)
}

/// The second half: a different admin (neither the one who asked nor the one being reset)
/// approves. The old authenticator and backup codes stop working, every session ends, and a
/// link to enrol a new authenticator is mailed.
pub async fn approve_mfa_reset(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    reset_id: i64,
    change: &StaffChange,
) -> ApiResult<StaffMember> {
    let why = why(&change.reason, &change.ticket)?;
    let mut tx = begin_write(db).await?;
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE staff_mfa_resets SET approved_by = $1, approved_ms = $2 \
         WHERE id = $3 AND approved_ms IS NULL AND requested_by <> $1 AND agent_id <> $1 RETURNING agent_id, requested_by",
    )
    .bind(session.agent.id)
    .bind(now_ms)
    .bind(reset_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((agent_id, requested_by)) = row else {
        let found: Option<(i64, i64, Option<i64>)> =
            sqlx::query_as("SELECT agent_id, requested_by, approved_ms FROM staff_mfa_resets WHERE id = $1")
                .bind(reset_id)
                .fetch_optional(&mut *tx)
                .await?;
        return Err(match found {
            None => ApiError::NotFound("authenticator reset"),
            Some((_, _, Some(_))) => ApiError::Conflict {
                code: ErrorCode::InvalidState,
                message: "this authenticator reset was approved already".into(),
            },
            Some((target, _, None)) if target == session.agent.id => {
                own_change("you cannot approve a reset of your own authenticator; another admin must")
            }
            Some(_) => own_change("you asked for this reset; a second admin must approve it"),
        });
    };
    sqlx::query("UPDATE agents SET totp_secret = '', enrolled_ms = NULL WHERE id = $1")
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE staff_backup_codes SET used_ms = $1 WHERE agent_id = $2 AND used_ms IS NULL")
        .bind(now_ms)
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
    let ended = end_sessions(&mut tx, agent_id, now_ms).await?;
    let (email, name): (String, String) =
        sqlx::query_as("SELECT email, name FROM agents WHERE id = $1").bind(agent_id).fetch_one(&mut *tx).await?;
    let link = enrol::issue_link(
        &mut tx,
        config,
        now_ms,
        agent_id,
        enrol::Purpose::AuthenticatorReset,
        Some(session.agent.id),
    )
    .await?;
    let hours = config.staff_invite_ttl_secs / 3600;
    let body = format!(
        "Hello {name},\n\nYour Recovery Desk authenticator was reset, as you asked the admins.\n\n\
         Open this link within {hours} hours, confirm your password and set up your new authenticator app:\n\n{link}\n\n\
         The link works once. If you did not ask for this, tell your admins at once.\n"
    );
    let email_id = outbox::enqueue(
        &mut tx,
        now_ms,
        outbox::Mail {
            account_id: None,
            action_id: None,
            token_id: None,
            kind: "staff_mfa_reset",
            to: &email,
            subject: "Set up your new authenticator",
            body: &body,
        },
    )
    .await?;
    record(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::StaffMfaResetApprove,
        agent_id,
        &why,
        json!({ "reset_id": reset_id, "requested_by": requested_by, "sessions_ended": ended, "email_id": email_id }),
    )
    .await?;
    let after = member(&mut tx, agent_id, now_ms).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn sso_required(conn: &mut SqliteConnection) -> sqlx::Result<bool> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'sso_required'").fetch_optional(&mut *conn).await?;
    Ok(v.as_deref() == Some("true"))
}

pub async fn sso_settings(db: &SqlitePool, config: &Config) -> ApiResult<SsoSettings> {
    let mut conn = db.acquire().await?;
    Ok(SsoSettings { configured: config.oidc.is_some(), required: sso_required(&mut conn).await? })
}

pub async fn set_sso_required(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    required: bool,
    change: &StaffChange,
) -> ApiResult<SsoSettings> {
    let why = why(&change.reason, &change.ticket)?;
    if required && config.oidc.is_none() {
        return Err(ApiError::Conflict {
            code: ErrorCode::InvalidState,
            message: "configure an OpenID provider (`oidc` in the service's settings) before requiring it".into(),
        });
    }
    let mut tx = begin_write(db).await?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_ms, updated_by) VALUES ('sso_required', $1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
    )
    .bind(if required { "true" } else { "false" })
    .bind(now_ms)
    .bind(session.agent.id)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::SsoSetting,
        session.agent.id,
        &why,
        json!({ "required": required }),
    )
    .await?;
    tx.commit().await?;
    Ok(SsoSettings { configured: config.oidc.is_some(), required })
}

/// Why a password + code sign-in with correct credentials must still be refused: the staff
/// member has not finished enrolling (e.g. mid authenticator reset), or single sign-on is required.
pub async fn local_sign_in_refusal(db: &SqlitePool, agent_id: i64) -> sqlx::Result<Option<ApiError>> {
    let mut conn = db.acquire().await?;
    let enrolled: Option<i64> = sqlx::query_scalar("SELECT enrolled_ms FROM agents WHERE id = $1")
        .bind(agent_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    if enrolled.is_none() {
        return Ok(Some(ApiError::InvalidCredentials));
    }
    if sso_required(&mut conn).await? {
        return Ok(Some(ApiError::Denied {
            code: ErrorCode::SsoRequired,
            message: "this desk requires single sign-on: use \"Sign in with your company account\"".into(),
        }));
    }
    Ok(None)
}

/// Spends one of the staff member's backup codes (each works once, even against racing sign-ins).
pub async fn use_backup_code(
    db: &SqlitePool,
    keys: &crate::crypto::Keys,
    agent_id: i64,
    code: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    if vault::normalise_code(code).len() != 8 {
        return Ok(false);
    }
    Ok(sqlx::query(
        "UPDATE staff_backup_codes SET used_ms = $1 WHERE id = \
         (SELECT id FROM staff_backup_codes WHERE agent_id = $2 AND code_hash = $3 AND used_ms IS NULL LIMIT 1) \
         AND used_ms IS NULL",
    )
    .bind(now_ms)
    .bind(agent_id)
    .bind(vault::backup_code_hash(keys, code))
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
