//! The outbox sender. The embedded default delivers to the local mailbox (the outbox table itself,
//! viewable at `/dev/mailbox`), so "delivering" is moving the row from `queued` to `sent`.

use std::time::Duration;

use desk_api::{EmailStatus, MailboxMessage};
use sqlx::SqlitePool;

use crate::clock::from_ms;
use crate::db::begin_write;
use crate::AppState;

pub fn spawn_sender(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(state.config.mail_poll_ms));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_queued(&state.db, state.clock.now_ms()).await {
                tracing::warn!(error = %e, "outbox delivery failed; will retry");
            }
        }
    })
}

/// Moves every queued email to the local mailbox. Answers how many moved.
pub async fn deliver_queued(db: &SqlitePool, now_ms: i64) -> sqlx::Result<u64> {
    let mut tx = begin_write(db).await?;
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, updated_ms = $1 WHERE status = 'queued'",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(done)
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
