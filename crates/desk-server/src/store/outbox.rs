//! The outbox: emails written in the transaction of the action that caused them, and moved on by
//! the sender.
//!
//! Across instances: a sender takes due rows with a lease — one statement that pushes their
//! `next_attempt_ms` out and answers them — so each row is in one sender's hands until the lease
//! runs out; on PostgreSQL the pick skips rows another instance is taking (`FOR UPDATE SKIP
//! LOCKED`), and the outer conditions are checked again on the row as it is after any wait, so a
//! row taken meanwhile is not taken twice. A provider's report locks the row it moves.

use desk_api::EmailStatus;

use super::recovery::LinkTimes;
use super::{for_update, Backend, Conn, Step, StoreResult};

pub struct NewMail<'a> {
    pub account_id: Option<i64>,
    pub action_id: Option<i64>,
    pub token_id: Option<i64>,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

pub async fn enqueue(conn: &mut Conn, now_ms: i64, m: &NewMail<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO outbox (account_id, action_id, token_id, kind, to_addr, subject, body, status, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8) RETURNING id",
    )
    .bind(m.account_id)
    .bind(m.action_id)
    .bind(m.token_id)
    .bind(m.kind)
    .bind(m.to)
    .bind(m.subject)
    .bind(m.body)
    .bind(now_ms)
    .fetch_one(conn)
    .await
    .step("queueing an email (outbox)")
}

/// Ties a queued email to the agent's action that caused it.
pub async fn tie_to_action(conn: &mut Conn, email_id: i64, action_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET action_id = $1 WHERE id = $2")
        .bind(action_id)
        .bind(email_id)
        .execute(conn)
        .await
        .step("tying an email to its action (outbox)")?;
    Ok(())
}

/// An email the account was sent, with its link's timestamps.
#[derive(Debug, sqlx::FromRow)]
pub struct RecentMail {
    pub id: i64,
    pub kind: String,
    pub to_addr: String,
    pub status: EmailStatus,
    pub created_ms: i64,
    #[sqlx(flatten)]
    pub link: LinkTimes,
}

/// The account's 20 newest emails.
pub async fn recent_for_account(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<RecentMail>> {
    sqlx::query_as(
        "SELECT o.id, o.kind, o.to_addr, o.status, o.created_ms, t.expires_ms, t.opened_ms, t.used_ms, t.superseded_ms \
         FROM outbox o LEFT JOIN recovery_tokens t ON t.id = o.token_id \
         WHERE o.account_id = $1 ORDER BY o.id DESC LIMIT 20",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await
    .step("reading an account's emails (outbox)")
}

/// Moves every due queued email (or, with `texts_only`, every due text message) to the local
/// mailbox, in one statement. Answers how many moved.
pub async fn deliver_locally(conn: &mut Conn, now_ms: i64, texts_only: bool) -> StoreResult<u64> {
    let sql = if texts_only {
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $1 \
         WHERE status = 'queued' AND next_attempt_ms <= $1 AND kind = 'sms'"
    } else {
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $1 \
         WHERE status = 'queued' AND next_attempt_ms <= $1"
    };
    Ok(sqlx::query(sql)
        .bind(now_ms)
        .execute(conn)
        .await
        .step("delivering to the local mailbox (outbox)")?
        .rows_affected())
}

/// A queued email taken for an attempt.
#[derive(Debug, sqlx::FromRow)]
pub struct Taken {
    pub id: i64,
    pub created_ms: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

/// Takes up to `limit` due emails (not text messages) for one pass of the SMTP sender: their
/// `next_attempt_ms` becomes `lease_until`, so no other sender picks them up meanwhile. Answered
/// oldest first.
pub async fn take_due(conn: &mut Conn, now_ms: i64, lease_until: i64, limit: i64) -> StoreResult<Vec<Taken>> {
    let skip = match Backend::of(conn) {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE outbox SET next_attempt_ms = $2 \
         WHERE status = 'queued' AND next_attempt_ms <= $1 AND kind <> 'sms' AND id IN ( \
             SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_ms <= $1 AND kind <> 'sms' \
             ORDER BY next_attempt_ms, id LIMIT $3{skip}) \
         RETURNING id, created_ms, to_addr, subject, body, attempts"
    );
    let mut taken: Vec<Taken> = sqlx::query_as(&sql)
        .bind(now_ms)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(conn)
        .await
        .step("taking due emails (outbox)")?;
    // RETURNING follows no order.
    taken.sort_by_key(|t| t.id);
    Ok(taken)
}

/// The server accepted the email: it is sent, and its text (which may hold a reset link) is
/// not kept.
pub async fn mark_sent(conn: &mut Conn, id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $2, \
         body = '[delivered over SMTP; the text is not kept]' WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(now_ms)
    .execute(conn)
    .await
    .step("marking an email sent (outbox)")?;
    Ok(())
}

pub struct FailedAttempt<'a> {
    pub id: i64,
    pub attempt: i64,
    pub gave_up: bool,
    pub next_attempt_ms: i64,
    pub now_ms: i64,
    pub error: &'a str,
}

pub async fn mark_failed_attempt(conn: &mut Conn, f: &FailedAttempt<'_>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET status = $2, attempts = $3, next_attempt_ms = $4, last_error = $5, updated_ms = $6 \
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(f.id)
    .bind(if f.gave_up { EmailStatus::Failed } else { EmailStatus::Queued })
    .bind(f.attempt)
    .bind(f.next_attempt_ms)
    .bind(f.error)
    .bind(f.now_ms)
    .execute(conn)
    .await
    .step("recording a failed attempt (outbox)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct Delivery {
    pub status: EmailStatus,
    pub account_id: Option<i64>,
    pub to_addr: String,
}

/// The email a provider's report is about, locked until the transaction ends.
pub async fn lock_for_report(conn: &mut Conn, id: i64) -> StoreResult<Option<Delivery>> {
    let sql = format!("SELECT status, account_id, to_addr FROM outbox WHERE id = $1{}", for_update(conn));
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await.step("reading an email (outbox)")
}

pub async fn set_status(conn: &mut Conn, id: i64, status: EmailStatus, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = $2, updated_ms = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(now_ms)
        .execute(conn)
        .await
        .step("changing an email's status (outbox)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct MailboxRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub status: EmailStatus,
    pub created_ms: i64,
}

/// What left the outbox, newest first.
pub async fn mailbox(conn: &mut Conn, limit: i64) -> StoreResult<Vec<MailboxRow>> {
    sqlx::query_as(
        "SELECT id, to_addr, subject, body, status, created_ms FROM outbox WHERE status <> 'queued' \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
    .step("reading the local mailbox (outbox)")
}
