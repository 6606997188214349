//! The audit log is protected by the database itself, not only by the service's code: the
//! service's connection cannot change or remove an entry, and on PostgreSQL its role may only
//! insert and select there (the tables belong to another role), while a trigger refuses updates
//! and deletes even from the owner. Concurrent appends through many requests keep one chain.

use std::sync::Arc;

use sqlx::Connection;

use crate::helpers::{reset_body, TestApp};
use crate::pg::{backend, Backend};

fn message(e: sqlx::Error) -> (Option<String>, String) {
    match e {
        sqlx::Error::Database(d) => (d.code().map(|c| c.to_string()), d.message().to_string()),
        other => (None, other.to_string()),
    }
}

#[tokio::test]
async fn the_service_cannot_change_or_remove_an_audit_entry() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    assert_eq!(app.password_reset(&t, 1, "k1", reset_body()).await.status, 202);
    let pool = app.running.state.db.pool();
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await.unwrap();
    assert!(before >= 2);

    for sql in ["UPDATE audit_log SET outcome = 'failure' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"] {
        let (code, text) = message(sqlx::query(sql).execute(pool).await.expect_err(sql));
        match backend() {
            // The role's own rights stop it before any trigger runs.
            Backend::Postgres => assert_eq!(code.as_deref(), Some("42501"), "{sql}: {text}"),
            Backend::Sqlite => assert!(text.contains("append-only"), "{sql}: {text}"),
        }
    }
    if backend() == Backend::Postgres {
        // Nor may it take the protection away: only the tables' owner may alter them.
        for sql in [
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete ON audit_log",
            "TRUNCATE audit_log",
        ] {
            let (code, text) = message(sqlx::query(sql).execute(pool).await.expect_err(sql));
            assert_eq!(code.as_deref(), Some("42501"), "{sql}: {text}");
        }
        // The owner (here the server's superuser, with triggers on) is refused by the trigger.
        let owner_url = app.config.db.replace("desk_service@", "desk@");
        let mut owner = sqlx::PgConnection::connect(&owner_url).await.unwrap();
        for sql in ["UPDATE audit_log SET outcome = 'failure' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"] {
            let (_, text) = message(sqlx::query(sql).execute(&mut owner).await.expect_err(sql));
            assert!(text.contains("append-only"), "{sql}: {text}");
        }
    }
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(app.verify().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_concurrent_audited_actions_append_one_chain_that_verifies() {
    let app = Arc::new(TestApp::spawn().await);
    let tokens = Arc::new([app.agent_token().await, app.lead_token().await, app.admin_token().await]);
    // Address checks by three people on sixty accounts: nothing but the chain's head is shared,
    // so every append races the others for it.
    let answers = app
        .concurrently(60, move |app, i| {
            let tokens = tokens.clone();
            async move {
                let body = serde_json::json!({ "address": format!("nobody{i}@mail.test") });
                app.post_json(&tokens[i % 3], &format!("/v1/accounts/{}/address-check", i + 1), body).await.status
            }
        })
        .await;
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    let pool = app.running.state.db.pool();
    let checks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'address_check'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(checks, 60);
    // One chain: no two entries name the same predecessor, and the whole log verifies.
    let forks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT prev_hash FROM audit_log GROUP BY prev_hash HAVING COUNT(*) > 1) f",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(forks, 0);
    assert_eq!(app.verify().await, None);
}
