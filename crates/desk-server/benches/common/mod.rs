//! What both benches set up the same way.

use desk_server::store::Db;
use desk_server::{Clock, SystemClock};

/// `n` open, low-risk requests straight into the table (references `SD-{tag}000000`…), in one
/// transaction: the queue a bench claims from, without filing each through the public form.
pub async fn insert_requests(db: &Db, n: i64, tag: &str) {
    let now = SystemClock.now_ms();
    let mut tx = db.write().await.unwrap();
    for i in 0..n {
        sqlx::query(
            "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, identifier, \
             contact_email, full_name, country, statement, facts, submitted_ms, sla_due_ms, updated_ms) \
             VALUES ($1, 'open', 'low', '[]', 'phone', 'x', 'c@mail.test', 'N', 'US', 's', '[]', $2, $3, $2)",
        )
        .bind(format!("SD-{tag}{i:06}"))
        .bind(now)
        .bind(now + i)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}
