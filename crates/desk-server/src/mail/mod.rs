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
//! - a row is never deleted, and a row being sent is taken with a lease (its `next_attempt_ms`
//!   pushed out, in the statement that picks it) so no other pass, on this instance or another,
//!   picks it up while the attempt is in flight (`store::outbox::take_due`).
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

use crate::audit::{self, Actor, AuditAction, Entry};
use crate::clock::from_ms;
use crate::config::Config;
use crate::domain::{DomainError, DomainResult};
use crate::store::{self, Db, StoreResult};
use crate::AppState;

/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;

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
                tracing::warn!(error = ?e, "outbox delivery failed; will retry");
            }
            state.sender_passes.fetch_add(1, std::sync::atomic::Ordering::Release);
        }
    })
}

/// One pass of the sender: delivers every queued email that is due. Answers how many were sent.
pub async fn deliver_due(state: &AppState, transport: &Transport) -> StoreResult<u64> {
    match transport {
        Transport::Local => deliver_queued(&state.db, state.clock.now_ms()).await,
        Transport::Held => Ok(0),
        Transport::Smtp(sender) => {
            let texts = deliver_locally(&state.db, state.clock.now_ms(), true).await?;
            Ok(texts + deliver_over_smtp(state, sender).await?)
        }
    }
}

/// Moves every queued email that is due to the local mailbox. Answers how many moved.
pub async fn deliver_queued(db: &Db, now_ms: i64) -> StoreResult<u64> {
    deliver_locally(db, now_ms, false).await
}

/// Text messages are not email: with SMTP configured they still go to the local mailbox.
async fn deliver_locally(db: &Db, now_ms: i64, texts_only: bool) -> StoreResult<u64> {
    let mut tx = db.write().await?;
    let done = store::outbox::deliver_locally(&mut tx, now_ms, texts_only).await?;
    store::commit(tx).await?;
    Ok(done)
}

/// The wait before the next attempt, after `attempts` attempts failed: the configured first delay,
/// doubling, at most [`MAX_BACKOFF_MS`].
pub fn backoff_ms(first_ms: i64, attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 32) as u32;
    first_ms.max(1).saturating_mul(1i64 << doublings).min(MAX_BACKOFF_MS)
}

async fn deliver_over_smtp(state: &AppState, sender: &smtp::SmtpSender) -> StoreResult<u64> {
    let now = state.clock.now_ms();
    let mut tx = state.db.write().await?;
    // The rows are this sender's until the lease (`mail_lease_secs`) runs out; then another
    // instance may take them, as it must when this one died mid-pass.
    let lease_ms = state.config.mail_lease_secs.max(1).saturating_mul(1000);
    let taken = store::outbox::take_due(&mut tx, now, now + lease_ms, BATCH).await?;
    store::commit(tx).await?;
    // A send started late in the lease could still be under way when another sender takes the
    // row and sends it too: past half the lease, the rest wait for a later pass (theirs, once
    // the lease has run out).
    let send_until = now + lease_ms / 2;
    let mut sent = 0;
    for row in taken {
        if state.clock.now_ms() >= send_until {
            tracing::info!(email_id = row.id, "half the mail lease has passed; the rest wait for a later pass");
            break;
        }
        let key = format!("outbox.{}.{}", row.id, row.created_ms);
        let outcome = sender.send(&row.to_addr, &row.subject, &row.body, &key).await;
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
                let failed = store::outbox::FailedAttempt {
                    id: row.id,
                    attempt,
                    gave_up: attempt >= max,
                    next_attempt_ms: now + backoff_ms(state.config.mail_backoff_ms, attempt),
                    now_ms: now,
                    error: &error,
                };
                record_with_retries(|| mark_failed_attempt(&state.db, &failed)).await?;
                if failed.gave_up {
                    tracing::error!(email_id = row.id, attempt, error = %error, "email delivery failed; giving up, the email is marked failed");
                } else {
                    tracing::warn!(email_id = row.id, attempt, retry_in_ms = failed.next_attempt_ms - now, error = %error, "email delivery failed; will retry");
                }
            }
        }
    }
    Ok(sent)
}

async fn mark_sent(db: &Db, id: i64, now: i64) -> StoreResult<()> {
    let mut tx = db.write().await?;
    store::outbox::mark_sent(&mut tx, id, now).await?;
    store::commit(tx).await
}

async fn mark_failed_attempt(db: &Db, failed: &store::outbox::FailedAttempt<'_>) -> StoreResult<()> {
    let mut tx = db.write().await?;
    store::outbox::mark_failed_attempt(&mut tx, failed).await?;
    store::commit(tx).await
}

/// Recording an attempt's outcome must not be lost to a passing store error (a lost "sent" would
/// send the email again once the claim runs out): a few tries before giving up.
async fn record_with_retries<F, Fut>(mut write: F) -> StoreResult<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<()>>,
{
    let mut tries = 0;
    loop {
        match write().await {
            Ok(()) => return Ok(()),
            Err(e) if tries < 4 => {
                tries += 1;
                tracing::warn!(error = ?e, tries, "cannot record a delivery attempt yet; retrying");
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
    db: &Db,
    now_ms: i64,
    client: &str,
    email_id: i64,
    event: MailEventKind,
) -> DomainResult<EmailStatus> {
    let mut tx = db.write().await?;
    let row = store::outbox::lock_for_report(&mut tx, email_id).await?.ok_or(DomainError::NotFound("email"))?;
    let current = row.status;
    let next = match (event, current) {
        (MailEventKind::Delivered, EmailStatus::Sent) => EmailStatus::Delivered,
        (MailEventKind::Bounced, EmailStatus::Sent | EmailStatus::Delivered) => EmailStatus::Bounced,
        (MailEventKind::Delivered, EmailStatus::Delivered) | (MailEventKind::Bounced, EmailStatus::Bounced) => {
            return Ok(current);
        }
        _ => {
            return Err(DomainError::conflict(
                ErrorCode::InvalidTransition,
                format!("email {email_id} is {}; it cannot become {}", current.as_str(), event.as_str()),
            ))
        }
    };
    store::outbox::set_status(&mut tx, email_id, next, now_ms).await?;
    let mut flagged = 0;
    if let (MailEventKind::Bounced, Some(account_id)) = (event, row.account_id) {
        flagged = store::accounts::flag_bounced(&mut tx, account_id, &row.to_addr).await?;
    }
    let entry = Entry {
        target_type: Some("email"),
        target_id: Some(email_id.to_string()),
        detail: serde_json::json!({"from": current.as_str(), "to": next.as_str(), "addresses_flagged": flagged}),
        ..Entry::new(AuditAction::MailEvent, event.as_str())
    };
    audit::record(&mut tx, now_ms, &Actor::anonymous(client), entry).await?;
    store::commit(tx).await?;
    Ok(next)
}

/// The local mailbox, newest first.
pub async fn mailbox(db: &Db, limit: i64) -> StoreResult<Vec<MailboxMessage>> {
    let rows = store::outbox::mailbox(&mut *db.acquire().await?, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| MailboxMessage {
            id: r.id,
            to: r.to_addr,
            subject: r.subject,
            body: r.body,
            status: r.status,
            created_at: from_ms(r.created_ms),
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
