//! The account actions a support call needs beside the resets: unlock an account locked by
//! failed sign-ins, send a verification email to an unverified address, end every session of the
//! user. Each takes a reason and a ticket, is idempotent, meets the same limits as the resets,
//! may need a recent caller verification, and writes its timeline event, its emails and its
//! audit entry in one transaction.

use desk_api::{AccountStatus, ActionDone, ActivityKind, AuditAction, EmailRef, EmailStatus, ErrorCode, ReasonCode};
use serde_json::json;

use super::events::{self, Event};
use super::recovery::{limit_reached, ActionKind, Outcome, ValidRequest};
use super::{caller_verification, idempotency, outbox, vault, Acting, DomainError, DomainResult};
use crate::audit::{self, Entry};
use crate::store::{self, Conn, Db, StoreResult};
use crate::Config;

/// How long a verification link works.
pub const VERIFICATION_TTL_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Unlock,
    VerificationEmail { email_id: i64 },
    EndSessions,
}

impl AccountAction {
    /// The name in `agent_actions`, the audit log and the caller-verification setting.
    pub fn name(self) -> &'static str {
        self.audit().as_str()
    }
    fn audit(self) -> AuditAction {
        match self {
            AccountAction::Unlock => AuditAction::Unlock,
            AccountAction::VerificationEmail { .. } => AuditAction::VerificationEmail,
            AccountAction::EndSessions => AuditAction::EndSessions,
        }
    }
    fn done(self) -> &'static str {
        match self {
            AccountAction::Unlock => "this account was unlocked",
            AccountAction::VerificationEmail { .. } => "a verification email was sent to this account",
            AccountAction::EndSessions => "every session of this account was ended",
        }
    }
}

/// The action's own rule on its request: ending sessions is for suspected compromise only.
pub fn check_reason(action: AccountAction, valid: &ValidRequest) -> DomainResult<()> {
    if action == AccountAction::EndSessions && valid.request.reason != ReasonCode::SuspectedCompromise {
        return Err(DomainError::invalid("reason", "ending every session needs the reason suspected_compromise"));
    }
    Ok(())
}

/// Takes the action under the agent's `Idempotency-Key`. As with the resets, the key is claimed
/// first and the agent's and the account's rows are locked before the limits are read, so the
/// limits hold across instances.
#[tracing::instrument(name = "account_actions.perform", skip_all, fields(agent = by.session.agent.id, account = account_id, action = action.name()))]
pub async fn perform(
    db: &Db,
    by: &Acting<'_>,
    account_id: i64,
    action: AccountAction,
    valid: ValidRequest,
    idem_key: &str,
) -> DomainResult<Outcome> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    check_reason(action, &valid)?;
    let ValidRequest { request, ticket } = valid;
    let email_param = match action {
        AccountAction::VerificationEmail { email_id } => Some(email_id),
        _ => None,
    };
    let request_hash = crate::crypto::sha256_hex(
        json!({"account": account_id, "kind": action.name(), "email": email_param, "request": request})
            .to_string()
            .as_bytes(),
    );
    let agent_id = session.agent.id;
    let mut tx = db.write().await?;
    if let Some(replay) = idempotency::claim(&mut tx, agent_id, idem_key, &request_hash, now_ms).await? {
        return Ok(Outcome { status: replay.status, body: replay.body });
    }
    store::staff::lock(&mut tx, agent_id).await?;
    let Some(account) = store::accounts::lock_with_status(&mut tx, account_id).await? else {
        return Err(DomainError::NotFound("account"));
    };
    let username = account.username;
    // What the action needs of the account, before any limit is spent on it.
    let unverified_to = match action {
        AccountAction::Unlock if account.status != AccountStatus::Locked => {
            return Err(conflict("this account is not locked"));
        }
        AccountAction::VerificationEmail { email_id } => {
            match store::accounts::address_state(&mut tx, account_id, email_id).await? {
                None => return Err(DomainError::NotFound("email address")),
                Some(a) if a.verified.0 => return Err(conflict("this address is verified already")),
                Some(a) => Some(a.email),
            }
        }
        _ => None,
    };
    // The entry of this action, refused or done: the same target, reason and ticket either way.
    let target_id = account_id.to_string();
    let audited = |outcome, detail| Entry {
        action: action.audit(),
        target_type: Some("account"),
        target_id: Some(target_id.clone()),
        reason: Some(request.reason.as_str()),
        ticket: Some(ticket.as_str()),
        outcome,
        detail,
    };
    let refusal = match caller_verification::require(&mut tx, by, account_id, action.audit(), action.name()).await? {
        Err(e) => Some(("", e)),
        Ok(()) => {
            let kind = ActionKind { name: action.name(), human: action.done() };
            limit_reached(&mut tx, config, now_ms, agent_id, account_id, kind).await?
        }
    };
    if let Some((outcome, error)) = refusal {
        // `require` audited its own refusal; a limit's is audited here.
        if !outcome.is_empty() {
            let entry = audited(outcome, json!({ "retry_after": error.retry_after() }));
            audit::record(&mut tx, now_ms, &session.actor(by.client), entry).await?;
        }
        // A retry after the wait (or the verification) is a new attempt, not a replay of this refusal.
        idempotency::release(&mut tx, agent_id, idem_key).await?;
        store::commit(tx).await?;
        return Err(error);
    }

    let new_action = store::recovery::NewAction {
        agent_id,
        account_id,
        kind: action.name(),
        reason: request.reason,
        ticket: ticket.as_str(),
        note: request.note.as_deref(),
        created_ms: now_ms,
    };
    let action_id = store::recovery::insert_action(&mut tx, &new_action).await?;
    let why = format!("{}, ticket {}", request.reason.label(), ticket.as_str());
    let agent = &session.agent.name;
    let (emails, sessions_ended, kind, summary) = match action {
        AccountAction::Unlock => {
            if !store::accounts::unlock(&mut tx, account_id).await? {
                return Err(conflict("this account is not locked"));
            }
            let body = format!(
                "Hello {username},\n\nAt your request, our support team unlocked your account, which was locked after \
                 too many failed sign-ins. You can sign in again now.\n\n\
                 If you did not contact support, someone may be trying to get into your account: reset your password \
                 at once and reply to this email.\n"
            );
            let ids = notices(&mut tx, now_ms, account_id, action_id, "Your account was unlocked", &body).await?;
            (ids, 0, ActivityKind::AccountUnlocked, format!("{agent} unlocked the account ({why})"))
        }
        AccountAction::VerificationEmail { email_id } => {
            let to = unverified_to.unwrap_or_default();
            let link = VerificationFor { account_id, email_id, action_id, to: &to, username: &username };
            let id = verification_email(&mut tx, config, now_ms, link).await?;
            (vec![id], 0, ActivityKind::VerificationSent, format!("{agent} sent a verification email ({why})"))
        }
        AccountAction::EndSessions => {
            let ended = store::accounts::end_sessions(&mut tx, account_id, now_ms).await?;
            let body = format!(
                "Hello {username},\n\nOur support team signed you out everywhere ({ended} sessions), because your \
                 account may be in someone else's hands.\n\n\
                 Sign in again, change your password, and check your two-step verification and recovery addresses. \
                 If you did not contact support, reply to this email.\n"
            );
            let ids = notices(&mut tx, now_ms, account_id, action_id, "You were signed out everywhere", &body).await?;
            (ids, ended, ActivityKind::SessionsEnded, format!("{agent} ended {ended} sessions ({why})"))
        }
    };
    let event = Event {
        account_id,
        kind,
        summary,
        actor_email: Some(&session.agent.email),
        email_id: emails.first().copied(),
        token_id: None,
    };
    events::record(&mut tx, now_ms, event).await?;
    let answer = ActionDone {
        action_id,
        emails: emails.iter().map(|id| EmailRef { id: *id, status: EmailStatus::Queued }).collect(),
        sessions_ended,
    };
    let body = serde_json::to_value(&answer).map_err(|e| DomainError::Internal(e.into()))?;
    idempotency::answer(&mut tx, agent_id, idem_key, 202, &body).await?;
    let entry = audited(
        "success",
        json!({ "action_id": action_id, "email_ids": emails, "email_id": email_param,
                "sessions_ended": sessions_ended, "note": request.note }),
    );
    // Last: the chain's head is held from here to the commit.
    audit::record(&mut tx, now_ms, &session.actor(by.client), entry).await?;
    store::commit(tx).await?;
    Ok(Outcome { status: 202, body })
}

fn conflict(message: &str) -> DomainError {
    DomainError::conflict(ErrorCode::InvalidState, message)
}

/// A notice to every verified address, each email tied to the action.
async fn notices(
    conn: &mut Conn,
    now_ms: i64,
    account_id: i64,
    action_id: i64,
    subject: &str,
    body: &str,
) -> StoreResult<Vec<i64>> {
    let ids = outbox::notify_all(&mut *conn, now_ms, account_id, subject, body).await?;
    for id in &ids {
        store::outbox::tie_to_action(conn, *id, action_id).await?;
    }
    Ok(ids)
}

/// Where a verification link goes.
struct VerificationFor<'a> {
    account_id: i64,
    email_id: i64,
    action_id: i64,
    to: &'a str,
    username: &'a str,
}

async fn verification_email(conn: &mut Conn, config: &Config, now_ms: i64, v: VerificationFor<'_>) -> StoreResult<i64> {
    let token = vault::new_link_token();
    let token_hash = vault::link_token_hash(&token);
    let row = store::verifications::NewVerification {
        account_id: v.account_id,
        email_id: v.email_id,
        token_hash: &token_hash,
        action_id: v.action_id,
        created_ms: now_ms,
        expires_ms: now_ms + VERIFICATION_TTL_MS,
    };
    store::verifications::insert(conn, &row).await?;
    let link = format!("{}/verify-email/{token}", config.public_url());
    let username = v.username;
    let body = format!(
        "Hello {username},\n\nPlease confirm that this address belongs to you, so that we can send your recovery \
         emails here. Open this link within 24 hours:\n\n{link}\n\n\
         If you do not have an account with us, ignore this email.\n"
    );
    let mail = outbox::Mail {
        account_id: Some(v.account_id),
        action_id: Some(v.action_id),
        token_id: None,
        kind: "verification_email",
        to: v.to,
        subject: "Confirm your email address",
        body: &body,
    };
    outbox::enqueue(conn, now_ms, mail).await
}

/// What opening a verification link found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    Unknown,
    Expired,
    Used,
}

/// The user confirms the address: the link is used up and the address marked verified, once.
#[tracing::instrument(name = "account_actions.verify_email", skip_all)]
pub async fn verify_email(db: &Db, token: &str, now_ms: i64, client: &str) -> DomainResult<Verification> {
    if token.len() != 43 {
        return Ok(Verification::Unknown);
    }
    let hash = vault::link_token_hash(token);
    let mut tx = db.write().await?;
    let Some(used) = store::verifications::use_link(&mut tx, &hash, now_ms).await? else {
        return Ok(match store::verifications::used_ms(&mut tx, &hash).await? {
            None => Verification::Unknown,
            Some(Some(_)) => Verification::Used,
            Some(None) => Verification::Expired,
        });
    };
    store::accounts::mark_verified(&mut tx, used.email_id).await?;
    let event = Event {
        account_id: used.account_id,
        kind: ActivityKind::EmailVerified,
        summary: "The user confirmed an address through a verification email".into(),
        actor_email: None,
        email_id: None,
        token_id: None,
    };
    events::record(&mut tx, now_ms, event).await?;
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(used.account_id.to_string()),
        detail: json!({ "email_id": used.email_id }),
        ..Entry::new(AuditAction::EmailVerified, "success")
    };
    audit::record(&mut tx, now_ms, &audit::Actor::anonymous(client), entry).await?;
    store::commit(tx).await?;
    Ok(Verification::Verified)
}
