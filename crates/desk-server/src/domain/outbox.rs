//! Writing to the outbox, inside the caller's transaction: the email leaves only if the action
//! that caused it commits.

use crate::store::Conn;

pub struct Mail<'a> {
    pub account_id: Option<i64>,
    pub action_id: Option<i64>,
    pub token_id: Option<i64>,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

pub async fn enqueue(conn: &mut Conn, now_ms: i64, m: Mail<'_>) -> sqlx::Result<i64> {
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
}

/// Tells every verified address what changed and what to do if it was not them.
pub async fn notify_all(
    conn: &mut Conn,
    now_ms: i64,
    account_id: i64,
    subject: &str,
    body: &str,
) -> sqlx::Result<Vec<i64>> {
    let to: Vec<String> =
        sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 AND verified = 1 ORDER BY id")
            .bind(account_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut ids = Vec::new();
    for addr in to {
        ids.push(
            enqueue(
                &mut *conn,
                now_ms,
                Mail {
                    account_id: Some(account_id),
                    action_id: None,
                    token_id: None,
                    kind: "notice",
                    to: &addr,
                    subject,
                    body,
                },
            )
            .await?,
        );
    }
    Ok(ids)
}
