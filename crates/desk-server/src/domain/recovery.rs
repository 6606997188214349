//! Agent-started recovery emails: the action, its single-use token (stored hashed), the email in
//! the outbox and the audit entry, all in one transaction.

use desk_api::{ActionAccepted, EmailRef, EmailStatus, ResetRequest, Ticket};
use serde_json::json;
use sqlx::SqlitePool;

use super::idempotency;
use super::sessions::Session;
use crate::audit::{self, Entry};
use crate::crypto;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryKind {
    PasswordReset,
}

impl RecoveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "password_reset",
        }
    }
    fn link_path(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "reset",
        }
    }
    fn subject(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "Reset your password",
        }
    }
}

pub const MAX_NOTE_CHARS: usize = 1000;

/// A reset request that passed validation.
pub struct ValidRequest {
    pub request: ResetRequest,
    pub ticket: Ticket,
}

pub fn validate(request: ResetRequest) -> ApiResult<ValidRequest> {
    let ticket = Ticket::parse(&request.ticket).map_err(|m| ApiError::invalid("ticket", m))?;
    if let Some(note) = &request.note {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(ApiError::invalid("note", format!("a note is at most {MAX_NOTE_CHARS} characters")));
        }
    }
    Ok(ValidRequest { request, ticket })
}

/// Seconds until this kind of email may be sent to the account again (0: now).
pub async fn cooldown_remaining(db: &SqlitePool, account_id: i64, kind: RecoveryKind, now_ms: i64, cooldown_secs: i64) -> sqlx::Result<u64> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(created_ms) FROM agent_actions WHERE account_id = $1 AND kind = $2")
            .bind(account_id)
            .bind(kind.as_str())
            .fetch_one(db)
            .await?;
    Ok(match last {
        Some(t) => {
            let until = t + cooldown_secs * 1000;
            if until > now_ms { ((until - now_ms + 999) / 1000) as u64 } else { 0 }
        }
        None => 0,
    })
}

/// The answer of the action, as first given: a replay returns exactly this.
pub struct Outcome {
    pub status: u16,
    pub body: serde_json::Value,
}

#[allow(clippy::too_many_arguments)]
pub async fn send(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    account_id: i64,
    kind: RecoveryKind,
    valid: ValidRequest,
    idem_key: &str,
) -> ApiResult<Outcome> {
    let ValidRequest { request, ticket } = valid;
    let request_hash = crypto::sha256_hex(
        json!({"account": account_id, "kind": kind.as_str(), "request": request}).to_string().as_bytes(),
    );
    let mut tx = begin_write(db).await?;
    if let Some(replay) = idempotency::lookup(&mut tx, session.agent.id, idem_key, &request_hash).await? {
        return Ok(Outcome { status: replay.status, body: replay.body });
    }

    let account: Option<(String,)> = sqlx::query_as("SELECT username FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((username,)) = account else {
        return Err(ApiError::NotFound("account"));
    };
    let to: Option<(String,)> =
        sqlx::query_as("SELECT email FROM account_emails WHERE account_id = $1 AND is_primary = 1 LIMIT 1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((to,)) = to else {
        return Err(ApiError::invalid("id", "this account has no primary email address to send to"));
    };

    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(created_ms) FROM agent_actions WHERE account_id = $1 AND kind = $2")
            .bind(account_id)
            .bind(kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
    if let Some(last) = last {
        let until = last + config.reset_cooldown_secs * 1000;
        if until > now_ms {
            let retry_after = ((until - now_ms + 999) / 1000) as u64;
            audit::record(
                &mut tx,
                now_ms,
                &session.actor(client),
                Entry {
                    action: kind.as_str(),
                    target_type: Some("account"),
                    target_id: Some(account_id.to_string()),
                    reason: Some(request.reason.as_str()),
                    ticket: Some(ticket.as_str()),
                    outcome: "refused_cooldown",
                    detail: json!({ "retry_after": retry_after }),
                },
            )
            .await?;
            tx.commit().await?;
            return Err(ApiError::Cooldown {
                retry_after,
                message: format!("a {} email was sent to this account recently; another may be sent in {retry_after} s", kind.as_str().replace('_', " ")),
            });
        }
    }

    let action_id: i64 = sqlx::query_scalar(
        "INSERT INTO agent_actions (agent_id, account_id, kind, reason, ticket, note, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(session.agent.id)
    .bind(account_id)
    .bind(kind.as_str())
    .bind(request.reason.as_str())
    .bind(ticket.as_str())
    .bind(&request.note)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;

    // A new link supersedes every older unused one of the same kind.
    sqlx::query(
        "UPDATE recovery_tokens SET superseded_ms = $1 \
         WHERE account_id = $2 AND kind = $3 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(kind.as_str())
    .execute(&mut *tx)
    .await?;
    let token = crypto::random_token();
    sqlx::query(
        "INSERT INTO recovery_tokens (account_id, kind, token_hash, action_id, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(crypto::token_hash(&token))
    .bind(action_id)
    .bind(now_ms)
    .bind(now_ms + config.reset_token_ttl_secs * 1000)
    .execute(&mut *tx)
    .await?;

    let link = format!("{}/{}/{}", config.public_url(), kind.link_path(), token);
    let minutes = config.reset_token_ttl_secs / 60;
    let body = format!(
        "Hello {username},\n\nWe received a request to reset your password. Use this link within {minutes} minutes:\n\n{link}\n\n\
         The link works once. If your account has two-step verification, we will ask for a code first.\n\
         If you did not ask for this, ignore this email: your password stays as it is.\n"
    );
    let email_id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (account_id, action_id, kind, to_addr, subject, body, status, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) RETURNING id",
    )
    .bind(account_id)
    .bind(action_id)
    .bind(kind.as_str())
    .bind(&to)
    .bind(kind.subject())
    .bind(&body)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;

    audit::record(
        &mut tx,
        now_ms,
        &session.actor(client),
        Entry {
            action: kind.as_str(),
            target_type: Some("account"),
            target_id: Some(account_id.to_string()),
            reason: Some(request.reason.as_str()),
            ticket: Some(ticket.as_str()),
            outcome: "success",
            detail: json!({ "action_id": action_id, "email_id": email_id, "note": request.note }),
        },
    )
    .await?;

    let answer = ActionAccepted { action_id, email: EmailRef { id: email_id, status: EmailStatus::Queued } };
    let body = serde_json::to_value(&answer).map_err(|e| ApiError::Internal(e.into()))?;
    idempotency::store(&mut tx, session.agent.id, idem_key, &request_hash, 202, &body, now_ms).await?;
    tx.commit().await?;
    Ok(Outcome { status: 202, body })
}
