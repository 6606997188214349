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

use super::{outbox, vault, Acting, DomainError, DomainResult};
use crate::audit::{self, Entry};
use crate::clock::from_ms;
use crate::store::staff::MemberRow;
use crate::store::{self, Conn, Db, StoreResult};
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

pub fn why(reason: &str, ticket: &str) -> DomainResult<Why> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if !(3..=500).contains(&n) || reason.chars().any(char::is_control) {
        return Err(DomainError::invalid("reason", "say why in 3 to 500 characters"));
    }
    let ticket = Ticket::parse(ticket).map_err(|m| DomainError::invalid("ticket", m))?;
    Ok(Why { reason: reason.to_string(), ticket })
}

fn to_member(r: MemberRow) -> StaffMember {
    let enrolment = match (r.enrolled_ms, r.password_hash.is_empty()) {
        (Some(_), _) => EnrolmentState::Enrolled,
        (None, true) => EnrolmentState::Pending,
        (None, false) => EnrolmentState::AuthenticatorReset,
    };
    let status = if r.disabled.0 {
        StaffStatus::Disabled
    } else if enrolment == EnrolmentState::Pending {
        StaffStatus::Invited
    } else {
        StaffStatus::Active
    };
    StaffMember {
        id: r.id,
        email: r.email,
        name: r.name,
        role: r.role,
        status,
        enrolment,
        last_sign_in_at: r.last_sign_in_ms.map(from_ms),
        enrolment_link_expires_at: r.link_expires_ms.map(from_ms),
        pending_mfa_reset: match (r.reset_id, r.reset_by_id, r.reset_ms) {
            (Some(id), Some(by_id), Some(at)) => Some(PendingMfaReset {
                id,
                requested_by_id: by_id,
                // The LEFT JOINs give a waiting reset's texts whenever they give its id.
                requested_by: r.reset_by.unwrap_or_default(),
                requested_at: from_ms(at),
                reason: r.reset_reason.unwrap_or_default(),
                ticket: r.reset_ticket.unwrap_or_default(),
            }),
            _ => None,
        },
    }
}

/// Every staff member, admins first, then by name.
pub async fn list(db: &Db, now_ms: i64) -> DomainResult<Vec<StaffMember>> {
    let rows = store::staff::members(&mut *db.acquire().await?, now_ms).await?;
    Ok(rows.into_iter().map(to_member).collect())
}

pub async fn member(conn: &mut Conn, id: i64, now_ms: i64) -> DomainResult<StaffMember> {
    store::staff::member(conn, id, now_ms).await?.map(to_member).ok_or(DomainError::NotFound("staff member"))
}

async fn record(
    conn: &mut Conn,
    by: &Acting<'_>,
    action: AuditAction,
    target: i64,
    why: &Why,
    detail: serde_json::Value,
) -> StoreResult<i64> {
    let entry = Entry {
        action,
        target_type: Some("agent"),
        target_id: Some(target.to_string()),
        reason: Some(&why.reason),
        ticket: Some(why.ticket.as_str()),
        outcome: "success",
        detail,
    };
    audit::record(conn, by.now_ms, &by.session.actor(by.client), entry).await
}

fn own_change(message: &str) -> DomainError {
    DomainError::Denied { code: ErrorCode::OwnChange, message: message.into() }
}

/// Invites a new staff member: their row (no password, no authenticator yet) and a mailed
/// single-use enrolment link. Inviting an address whose enrolment never finished sends a new
/// link (the old one stops working); an enrolled address is refused.
#[tracing::instrument(name = "staff.invite", skip_all, fields(agent = by.session.agent.id))]
pub async fn invite(db: &Db, by: &Acting<'_>, req: &InviteRequest) -> DomainResult<InviteSent> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    let email = EmailAddress::parse(&req.email).map_err(|m| DomainError::invalid("email", m))?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(DomainError::invalid("name", "a name is 1 to 100 characters"));
    }
    let why = why(&req.reason, &req.ticket)?;
    let mut tx = db.write().await?;
    // Either a new row, or the existing one when it never enrolled; an enrolled one stays as is.
    let Some(id) = store::staff::invite(&mut tx, email.as_str(), name, req.role, now_ms).await? else {
        return Err(DomainError::conflict(
            ErrorCode::StaffExists,
            "a staff member with this email address has already enrolled",
        ));
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
    let mail = outbox::Mail {
        account_id: None,
        action_id: None,
        token_id: None,
        kind: "staff_invite",
        to: email.as_str(),
        subject: "You are invited to Recovery Desk",
        body: &body,
    };
    let email_id = outbox::enqueue(&mut tx, now_ms, mail).await?;
    let member = member(&mut tx, id, now_ms).await?;
    let detail = json!({ "email": email.as_str(), "role": req.role.as_str(), "email_id": email_id });
    record(&mut tx, by, AuditAction::StaffInvite, id, &why, detail).await?;
    store::commit(tx).await?;
    Ok(InviteSent { member, email: EmailRef { id: email_id, status: EmailStatus::Queued } })
}

/// A new role. Nobody raises their own role, and the last active admin stays an admin.
#[tracing::instrument(name = "staff.change_role", skip_all, fields(agent = by.session.agent.id, staff = id))]
pub async fn change_role(db: &Db, by: &Acting<'_>, id: i64, req: &RoleChange) -> DomainResult<StaffMember> {
    let (now_ms, session) = (by.now_ms, by.session);
    let why = why(&req.reason, &req.ticket)?;
    if id == session.agent.id && rank(req.role) > rank(session.agent.role) {
        return Err(own_change("you cannot raise your own role; ask another admin"));
    }
    retrying(|| async {
        let mut tx = db.write().await?;
        lock_admins_as(&mut tx, session.agent.id).await?;
        let before = member(&mut tx, id, now_ms).await?;
        if !store::staff::set_role_keeping_an_admin(&mut tx, id, req.role).await? {
            return Err(last_admin());
        }
        let after = member(&mut tx, id, now_ms).await?;
        let detail = json!({ "from": before.role.as_str(), "to": req.role.as_str() });
        record(&mut tx, by, AuditAction::StaffRoleChange, id, &why, detail).await?;
        store::commit(tx).await?;
        Ok(after)
    })
    .await
}

/// Takes the admins' rows, then checks that the acting admin is still one: a demotion or a
/// disabling that committed while this request waited for the rows ends its authority here,
/// not only at its next request.
async fn lock_admins_as(conn: &mut Conn, actor: i64) -> DomainResult<()> {
    store::staff::lock_admins(conn).await?;
    if !store::staff::is_active_admin(conn, actor).await? {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

/// Runs a staff change again when PostgreSQL ended it to break a deadlock or a serialization
/// conflict (nothing of it was written): admins changing each other at once must get answers,
/// not 500s.
async fn retrying<T, F, Fut>(mut attempt: F) -> DomainResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = DomainResult<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(DomainError::Store(e)) if e.is_retryable() && tries < 5 => {
                tracing::info!(error = %e, tries, "a staff change met a concurrent one; running it again");
            }
            other => return other,
        }
    }
}

fn last_admin() -> DomainError {
    DomainError::conflict(
        ErrorCode::LastAdmin,
        "this would leave the desk without an active admin; make someone else admin first",
    )
}

/// Disables (every session ends in the same transaction) or re-enables a staff member.
#[tracing::instrument(name = "staff.set_disabled", skip_all, fields(agent = by.session.agent.id, staff = id, disable = disable))]
pub async fn set_disabled(
    db: &Db,
    by: &Acting<'_>,
    id: i64,
    disable: bool,
    change: &StaffChange,
) -> DomainResult<StaffMember> {
    let (now_ms, session) = (by.now_ms, by.session);
    let why = why(&change.reason, &change.ticket)?;
    if disable && id == session.agent.id {
        return Err(own_change("you cannot disable yourself; ask another admin"));
    }
    retrying(|| async {
        let mut tx = db.write().await?;
        lock_admins_as(&mut tx, session.agent.id).await?;
        member(&mut tx, id, now_ms).await?;
        let (action, ended) = if disable {
            if !store::staff::disable_keeping_an_admin(&mut tx, id).await? {
                let disabled =
                    store::staff::is_disabled(&mut tx, id).await?.ok_or(DomainError::NotFound("staff member"))?;
                return Err(if disabled.0 {
                    DomainError::conflict(ErrorCode::InvalidState, "this staff member is disabled already")
                } else {
                    last_admin()
                });
            }
            let ended = store::staff::end_sessions(&mut tx, id, now_ms).await?;
            (AuditAction::StaffDisable, ended)
        } else {
            if !store::staff::enable(&mut tx, id).await? {
                return Err(DomainError::conflict(ErrorCode::InvalidState, "this staff member is not disabled"));
            }
            (AuditAction::StaffEnable, 0)
        };
        let after = member(&mut tx, id, now_ms).await?;
        record(&mut tx, by, action, id, &why, json!({ "sessions_ended": ended })).await?;
        store::commit(tx).await?;
        Ok(after)
    })
    .await
}

/// The first half of an authenticator reset: one admin asks, with a reason and a ticket.
#[tracing::instrument(name = "staff.request_mfa_reset", skip_all, fields(agent = by.session.agent.id, staff = id))]
pub async fn request_mfa_reset(db: &Db, by: &Acting<'_>, id: i64, change: &StaffChange) -> DomainResult<StaffMember> {
    let (now_ms, session) = (by.now_ms, by.session);
    let why = why(&change.reason, &change.ticket)?;
    let mut tx = db.write().await?;
    let target = member(&mut tx, id, now_ms).await?;
    if target.enrolment != EnrolmentState::Enrolled {
        return Err(DomainError::conflict(
            ErrorCode::InvalidState,
            "this staff member has no authenticator enrolled; their enrolment link sets one up",
        ));
    }
    let reset = store::staff::NewMfaReset {
        agent_id: id,
        requested_by: session.agent.id,
        reason: &why.reason,
        ticket: why.ticket.as_str(),
        requested_ms: now_ms,
    };
    let Some(reset_id) = store::staff::request_mfa_reset(&mut tx, &reset).await? else {
        return Err(DomainError::conflict(
            ErrorCode::InvalidState,
            "an authenticator reset for this staff member already waits for approval",
        ));
    };
    let after = member(&mut tx, id, now_ms).await?;
    record(&mut tx, by, AuditAction::StaffMfaResetRequest, id, &why, json!({ "reset_id": reset_id })).await?;
    store::commit(tx).await?;
    Ok(after)
}

/// The second half: a different admin (neither the one who asked nor the one being reset)
/// approves. The old authenticator and backup codes stop working, every session ends, and a
/// link to enrol a new authenticator is mailed.
#[tracing::instrument(name = "staff.approve_mfa_reset", skip_all, fields(agent = by.session.agent.id, reset = reset_id))]
pub async fn approve_mfa_reset(
    db: &Db,
    by: &Acting<'_>,
    reset_id: i64,
    change: &StaffChange,
) -> DomainResult<StaffMember> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    let why = why(&change.reason, &change.ticket)?;
    let mut tx = db.write().await?;
    let Some(reset) = store::staff::approve_mfa_reset(&mut tx, reset_id, session.agent.id, now_ms).await? else {
        return Err(match store::staff::mfa_reset(&mut tx, reset_id).await? {
            None => DomainError::NotFound("authenticator reset"),
            Some(r) if r.approved_ms.is_some() => {
                DomainError::conflict(ErrorCode::InvalidState, "this authenticator reset was approved already")
            }
            Some(r) if r.agent_id == session.agent.id => {
                own_change("you cannot approve a reset of your own authenticator; another admin must")
            }
            Some(_) => own_change("you asked for this reset; a second admin must approve it"),
        });
    };
    let agent_id = reset.agent_id;
    store::staff::clear_authenticator(&mut tx, agent_id).await?;
    store::staff::void_backup_codes(&mut tx, agent_id, now_ms).await?;
    let ended = store::staff::end_sessions(&mut tx, agent_id, now_ms).await?;
    let contact = store::staff::contact(&mut tx, agent_id).await?.ok_or(DomainError::NotFound("staff member"))?;
    let purpose = enrol::Purpose::AuthenticatorReset;
    let link = enrol::issue_link(&mut tx, config, now_ms, agent_id, purpose, Some(session.agent.id)).await?;
    let hours = config.staff_invite_ttl_secs / 3600;
    let name = &contact.name;
    let body = format!(
        "Hello {name},\n\nYour Recovery Desk authenticator was reset, as you asked the admins.\n\n\
         Open this link within {hours} hours, confirm your password and set up your new authenticator app:\n\n{link}\n\n\
         The link works once. If you did not ask for this, tell your admins at once.\n"
    );
    let mail = outbox::Mail {
        account_id: None,
        action_id: None,
        token_id: None,
        kind: "staff_mfa_reset",
        to: &contact.email,
        subject: "Set up your new authenticator",
        body: &body,
    };
    let email_id = outbox::enqueue(&mut tx, now_ms, mail).await?;
    let after = member(&mut tx, agent_id, now_ms).await?;
    let detail = json!({ "reset_id": reset_id, "requested_by": reset.requested_by, "sessions_ended": ended,
                         "email_id": email_id });
    record(&mut tx, by, AuditAction::StaffMfaResetApprove, agent_id, &why, detail).await?;
    store::commit(tx).await?;
    Ok(after)
}

pub async fn sso_required(conn: &mut Conn) -> StoreResult<bool> {
    Ok(store::staff::setting(conn, "sso_required").await?.as_deref() == Some("true"))
}

pub async fn sso_settings(db: &Db, config: &Config) -> DomainResult<SsoSettings> {
    let required = sso_required(&mut *db.acquire().await?).await?;
    Ok(SsoSettings { configured: config.oidc.is_some(), required })
}

#[tracing::instrument(name = "staff.set_sso_required", skip_all, fields(agent = by.session.agent.id, required = required))]
pub async fn set_sso_required(
    db: &Db,
    by: &Acting<'_>,
    required: bool,
    change: &StaffChange,
) -> DomainResult<SsoSettings> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    let why = why(&change.reason, &change.ticket)?;
    if required && config.oidc.is_none() {
        return Err(DomainError::conflict(
            ErrorCode::InvalidState,
            "configure an OpenID provider (`oidc` in the service's settings) before requiring it",
        ));
    }
    let mut tx = db.write().await?;
    let value = if required { "true" } else { "false" };
    store::staff::put_setting(&mut tx, "sso_required", value, now_ms, session.agent.id).await?;
    record(&mut tx, by, AuditAction::SsoSetting, session.agent.id, &why, json!({ "required": required })).await?;
    store::commit(tx).await?;
    Ok(SsoSettings { configured: config.oidc.is_some(), required })
}

/// Why a password + code sign-in with correct credentials must still be refused: the staff
/// member has not finished enrolling (e.g. mid authenticator reset), or single sign-on is required.
pub async fn local_sign_in_refusal(conn: &mut Conn, agent_id: i64) -> StoreResult<Option<DomainError>> {
    if store::staff::enrolled_ms(conn, agent_id).await?.flatten().is_none() {
        return Ok(Some(DomainError::InvalidCredentials));
    }
    if sso_required(conn).await? {
        return Ok(Some(DomainError::Denied {
            code: ErrorCode::SsoRequired,
            message: "this desk requires single sign-on: use \"Sign in with your company account\"".into(),
        }));
    }
    Ok(None)
}

/// Spends one of the staff member's backup codes (each works once, even against racing sign-ins).
pub async fn use_backup_code(
    db: &Db,
    keys: &crate::crypto::Keys,
    agent_id: i64,
    code: &str,
    now_ms: i64,
) -> DomainResult<bool> {
    if vault::normalise_code(code).len() != 8 {
        return Ok(false);
    }
    let hash = vault::backup_code_hash(keys, code);
    let mut tx = db.write().await?;
    let used = store::staff::use_backup_code(&mut tx, agent_id, &hash, now_ms).await?;
    store::commit(tx).await?;
    Ok(used)
}
