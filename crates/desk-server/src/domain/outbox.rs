//! Writing to the outbox, inside the caller's transaction: the email leaves only if the action
//! that caused it commits.

pub use crate::store::outbox::NewMail as Mail;
use crate::store::{self, Conn, StoreResult};

pub async fn enqueue(conn: &mut Conn, now_ms: i64, m: Mail<'_>) -> StoreResult<i64> {
    store::outbox::enqueue(conn, now_ms, &m).await
}

/// Tells every verified address what changed and what to do if it was not them.
pub async fn notify_all(
    conn: &mut Conn,
    now_ms: i64,
    account_id: i64,
    subject: &str,
    body: &str,
) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::new();
    for addr in store::accounts::verified_addresses(conn, account_id).await? {
        let mail = Mail {
            account_id: Some(account_id),
            action_id: None,
            token_id: None,
            kind: "notice",
            to: &addr,
            subject,
            body,
        };
        ids.push(enqueue(conn, now_ms, mail).await?);
    }
    Ok(ids)
}
