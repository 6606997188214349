//! The outbox sender, and what the mail provider tells us afterwards.
//!
//! Actions write their email to the `outbox` table in their own transaction; one sender task moves
//! it on. A demo on loopback delivers to the local mailbox (the outbox table itself, viewable at
//! `/dev/mailbox`), so "delivering" is moving the row from `queued` to `sent`. Without `[smtp]`
//! anywhere else, mail is held: it stays `queued`, and no page shows it. With `[smtp]`
//! configured, each due row is sent over SMTP, one at a time:
//!
//! - a row becomes `sent` only after the server accepted the message (its `250` to the final dot);
//! - a failed attempt keeps the row `queued`, counts it, keeps the error text in `last_error` and
//!   makes it due again after a doubling backoff; after `mail_max_attempts` it becomes `failed`;
//! - a row is never deleted, and a row being sent is claimed (its `next_attempt_ms` pushed out) so
//!   no other pass picks it up while the attempt is in flight.
//!
//! Text messages (`kind = 'sms'`, addressed to a phone number) have no gateway yet: they go to the
//! local mailbox whatever the transport, as in the embedded default.
//!
//! The body holds a reset link, a secret: it is never logged and never stored in `last_error`.
//!
//! The provider's webhook then moves `sent` to `delivered` or `bounced` ([`apply_event`]).

pub mod smtp;

use std::time::Duration;

use desk_api::{EmailStatus, ErrorCode, MailEventKind, MailboxMessage};
use sqlx::SqlitePool;

use crate::audit::{self, Actor, AuditAction, Entry};
use crate::clock::from_ms;
use crate::config::Config;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;

/// How far a row's `next_attempt_ms` is pushed while an attempt is in flight; longer than an
/// attempt may take, so only a sender that died mid-attempt lets the row be tried again.
const CLAIM_MS: i64 = 10 * 60 * 1000;

/// Rows taken per pass.
const BATCH: i64 = 100;

/// Where the outbox goes.
#[derive(Debug)]
pub enum Transport {
    /// A demo on loopback: the local mailbox.
    Local,
    Smtp(Box<smtp::SmtpSender>),
    /// Neither: mail stays queued (and the console says so) until SMTP is configured.
    Held,
}

impl Transport {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.smtp {
            Some(smtp) => Ok(Transport::Smtp(Box::new(smtp::SmtpSender::new(smtp)?))),
            None if config.local_mailbox() => Ok(Transport::Local),
            None => Ok(Transport::Held),
        }
    }
}

pub fn spawn_sender(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let transport = match Transport::from_config(&state.config) {
            Ok(t) => t,
            Err(e) => {
                // Nothing is lost: the outbox keeps every email queued until the setting is fixed.
                tracing::error!(error = %e, "the SMTP settings are unusable; outbox delivery is stopped");
                return;
            }
        };
        let mut tick = tokio::time::interval(Duration::from_millis(state.config.mail_poll_ms.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&state, &transport).await {
                tracing::warn!(error = %e, "outbox delivery failed; will retry");
            }
        }
    })
}

/// One pass of the sender: delivers every queued email that is due. Answers how many were sent.
pub async fn deliver_due(state: &AppState, transport: &Transport) -> sqlx::Result<u64> {
    match transport {
        Transport::Local => deliver_queued(&state.db, state.clock.now_ms()).await,
        Transport::Held => Ok(0),
        Transport::Smtp(sender) => {
            let texts = deliver_texts_locally(&state.db, state.clock.now_ms()).await?;
            Ok(texts + deliver_over_smtp(state, sender).await?)
        }
    }
}

/// Moves every queued email that is due to the local mailbox. Answers how many moved.
pub async fn deliver_queued(db: &SqlitePool, now_ms: i64) -> sqlx::Result<u64> {
    let mut tx = begin_write(db).await?;
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $1 \
         WHERE status = 'queued' AND next_attempt_ms <= $1",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(done)
}

/// Text messages are not email: with SMTP configured they still go to the local mailbox.
async fn deliver_texts_locally(db: &SqlitePool, now_ms: i64) -> sqlx::Result<u64> {
    let mut tx = begin_write(db).await?;
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $1 \
         WHERE status = 'queued' AND next_attempt_ms <= $1 AND kind = 'sms'",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(done)
}

/// The wait before the next attempt, after `attempts` attempts failed: the configured first delay,
/// doubling, at most [`MAX_BACKOFF_MS`].
pub fn backoff_ms(first_ms: i64, attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 32) as u32;
    first_ms.max(1).saturating_mul(1i64 << doublings).min(MAX_BACKOFF_MS)
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    to_addr: String,
    subject: String,
    body: String,
    attempts: i64,
}

async fn deliver_over_smtp(state: &AppState, sender: &smtp::SmtpSender) -> sqlx::Result<u64> {
    let now = state.clock.now_ms();
    let due: Vec<Due> = sqlx::query_as(
        "SELECT id, to_addr, subject, body, attempts FROM outbox \
         WHERE status = 'queued' AND next_attempt_ms <= $1 AND kind <> 'sms' ORDER BY next_attempt_ms, id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(&state.db)
    .await?;
    let mut sent = 0;
    for row in due {
        if !claim(&state.db, &row, state.clock.now_ms()).await? {
            continue;
        }
        let outcome = sender.send(&row.to_addr, &row.subject, &row.body).await;
        let now = state.clock.now_ms();
        let attempt = row.attempts + 1;
        match outcome {
            Ok(()) => {
                record_with_retries(|| mark_sent(&state.db, row.id, now)).await?;
                tracing::info!(email_id = row.id, attempt, "email sent over SMTP");
                sent += 1;
            }
            Err(error) => {
                let max = state.config.mail_max_attempts.max(1);
                let next = now + backoff_ms(state.config.mail_backoff_ms, attempt);
                let gave_up = attempt >= max;
                record_with_retries(|| mark_failed_attempt(&state.db, row.id, attempt, gave_up, next, now, &error))
                    .await?;
                if gave_up {
                    tracing::error!(email_id = row.id, attempt, error = %error, "email delivery failed; giving up, the email is marked failed");
                } else {
                    tracing::warn!(email_id = row.id, attempt, retry_in_ms = next - now, error = %error, "email delivery failed; will retry");
                }
            }
        }
    }
    Ok(sent)
}

/// Takes the row for this attempt: pushes its due time out so that no other pass (or process)
/// sends it while the attempt is in flight. False when someone else took it first.
async fn claim(db: &SqlitePool, row: &Due, now: i64) -> sqlx::Result<bool> {
    let mut tx = begin_write(db).await?;
    let taken = sqlx::query(
        "UPDATE outbox SET next_attempt_ms = $2 \
         WHERE id = $1 AND status = 'queued' AND attempts = $3 AND next_attempt_ms <= $4",
    )
    .bind(row.id)
    .bind(now + CLAIM_MS)
    .bind(row.attempts)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(taken == 1)
}

async fn mark_sent(db: &SqlitePool, id: i64, now: i64) -> sqlx::Result<()> {
    let mut tx = begin_write(db).await?;
    sqlx::query(
        // Once the mail server has it, the text (which may hold a reset link) is not kept here.
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $2, \
         body = '[delivered over SMTP; the text is not kept]' WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

async fn mark_failed_attempt(
    db: &SqlitePool,
    id: i64,
    attempt: i64,
    gave_up: bool,
    next_attempt_ms: i64,
    now: i64,
    error: &str,
) -> sqlx::Result<()> {
    let mut tx = begin_write(db).await?;
    sqlx::query(
        "UPDATE outbox SET status = $2, attempts = $3, next_attempt_ms = $4, last_error = $5, updated_ms = $6 \
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(if gave_up { "failed" } else { "queued" })
    .bind(attempt)
    .bind(next_attempt_ms)
    .bind(error)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Recording an attempt's outcome must not be lost to a passing store error (a lost "sent" would
/// send the email again once the claim runs out): a few tries before giving up.
async fn record_with_retries<F, Fut>(mut write: F) -> sqlx::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = sqlx::Result<()>>,
{
    let mut tries = 0;
    loop {
        match write().await {
            Ok(()) => return Ok(()),
            Err(e) if tries < 4 => {
                tries += 1;
                tracing::warn!(error = %e, tries, "cannot record a delivery attempt yet; retrying");
                tokio::time::sleep(Duration::from_millis(50 << tries)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Applies the provider's report about one email, with its audit entry, in one transaction.
/// `delivered`: `sent` becomes `delivered`. `bounced`: `sent` or `delivered` becomes `bounced`, and
/// the account's address the email went to is flagged as bouncing. The same report twice changes
/// nothing and answers the current status (providers retry their webhooks); any other status is a
/// `409 invalid_transition`.
pub async fn apply_event(
    db: &SqlitePool,
    now_ms: i64,
    client: &str,
    email_id: i64,
    event: MailEventKind,
) -> ApiResult<EmailStatus> {
    let mut tx = begin_write(db).await?;
    let row: Option<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT status, account_id, to_addr FROM outbox WHERE id = $1")
            .bind(email_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (status, account_id, to_addr) = row.ok_or(ApiError::NotFound("email"))?;
    let current = EmailStatus::parse(&status)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("outbox row {email_id} has an unknown status")))?;
    let next = match (event, current) {
        (MailEventKind::Delivered, EmailStatus::Sent) => EmailStatus::Delivered,
        (MailEventKind::Bounced, EmailStatus::Sent | EmailStatus::Delivered) => EmailStatus::Bounced,
        (MailEventKind::Delivered, EmailStatus::Delivered) | (MailEventKind::Bounced, EmailStatus::Bounced) => {
            return Ok(current);
        }
        _ => {
            return Err(ApiError::Conflict {
                code: ErrorCode::InvalidTransition,
                message: format!("email {email_id} is {}; it cannot become {}", current.as_str(), event.as_str()),
            })
        }
    };
    sqlx::query("UPDATE outbox SET status = $2, updated_ms = $3 WHERE id = $1")
        .bind(email_id)
        .bind(next.as_str())
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    let mut flagged = 0;
    if let (MailEventKind::Bounced, Some(account_id)) = (event, account_id) {
        flagged =
            sqlx::query("UPDATE account_emails SET bounced = 1 WHERE account_id = $1 AND lower(email) = lower($2)")
                .bind(account_id)
                .bind(&to_addr)
                .execute(&mut *tx)
                .await?
                .rows_affected();
    }
    audit::record(
        &mut tx,
        now_ms,
        &Actor::anonymous(client),
        Entry {
            target_type: Some("email"),
            target_id: Some(email_id.to_string()),
            detail: serde_json::json!({"from": current.as_str(), "to": next.as_str(), "addresses_flagged": flagged}),
            ..Entry::new(AuditAction::MailEvent, event.as_str())
        },
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// The local mailbox, newest first.
pub async fn mailbox(db: &SqlitePool, limit: i64) -> sqlx::Result<Vec<MailboxMessage>> {
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, to_addr, subject, body, status, created_ms FROM outbox WHERE status <> 'queued' ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, to, subject, body, status, created)| MailboxMessage {
            id,
            to,
            subject,
            body,
            status: EmailStatus::parse(&status).unwrap_or(EmailStatus::Sent),
            created_at: from_ms(created),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_delay_up_to_five_minutes() {
        assert_eq!(backoff_ms(1_000, 1), 1_000);
        assert_eq!(backoff_ms(1_000, 2), 2_000);
        assert_eq!(backoff_ms(1_000, 4), 8_000);
        assert_eq!(backoff_ms(1_000, 9), 256_000);
        assert_eq!(backoff_ms(1_000, 10), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(1_000, 1_000), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(0, 1), 1);
    }
}
