//! Agent-started recovery emails: the action, its single-use token (stored hashed), the email in
//! the outbox and the audit entry, all in one transaction.
//!
//! Across instances: the action's `Idempotency-Key` is claimed first, then the agent's and the
//! account's rows are locked (in that order), so the cooldown and both caps are read and the
//! action written as one step per account and per agent (`store::accounts::lock`).

use desk_api::{ActionAccepted, ActivityKind, EmailRef, EmailStatus, ErrorCode, ResetRequest, Ticket};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::events::{self, Event};
use super::{idempotency, outbox, Acting, DomainError, DomainResult};
use crate::audit::{self, AuditAction, Entry};
use crate::crypto;
use crate::store::{self, Conn, Db, StoreResult};
use crate::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecoveryKind {
    #[serde(rename = "password_reset")]
    PasswordReset,
    #[serde(rename = "security_answer_reset")]
    AnswerReset,
}

desk_api::sql_text_enum!(RecoveryKind);

impl RecoveryKind {
    /// The kind's name in `agent_actions` and the limits: its audit action's name, so the two
    /// cannot drift (the serde names above are checked against it in the tests).
    pub fn as_str(self) -> &'static str {
        self.audit_action().as_str()
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

/// Who a new link is for, and who asked.
pub struct LinkFor<'a> {
    pub account_id: i64,
    pub kind: RecoveryKind,
    /// The agent's action, when an agent sent it.
    pub action_id: Option<i64>,
    /// `agent` or `user`.
    pub requested_by: &'a str,
    pub to: &'a str,
    pub username: &'a str,
}

/// A new single-use link for the account: older unused links of the kind are superseded, the
/// token is stored hashed, and the email carrying it goes to the outbox — all in `conn`'s
/// transaction, after the caller locked the account. Answers (token id, email id).
pub async fn issue_link(conn: &mut Conn, config: &Config, now_ms: i64, l: LinkFor<'_>) -> StoreResult<(i64, i64)> {
    store::recovery::supersede_links(conn, l.account_id, l.kind, now_ms).await?;
    let token = crypto::random_token();
    let token_hash = crypto::token_hash(&token);
    let new = store::recovery::NewLink {
        account_id: l.account_id,
        kind: l.kind,
        token_hash: &token_hash,
        action_id: l.action_id,
        created_ms: now_ms,
        expires_ms: now_ms + config.reset_token_ttl_secs * 1000,
        requested_by: l.requested_by,
    };
    let token_id = store::recovery::insert_link(conn, &new).await?;
    let link = format!("{}/{}/{}", config.public_url(), l.kind.link_path(), token);
    let minutes = config.reset_token_ttl_secs / 60;
    let what = match l.kind {
        RecoveryKind::PasswordReset => "reset your password",
        RecoveryKind::AnswerReset => "set a new security question and answer",
    };
    let body = format!(
        "Hello {},\n\nWe received a request to {what}. Use this link within {minutes} minutes:\n\n{link}\n\n\
         The link works once. If your account has two-step verification, we will ask for a code first.\n\
         If you did not ask for this, ignore this email: nothing changes until the link is used.\n",
        l.username
    );
    let email_id = outbox::enqueue(
        conn,
        now_ms,
        outbox::Mail {
            account_id: Some(l.account_id),
            action_id: l.action_id,
            token_id: Some(token_id),
            kind: l.kind.as_str(),
            to: l.to,
            subject: l.kind.subject(),
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

/// The deployment's form of ticket references (`ticket_pattern`), for every action on an
/// account that names one.
pub fn ticket_has_the_form(config: &Config, ticket: &Ticket) -> DomainResult<()> {
    match config.ticket_regex() {
        Ok(None) => Ok(()),
        Ok(Some(re)) if re.is_match(ticket.as_str()) => Ok(()),
        _ => Err(DomainError::invalid(
            "ticket",
            format!(
                "a ticket reference here has the form {} (this desk's ticket_pattern)",
                config.ticket_pattern.as_deref().unwrap_or_default()
            ),
        )),
    }
}

pub fn validate(request: ResetRequest, config: &Config) -> DomainResult<ValidRequest> {
    let ticket = Ticket::parse(&request.ticket).map_err(|m| DomainError::invalid("ticket", m))?;
    ticket_has_the_form(config, &ticket)?;
    if let Some(note) = &request.note {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(DomainError::invalid("note", format!("a note is at most {MAX_NOTE_CHARS} characters")));
        }
    }
    if request.reason == desk_api::ReasonCode::Other && request.note.as_deref().map(str::trim).unwrap_or("").is_empty()
    {
        return Err(DomainError::invalid("note", "say in the note why, when the reason is \"other\""));
    }
    Ok(ValidRequest { request, ticket })
}

/// Seconds until this kind of email may be sent to the account again (0: now).
pub async fn cooldown_remaining(
    conn: &mut Conn,
    account_id: i64,
    kind: RecoveryKind,
    now_ms: i64,
    cooldown_secs: i64,
) -> StoreResult<u64> {
    Ok(match store::recovery::last_sent_ms(conn, account_id, kind.as_str()).await? {
        Some(t) if t + cooldown_secs * 1000 > now_ms => ((t + cooldown_secs * 1000 - now_ms + 999) / 1000) as u64,
        _ => 0,
    })
}

/// The per-account cooldown of the kind, then the caps: how many recovery emails an account may
/// get in 24 hours and an agent may send in an hour. Answers the audit outcome and the refusal.
pub(crate) async fn limit_reached(
    conn: &mut Conn,
    config: &Config,
    now_ms: i64,
    agent_id: i64,
    account_id: i64,
    kind: ActionKind<'_>,
) -> StoreResult<Option<(&'static str, DomainError)>> {
    let secs_until = |until: i64| ((until - now_ms + 999) / 1000).max(1) as u64;
    let last = store::recovery::last_sent_ms(conn, account_id, kind.name).await?;
    if let Some(until) = last.map(|t| t + config.reset_cooldown_secs * 1000).filter(|u| *u > now_ms) {
        let retry_after = secs_until(until);
        let message = format!("{} recently; another may follow in {retry_after} s", kind.human);
        return Ok(Some(("refused_cooldown", DomainError::Cooldown { retry_after, message })));
    }
    let account = store::recovery::sent_to_account_since(conn, account_id, now_ms - 24 * 3600 * 1000).await?;
    if account.count >= config.account_daily_cap {
        let until = account.oldest_ms.unwrap_or(now_ms) + 24 * 3600 * 1000;
        return Ok(Some((
            "refused_account_daily_cap",
            DomainError::Limited { code: ErrorCode::AccountDailyCap, retry_after: secs_until(until) },
        )));
    }
    let agent = store::recovery::sent_by_agent_since(conn, agent_id, now_ms - 3600 * 1000).await?;
    if agent.count >= config.agent_hourly_cap {
        let until = agent.oldest_ms.unwrap_or(now_ms) + 3600 * 1000;
        return Ok(Some((
            "refused_agent_hourly_cap",
            DomainError::Limited { code: ErrorCode::AgentHourlyCap, retry_after: secs_until(until) },
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

/// Sends the account a recovery email of `kind`, under the agent's `Idempotency-Key`.
#[tracing::instrument(name = "recovery.send", skip_all, fields(agent = by.session.agent.id, account = account_id, kind = kind.as_str()))]
pub async fn send(
    db: &Db,
    by: &Acting<'_>,
    account_id: i64,
    kind: RecoveryKind,
    valid: ValidRequest,
    idem_key: &str,
) -> DomainResult<Outcome> {
    let ValidRequest { request, ticket } = valid;
    let (config, now_ms, agent) = (by.config, by.now_ms, &by.session.agent);
    let request_hash = crypto::sha256_hex(
        json!({"account": account_id, "kind": kind.as_str(), "request": request}).to_string().as_bytes(),
    );
    let mut tx = db.write().await?;
    if let Some(replay) = idempotency::claim(&mut tx, agent.id, idem_key, &request_hash, now_ms).await? {
        return Ok(Outcome { status: replay.status, body: replay.body });
    }
    store::staff::lock(&mut tx, agent.id).await?;
    let username = store::accounts::lock(&mut tx, account_id).await?.ok_or(DomainError::NotFound("account"))?;
    let Some(to) = store::accounts::primary_email(&mut tx, account_id).await? else {
        return Err(DomainError::invalid("id", "this account has no primary email address to send to"));
    };

    // A refusal by a limit is on record too: leads see who hit the limits, and how often.
    let human = format!("a {} email was sent to this account", kind.human());
    let limited = ActionKind { name: kind.as_str(), human: &human };
    if let Some((outcome, error)) = limit_reached(&mut tx, config, now_ms, agent.id, account_id, limited).await? {
        let entry = Entry {
            target_type: Some("account"),
            target_id: Some(account_id.to_string()),
            reason: Some(request.reason.as_str()),
            ticket: Some(ticket.as_str()),
            detail: json!({ "retry_after": error.retry_after() }),
            ..Entry::new(kind.audit_action(), outcome)
        };
        audit::record(&mut tx, now_ms, &by.session.actor(by.client), entry).await?;
        // A retry after the wait is a new attempt, not a replay of this refusal.
        idempotency::release(&mut tx, agent.id, idem_key).await?;
        store::commit(tx).await?;
        return Err(error);
    }

    let action = store::recovery::NewAction {
        agent_id: agent.id,
        account_id,
        kind: kind.as_str(),
        reason: request.reason,
        ticket: ticket.as_str(),
        note: request.note.as_deref(),
        created_ms: now_ms,
    };
    let action_id = store::recovery::insert_action(&mut tx, &action).await?;
    let link =
        LinkFor { account_id, kind, action_id: Some(action_id), requested_by: "agent", to: &to, username: &username };
    let (token_id, email_id) = issue_link(&mut tx, config, now_ms, link).await?;
    let summary = format!(
        "{} sent a {} email ({}, ticket {})",
        agent.name,
        kind.human(),
        request.reason.label(),
        ticket.as_str()
    );
    let event = Event {
        account_id,
        kind: ActivityKind::AgentSent,
        summary,
        actor_email: Some(&agent.email),
        email_id: Some(email_id),
        token_id: Some(token_id),
    };
    events::record(&mut tx, now_ms, event).await?;

    let answer = ActionAccepted { action_id, email: EmailRef { id: email_id, status: EmailStatus::Queued } };
    let body = serde_json::to_value(&answer).map_err(|e| DomainError::Internal(e.into()))?;
    idempotency::answer(&mut tx, agent.id, idem_key, 202, &body).await?;
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(account_id.to_string()),
        reason: Some(request.reason.as_str()),
        ticket: Some(ticket.as_str()),
        detail: json!({ "action_id": action_id, "email_id": email_id, "note": request.note }),
        ..Entry::new(kind.audit_action(), "success")
    };
    // Last: the chain's head is held from here to the commit.
    audit::record(&mut tx, now_ms, &by.session.actor(by.client), entry).await?;
    store::commit(tx).await?;
    Ok(Outcome { status: 202, body })
}

#[cfg(test)]
mod tests {
    use super::RecoveryKind;

    #[test]
    fn a_kind_is_stored_under_its_audit_actions_name() {
        for kind in [RecoveryKind::PasswordReset, RecoveryKind::AnswerReset] {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::Value::String(kind.as_str().into()));
        }
    }
}
