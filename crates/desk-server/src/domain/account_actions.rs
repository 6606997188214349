//! The account actions a support call needs beside the resets: unlock an account locked by
//! failed sign-ins, send a verification email to an unverified address, end every session of the
//! user. Each takes a reason and a ticket, is idempotent, meets the same limits as the resets,
//! may need a recent caller verification, and writes its timeline event, its emails and its
//! audit entry in one transaction.

use desk_api::{ActionDone, ActivityKind, AuditAction, EmailRef, EmailStatus, ErrorCode, ReasonCode};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::events::{self, Event};
use super::recovery::{limit_reached, ActionKind, Outcome, ValidRequest};
use super::sessions::Session;
use super::{caller_verification, idempotency, outbox, vault};
use crate::audit::{self, Entry};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
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
        match self {
            AccountAction::Unlock => "unlock",
            AccountAction::VerificationEmail { .. } => "verification_email",
            AccountAction::EndSessions => "end_sessions",
        }
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
pub fn check_reason(action: AccountAction, valid: &ValidRequest) -> ApiResult<()> {
    if action == AccountAction::EndSessions && valid.request.reason != ReasonCode::SuspectedCompromise {
        return Err(ApiError::invalid("reason", "ending every session needs the reason suspected_compromise"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)] // the storage layer (issue 11) brings a context struct
pub async fn perform(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    account_id: i64,
    action: AccountAction,
    valid: ValidRequest,
    idem_key: &str,
) -> ApiResult<Outcome> {
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
    let mut tx = begin_write(db).await?;
    if let Some(replay) = idempotency::lookup(&mut tx, session.agent.id, idem_key, &request_hash).await? {
        return Ok(Outcome { status: replay.status, body: replay.body });
    }
    let found: Option<(String, String)> = sqlx::query_as("SELECT username, status FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((username, status)) = found else { return Err(ApiError::NotFound("account")) };
    // What the action needs of the account, before any limit is spent on it.
    let unverified_to = match action {
        AccountAction::Unlock if status != "locked" => {
            return Err(conflict("this account is not locked"));
        }
        AccountAction::VerificationEmail { email_id } => {
            let row: Option<(String, i64)> =
                sqlx::query_as("SELECT email, verified FROM account_emails WHERE id = $1 AND account_id = $2")
                    .bind(email_id)
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match row {
                None => return Err(ApiError::NotFound("email address")),
                Some((_, v)) if v != 0 => return Err(conflict("this address is verified already")),
                Some((addr, _)) => Some(addr),
            }
        }
        _ => None,
    };
    let refused = |outcome: &'static str, e: ApiError| (outcome, e);
    let refusal = match caller_verification::require(
        &mut tx,
        config,
        now_ms,
        session,
        client,
        account_id,
        action.audit(),
        action.name(),
    )
    .await?
    {
        Err(e) => Some(refused("", e)),
        Ok(()) => {
            limit_reached(
                &mut tx,
                config,
                now_ms,
                session.agent.id,
                account_id,
                ActionKind { name: action.name(), human: action.done() },
            )
            .await?
        }
    };
    if let Some((outcome, error)) = refusal {
        // `require` audited its own refusal; a limit's is audited here.
        if !outcome.is_empty() {
            audit::record(
                &mut tx,
                now_ms,
                &session.actor(client),
                Entry {
                    action: action.audit(),
                    target_type: Some("account"),
                    target_id: Some(account_id.to_string()),
                    reason: Some(request.reason.as_str()),
                    ticket: Some(ticket.as_str()),
                    outcome,
                    detail: json!({ "retry_after": error.to_problem().retry_after }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        return Err(error);
    }

    let action_id: i64 = sqlx::query_scalar(
        "INSERT INTO agent_actions (agent_id, account_id, kind, reason, ticket, note, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(session.agent.id)
    .bind(account_id)
    .bind(action.name())
    .bind(request.reason.as_str())
    .bind(ticket.as_str())
    .bind(&request.note)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
    let why = format!("{}, {}", request.reason.as_str(), ticket.as_str());
    let agent = &session.agent.name;
    let (emails, sessions_ended, kind, summary) = match action {
        AccountAction::Unlock => {
            let unlocked = sqlx::query("UPDATE accounts SET status = 'active' WHERE id = $1 AND status = 'locked'")
                .bind(account_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if unlocked != 1 {
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
            let id =
                verification_email(&mut tx, config, now_ms, account_id, email_id, action_id, &to, &username).await?;
            (vec![id], 0, ActivityKind::VerificationSent, format!("{agent} sent a verification email ({why})"))
        }
        AccountAction::EndSessions => {
            let ended =
                sqlx::query("UPDATE user_sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL")
                    .bind(now_ms)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
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
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id,
            kind,
            summary,
            actor_email: Some(&session.agent.email),
            email_id: emails.first().copied(),
            token_id: None,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        now_ms,
        &session.actor(client),
        Entry {
            action: action.audit(),
            target_type: Some("account"),
            target_id: Some(account_id.to_string()),
            reason: Some(request.reason.as_str()),
            ticket: Some(ticket.as_str()),
            outcome: "success",
            detail: json!({ "action_id": action_id, "email_ids": emails, "email_id": email_param,
                            "sessions_ended": sessions_ended, "note": request.note }),
        },
    )
    .await?;
    let answer = ActionDone {
        action_id,
        emails: emails.iter().map(|id| EmailRef { id: *id, status: EmailStatus::Queued }).collect(),
        sessions_ended,
    };
    let body = serde_json::to_value(&answer).map_err(|e| ApiError::Internal(e.into()))?;
    idempotency::store(&mut tx, session.agent.id, idem_key, &request_hash, 202, &body, now_ms).await?;
    tx.commit().await?;
    Ok(Outcome { status: 202, body })
}

fn conflict(message: &str) -> ApiError {
    ApiError::Conflict { code: ErrorCode::InvalidState, message: message.into() }
}

/// A notice to every verified address, each email tied to the action.
async fn notices(
    conn: &mut SqliteConnection,
    now_ms: i64,
    account_id: i64,
    action_id: i64,
    subject: &str,
    body: &str,
) -> sqlx::Result<Vec<i64>> {
    let ids = outbox::notify_all(&mut *conn, now_ms, account_id, subject, body).await?;
    for id in &ids {
        sqlx::query("UPDATE outbox SET action_id = $1 WHERE id = $2")
            .bind(action_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(ids)
}

#[allow(clippy::too_many_arguments)] // the storage layer (issue 11) brings a link struct
async fn verification_email(
    conn: &mut SqliteConnection,
    config: &Config,
    now_ms: i64,
    account_id: i64,
    email_id: i64,
    action_id: i64,
    to: &str,
    username: &str,
) -> sqlx::Result<i64> {
    let token = vault::new_link_token();
    sqlx::query(
        "INSERT INTO email_verifications (account_id, email_id, token_hash, action_id, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(email_id)
    .bind(vault::link_token_hash(&token))
    .bind(action_id)
    .bind(now_ms)
    .bind(now_ms + VERIFICATION_TTL_MS)
    .execute(&mut *conn)
    .await?;
    let link = format!("{}/verify-email/{token}", config.public_url());
    let body = format!(
        "Hello {username},\n\nPlease confirm that this address belongs to you, so that we can send your recovery \
         emails here. Open this link within 24 hours:\n\n{link}\n\n\
         If you do not have an account with us, ignore this email.\n"
    );
    outbox::enqueue(
        &mut *conn,
        now_ms,
        outbox::Mail {
            account_id: Some(account_id),
            action_id: Some(action_id),
            token_id: None,
            kind: "verification_email",
            to,
            subject: "Confirm your email address",
            body: &body,
        },
    )
    .await
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
pub async fn verify_email(db: &SqlitePool, token: &str, now_ms: i64, client: &str) -> sqlx::Result<Verification> {
    if token.len() != 43 {
        return Ok(Verification::Unknown);
    }
    let hash = vault::link_token_hash(token);
    let mut tx = begin_write(db).await?;
    let used: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE email_verifications SET used_ms = $1 WHERE token_hash = $2 AND used_ms IS NULL AND expires_ms > $1 \
         RETURNING account_id, email_id",
    )
    .bind(now_ms)
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account_id, email_id)) = used else {
        let row: Option<Option<i64>> =
            sqlx::query_scalar("SELECT used_ms FROM email_verifications WHERE token_hash = $1")
                .bind(&hash)
                .fetch_optional(&mut *tx)
                .await?;
        return Ok(match row {
            None => Verification::Unknown,
            Some(Some(_)) => Verification::Used,
            Some(None) => Verification::Expired,
        });
    };
    sqlx::query("UPDATE account_emails SET verified = 1 WHERE id = $1").bind(email_id).execute(&mut *tx).await?;
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id,
            kind: ActivityKind::EmailVerified,
            summary: "The user confirmed an address through a verification email".into(),
            actor_email: None,
            email_id: None,
            token_id: None,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        now_ms,
        &audit::Actor::anonymous(client),
        Entry {
            target_type: Some("account"),
            target_id: Some(account_id.to_string()),
            detail: json!({ "email_id": email_id }),
            ..Entry::new(AuditAction::EmailVerified, "success")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Verification::Verified)
}
