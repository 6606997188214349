//! Agent-started recovery emails: the action, its single-use token (stored hashed), the email in
//! the outbox and the audit entry, all in one transaction.

use desk_api::{ActionAccepted, ActivityKind, EmailRef, EmailStatus, ErrorCode, ResetRequest, Ticket};
use serde_json::json;
use sqlx::SqlitePool;

use sqlx::SqliteConnection;

use super::events::{self, Event};
use super::sessions::Session;
use super::{idempotency, outbox};
use crate::audit::{self, AuditAction, Entry};
use crate::crypto;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryKind {
    PasswordReset,
    AnswerReset,
}

impl RecoveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "password_reset",
            RecoveryKind::AnswerReset => "security_answer_reset",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "password_reset" => Some(Self::PasswordReset),
            "security_answer_reset" => Some(Self::AnswerReset),
            _ => None,
        }
    }
    /// The audit log's name for an agent sending this kind of email.
    pub fn audit_action(self) -> AuditAction {
        match self {
            RecoveryKind::PasswordReset => AuditAction::PasswordReset,
            RecoveryKind::AnswerReset => AuditAction::SecurityAnswerReset,
        }
    }
    pub fn link_path(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "reset",
            RecoveryKind::AnswerReset => "reset-answer",
        }
    }
    fn subject(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "Reset your password",
            RecoveryKind::AnswerReset => "Reset your security answer",
        }
    }
    pub fn human(self) -> &'static str {
        match self {
            RecoveryKind::PasswordReset => "password reset",
            RecoveryKind::AnswerReset => "security-answer reset",
        }
    }
}

/// A new single-use link for the account: older unused links of the kind are superseded, the
/// token is stored hashed, and the email carrying it goes to the outbox — all in `conn`'s
/// transaction. Answers (token id, email id).
// The storage layer (issue 11) replaces these arguments with a link struct.
#[allow(clippy::too_many_arguments)]
pub async fn issue_link(
    conn: &mut SqliteConnection,
    config: &Config,
    now_ms: i64,
    account_id: i64,
    kind: RecoveryKind,
    action_id: Option<i64>,
    requested_by: &str,
    to: &str,
    username: &str,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query(
        "UPDATE recovery_tokens SET superseded_ms = $1 \
         WHERE account_id = $2 AND kind = $3 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(kind.as_str())
    .execute(&mut *conn)
    .await?;
    let token = crypto::random_token();
    let token_id: i64 = sqlx::query_scalar(
        "INSERT INTO recovery_tokens (account_id, kind, token_hash, action_id, created_ms, expires_ms, requested_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(crypto::token_hash(&token))
    .bind(action_id)
    .bind(now_ms)
    .bind(now_ms + config.reset_token_ttl_secs * 1000)
    .bind(requested_by)
    .fetch_one(&mut *conn)
    .await?;
    let link = format!("{}/{}/{}", config.public_url(), kind.link_path(), token);
    let minutes = config.reset_token_ttl_secs / 60;
    let what = match kind {
        RecoveryKind::PasswordReset => "reset your password",
        RecoveryKind::AnswerReset => "set a new security question and answer",
    };
    let body = format!(
        "Hello {username},\n\nWe received a request to {what}. Use this link within {minutes} minutes:\n\n{link}\n\n\
         The link works once. If your account has two-step verification, we will ask for a code first.\n\
         If you did not ask for this, ignore this email: nothing changes until the link is used.\n"
    );
    let email_id = outbox::enqueue(
        &mut *conn,
        now_ms,
        outbox::Mail {
            account_id: Some(account_id),
            action_id,
            token_id: Some(token_id),
            kind: kind.as_str(),
            to,
            subject: kind.subject(),
            body: &body,
        },
    )
    .await?;
    Ok((token_id, email_id))
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
    if request.reason == desk_api::ReasonCode::Other && request.note.as_deref().map(str::trim).unwrap_or("").is_empty()
    {
        return Err(ApiError::invalid("note", "say in the note why, when the reason is \"other\""));
    }
    Ok(ValidRequest { request, ticket })
}

/// Seconds until this kind of email may be sent to the account again (0: now).
pub async fn cooldown_remaining(
    db: &SqlitePool,
    account_id: i64,
    kind: RecoveryKind,
    now_ms: i64,
    cooldown_secs: i64,
) -> sqlx::Result<u64> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(created_ms) FROM agent_actions WHERE account_id = $1 AND kind = $2")
            .bind(account_id)
            .bind(kind.as_str())
            .fetch_one(db)
            .await?;
    Ok(match last {
        Some(t) => {
            let until = t + cooldown_secs * 1000;
            if until > now_ms {
                ((until - now_ms + 999) / 1000) as u64
            } else {
                0
            }
        }
        None => 0,
    })
}

/// The per-account cooldown of the kind, then the caps: how many recovery emails an account may
/// get in 24 hours and an agent may send in an hour. Answers the audit outcome and the error.
pub(crate) async fn limit_reached(
    conn: &mut SqliteConnection,
    config: &Config,
    now_ms: i64,
    agent_id: i64,
    account_id: i64,
    kind: ActionKind<'_>,
) -> sqlx::Result<Option<(&'static str, ApiError)>> {
    let secs_until = |until: i64| ((until - now_ms + 999) / 1000).max(1) as u64;
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(created_ms) FROM agent_actions WHERE account_id = $1 AND kind = $2")
            .bind(account_id)
            .bind(kind.name)
            .fetch_one(&mut *conn)
            .await?;
    if let Some(until) = last.map(|t| t + config.reset_cooldown_secs * 1000).filter(|u| *u > now_ms) {
        let retry_after = secs_until(until);
        let message = format!("{} recently; another may follow in {retry_after} s", kind.human);
        return Ok(Some(("refused_cooldown", ApiError::Cooldown { retry_after, message })));
    }
    let (account_count, account_oldest): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(created_ms) FROM agent_actions WHERE account_id = $1 AND created_ms > $2")
            .bind(account_id)
            .bind(now_ms - 24 * 3600 * 1000)
            .fetch_one(&mut *conn)
            .await?;
    if account_count >= config.account_daily_cap {
        let until = account_oldest.unwrap_or(now_ms) + 24 * 3600 * 1000;
        return Ok(Some((
            "refused_account_daily_cap",
            ApiError::Limited { code: ErrorCode::AccountDailyCap, retry_after: secs_until(until) },
        )));
    }
    let (agent_count, agent_oldest): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(created_ms) FROM agent_actions WHERE agent_id = $1 AND created_ms > $2")
            .bind(agent_id)
            .bind(now_ms - 3600 * 1000)
            .fetch_one(&mut *conn)
            .await?;
    if agent_count >= config.agent_hourly_cap {
        let until = agent_oldest.unwrap_or(now_ms) + 3600 * 1000;
        return Ok(Some((
            "refused_agent_hourly_cap",
            ApiError::Limited { code: ErrorCode::AgentHourlyCap, retry_after: secs_until(until) },
        )));
    }
    Ok(None)
}

/// What the limits know of an action: its `agent_actions.kind`, and what happened in words
/// ("a password reset email was sent to this account").
#[derive(Clone, Copy)]
pub(crate) struct ActionKind<'a> {
    pub name: &'a str,
    pub human: &'a str,
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

    let account: Option<(String,)> =
        sqlx::query_as("SELECT username FROM accounts WHERE id = $1").bind(account_id).fetch_optional(&mut *tx).await?;
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

    // A refusal by a limit is on record too: leads see who hit the limits, and how often.
    let human = format!("a {} email was sent to this account", kind.human());
    let limited = ActionKind { name: kind.as_str(), human: &human };
    if let Some((outcome, error)) =
        limit_reached(&mut tx, config, now_ms, session.agent.id, account_id, limited).await?
    {
        let retry_after = error.to_problem().retry_after;
        audit::record(
            &mut tx,
            now_ms,
            &session.actor(client),
            Entry {
                target_type: Some("account"),
                target_id: Some(account_id.to_string()),
                reason: Some(request.reason.as_str()),
                ticket: Some(ticket.as_str()),
                detail: json!({ "retry_after": retry_after }),
                ..Entry::new(kind.audit_action(), outcome)
            },
        )
        .await?;
        tx.commit().await?;
        return Err(error);
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

    let (token_id, email_id) =
        issue_link(&mut tx, config, now_ms, account_id, kind, Some(action_id), "agent", &to, &username).await?;
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id,
            kind: ActivityKind::AgentSent,
            summary: format!(
                "{} sent a {} email ({}, {})",
                session.agent.name,
                kind.human(),
                request.reason.as_str(),
                ticket.as_str()
            ),
            actor_email: Some(&session.agent.email),
            email_id: Some(email_id),
            token_id: Some(token_id),
        },
    )
    .await?;

    audit::record(
        &mut tx,
        now_ms,
        &session.actor(client),
        Entry {
            target_type: Some("account"),
            target_id: Some(account_id.to_string()),
            reason: Some(request.reason.as_str()),
            ticket: Some(ticket.as_str()),
            detail: json!({ "action_id": action_id, "email_id": email_id, "note": request.note }),
            ..Entry::new(kind.audit_action(), "success")
        },
    )
    .await?;

    let answer = ActionAccepted { action_id, email: EmailRef { id: email_id, status: EmailStatus::Queued } };
    let body = serde_json::to_value(&answer).map_err(|e| ApiError::Internal(e.into()))?;
    idempotency::store(&mut tx, session.agent.id, idem_key, &request_hash, 202, &body, now_ms).await?;
    tx.commit().await?;
    Ok(Outcome { status: 202, body })
}
