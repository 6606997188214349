//! Tokens and recovery: agents' recovery actions, single-use links, SMS codes, and the account's
//! activity timeline.
//!
//! Across instances: every single-use or capped thing is one conditional `UPDATE` checked by rows
//! affected — a link used, opened or locked by wrong codes, an SMS allowance, an SMS code — so two
//! requests racing on any number of instances get one success. The cooldown and caps of agents'
//! actions read `agent_actions` before writing: the domain takes the account's row first
//! (`accounts::lock`) so that those reads and the insert are one step per account.

use desk_api::{ActivityKind, EmailStatus};

use super::{Conn, Step, StoreResult};
use crate::domain::recovery::RecoveryKind;

/// A link's timestamps, from which its state follows (all absent when there is no link).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct LinkTimes {
    pub expires_ms: Option<i64>,
    pub opened_ms: Option<i64>,
    pub used_ms: Option<i64>,
    pub superseded_ms: Option<i64>,
}

pub struct NewAction<'a> {
    pub agent_id: i64,
    pub account_id: i64,
    /// A recovery kind's name, or an account action's (`unlock`, `verification_email`, …).
    pub kind: &'a str,
    pub reason: desk_api::ReasonCode,
    pub ticket: &'a str,
    pub note: Option<&'a str>,
    pub created_ms: i64,
}

pub async fn insert_action(conn: &mut Conn, a: &NewAction<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO agent_actions (agent_id, account_id, kind, reason, ticket, note, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(a.agent_id)
    .bind(a.account_id)
    .bind(a.kind)
    .bind(a.reason)
    .bind(a.ticket)
    .bind(a.note)
    .bind(a.created_ms)
    .fetch_one(conn)
    .await
    .step("recording an agent's action (agent_actions)")
}

/// When an agent last took this kind of action on the account (`agent_actions.kind`).
pub async fn last_sent_ms(conn: &mut Conn, account_id: i64, kind: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(created_ms) FROM agent_actions WHERE account_id = $1 AND kind = $2")
        .bind(account_id)
        .bind(kind)
        .fetch_one(conn)
        .await
        .step("reading the last recovery email (agent_actions)")
}

/// How many actions fall in a window, and when the oldest of them was.
#[derive(Debug, sqlx::FromRow)]
pub struct Window {
    pub count: i64,
    pub oldest_ms: Option<i64>,
}

pub async fn sent_to_account_since(conn: &mut Conn, account_id: i64, since_ms: i64) -> StoreResult<Window> {
    sqlx::query_as(
        "SELECT COUNT(*) AS count, MIN(created_ms) AS oldest_ms FROM agent_actions WHERE account_id = $1 AND created_ms > $2",
    )
    .bind(account_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await
    .step("counting an account's recovery emails (agent_actions)")
}

pub async fn sent_by_agent_since(conn: &mut Conn, agent_id: i64, since_ms: i64) -> StoreResult<Window> {
    sqlx::query_as(
        "SELECT COUNT(*) AS count, MIN(created_ms) AS oldest_ms FROM agent_actions WHERE agent_id = $1 AND created_ms > $2",
    )
    .bind(agent_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await
    .step("counting an agent's recovery emails (agent_actions)")
}

/// Marks the account's unused links of this kind superseded.
pub async fn supersede_links(conn: &mut Conn, account_id: i64, kind: RecoveryKind, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE recovery_tokens SET superseded_ms = $1 \
         WHERE account_id = $2 AND kind = $3 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(kind)
    .execute(conn)
    .await
    .step("superseding older links (recovery_tokens)")?;
    Ok(())
}

pub struct NewLink<'a> {
    pub account_id: i64,
    pub kind: RecoveryKind,
    pub token_hash: &'a str,
    pub action_id: Option<i64>,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// `agent` or `user`.
    pub requested_by: &'a str,
}

pub async fn insert_link(conn: &mut Conn, l: &NewLink<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO recovery_tokens (account_id, kind, token_hash, action_id, created_ms, expires_ms, requested_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(l.account_id)
    .bind(l.kind)
    .bind(l.token_hash)
    .bind(l.action_id)
    .bind(l.created_ms)
    .bind(l.expires_ms)
    .bind(l.requested_by)
    .fetch_one(conn)
    .await
    .step("storing a link (recovery_tokens)")
}

/// When the user last asked for a link of this kind themselves.
pub async fn last_user_link_ms(conn: &mut Conn, account_id: i64, kind: RecoveryKind) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MAX(created_ms) FROM recovery_tokens WHERE account_id = $1 AND kind = $2 AND requested_by = 'user'",
    )
    .bind(account_id)
    .bind(kind)
    .fetch_one(conn)
    .await
    .step("reading the user's last link (recovery_tokens)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub account_id: i64,
    pub kind: RecoveryKind,
    pub expires_ms: i64,
    pub used_ms: Option<i64>,
    pub superseded_ms: Option<i64>,
    pub opened_ms: Option<i64>,
    pub two_factor_passed_ms: Option<i64>,
    pub failed_codes: i64,
    pub username: String,
}

pub async fn link_by_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<LinkRow>> {
    sqlx::query_as(
        "SELECT t.id, t.account_id, t.kind, t.expires_ms, t.used_ms, t.superseded_ms, t.opened_ms, \
                t.two_factor_passed_ms, t.failed_codes, a.username \
         FROM recovery_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
    .step("reading a link (recovery_tokens)")
}

/// Notes the first opening: true only for the caller that made it.
pub async fn mark_opened(conn: &mut Conn, token_id: i64, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE recovery_tokens SET opened_ms = $1 WHERE id = $2 AND opened_ms IS NULL")
        .bind(now_ms)
        .bind(token_id)
        .execute(conn)
        .await
        .step("noting a link opened (recovery_tokens)")?
        .rows_affected()
        == 1)
}

/// Takes one of the link's SMS sends while fewer than `cap` were taken.
pub async fn take_sms_send(conn: &mut Conn, token_id: i64, cap: i64) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE recovery_tokens SET sms_sends = sms_sends + 1 WHERE id = $1 AND sms_sends < $2")
        .bind(token_id)
        .bind(cap)
        .execute(conn)
        .await
        .step("taking an SMS send (recovery_tokens)")?
        .rows_affected()
        == 1)
}

/// Takes one of the link's tries at a code while fewer than `max` were taken; answers the tries
/// taken so far, or `None` when none was left.
pub async fn take_code_try(conn: &mut Conn, token_id: i64, max: i64) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE recovery_tokens SET failed_codes = failed_codes + 1 WHERE id = $1 AND failed_codes < $2 \
         RETURNING failed_codes",
    )
    .bind(token_id)
    .bind(max)
    .fetch_optional(conn)
    .await
    .step("taking a code try (recovery_tokens)")
}

/// Two-step verification passed: the try taken for it is given back.
pub async fn pass_two_factor(conn: &mut Conn, token_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE recovery_tokens SET two_factor_passed_ms = $1, failed_codes = failed_codes - 1 WHERE id = $2")
        .bind(now_ms)
        .bind(token_id)
        .execute(conn)
        .await
        .step("noting 2FA passed (recovery_tokens)")?;
    Ok(())
}

/// Uses the link, once: true for the one caller whose use counted.
pub async fn use_link(conn: &mut Conn, token_id: i64, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE recovery_tokens SET used_ms = $1 \
         WHERE id = $2 AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $1",
    )
    .bind(now_ms)
    .bind(token_id)
    .execute(conn)
    .await
    .step("using a link (recovery_tokens)")?
    .rows_affected()
        == 1)
}

pub async fn supersede_sms_codes(conn: &mut Conn, token_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sms_codes SET superseded_ms = $1 WHERE token_id = $2 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(token_id)
    .execute(conn)
    .await
    .step("cancelling older SMS codes (sms_codes)")?;
    Ok(())
}

pub async fn insert_sms_code(
    conn: &mut Conn,
    token_id: i64,
    code_hash: &str,
    now_ms: i64,
    expires_ms: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO sms_codes (token_id, code_hash, created_ms, expires_ms) VALUES ($1, $2, $3, $4)")
        .bind(token_id)
        .bind(code_hash)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(conn)
        .await
        .step("storing an SMS code (sms_codes)")?;
    Ok(())
}

/// Uses the link's live SMS code with this hash: true for the one caller that got it.
pub async fn use_sms_code(conn: &mut Conn, token_id: i64, code_hash: &str, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE sms_codes SET used_ms = $1 WHERE token_id = $2 AND code_hash = $3 \
         AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $1",
    )
    .bind(now_ms)
    .bind(token_id)
    .bind(code_hash)
    .execute(conn)
    .await
    .step("using an SMS code (sms_codes)")?
    .rows_affected()
        == 1)
}

pub struct NewEvent<'a> {
    pub account_id: i64,
    pub at_ms: i64,
    pub kind: ActivityKind,
    pub summary: &'a str,
    pub actor_email: Option<&'a str>,
    pub email_id: Option<i64>,
    pub token_id: Option<i64>,
}

pub async fn insert_event(conn: &mut Conn, e: &NewEvent<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO recovery_events (account_id, at_ms, kind, summary, actor_email, email_id, token_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.account_id)
    .bind(e.at_ms)
    .bind(e.kind)
    .bind(e.summary)
    .bind(e.actor_email)
    .bind(e.email_id)
    .bind(e.token_id)
    .execute(conn)
    .await
    .step("recording recovery activity (recovery_events)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at_ms: i64,
    pub kind: ActivityKind,
    pub summary: String,
    pub actor_email: Option<String>,
    pub email_id: Option<i64>,
    pub email_status: Option<EmailStatus>,
    #[sqlx(flatten)]
    pub link: LinkTimes,
}

/// The account's activity before `before_id`, newest first, with each email's status and each
/// link's timestamps as they are now.
pub async fn events(conn: &mut Conn, account_id: i64, before_id: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT ev.id, ev.at_ms, ev.kind, ev.summary, ev.actor_email, ev.email_id, o.status AS email_status, \
                t.expires_ms, t.opened_ms, t.used_ms, t.superseded_ms \
         FROM recovery_events ev \
         LEFT JOIN outbox o ON o.id = ev.email_id \
         LEFT JOIN recovery_tokens t ON t.id = ev.token_id \
         WHERE ev.account_id = $1 AND ev.id < $2 ORDER BY ev.id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(before_id)
    .bind(limit)
    .fetch_all(conn)
    .await
    .step("reading recovery activity (recovery_events)")
}

/// Passwords or answers changed on the account since then.
pub async fn secret_changes_since(conn: &mut Conn, account_id: i64, since_ms: i64) -> StoreResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_events WHERE account_id = $1 AND at_ms > $2 \
         AND kind IN ('password_changed', 'answer_changed')",
    )
    .bind(account_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await
    .step("counting recent changes (recovery_events)")
}

/// Links asked for or sent, and wrong codes, on the account since then.
pub async fn attempts_since(conn: &mut Conn, account_id: i64, since_ms: i64) -> StoreResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_events WHERE account_id = $1 AND at_ms > $2 \
         AND kind IN ('user_requested', 'agent_sent', 'two_factor_failed')",
    )
    .bind(account_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await
    .step("counting recent recovery attempts (recovery_events)")
}
