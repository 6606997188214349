//! Several service instances on one database (PostgreSQL in production; SQLite here too, two
//! pools on one file): the rules hold across instances, not only inside one.

use std::collections::HashSet;
use std::sync::Arc;

use crate::helpers::{reset_body, TestApp};
use crate::queue::{bulk_open, fifty_claimers, file_and_confirm, form, PNG};

/// A second instance of the service on the first one's database and files.
async fn second_instance(app: &TestApp) -> desk_server::Running {
    desk_server::start(app.config.clone(), app.clock.clone()).await.expect("a second instance starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_claimers_spread_over_two_instances_never_claim_one_request_twice() {
    let app = Arc::new(TestApp::spawn().await);
    let other = second_instance(&app).await;
    let total = 2_000;
    bulk_open(&app, total).await;
    let tokens = Arc::new(vec![app.agent_token().await, app.lead_token().await, app.admin_token().await]);
    let urls = [app.url("/v1/requests/claim-next"), format!("{}/v1/requests/claim-next", other.url())];
    let all = fifty_claimers(&app, &tokens, &urls).await;
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a request was claimed twice");
    assert_eq!(all.len() as i64, total, "every request was claimed once");
    other.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resets_spread_over_two_instances_give_one_chain_and_one_email_each() {
    let app = Arc::new(TestApp::spawn().await);
    let other = second_instance(&app).await;
    let tokens = Arc::new(vec![app.agent_token().await, app.lead_token().await, app.admin_token().await]);
    let other_url = Arc::new(other.url());
    // 150 resets on 150 accounts by three people (within each one's hourly cap), half through each
    // instance, all at once.
    let answers = app
        .concurrently(150, move |app, i| {
            let (tokens, other_url) = (tokens.clone(), other_url.clone());
            async move {
                let base = if i % 2 == 0 { app.running.url() } else { other_url.to_string() };
                let url = format!("{base}/v1/accounts/{}/password-reset", i + 1);
                let res = app
                    .http
                    .post(url)
                    .bearer_auth(&tokens[i % 3])
                    .header("Idempotency-Key", format!("r{i}"))
                    .json(&reset_body())
                    .send()
                    .await
                    .unwrap();
                res.status().as_u16()
            }
        })
        .await;
    assert!(answers.iter().all(|s| *s == 202), "{answers:?}");
    let pool = app.running.state.db.pool();
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'password_reset'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(audited, 150);
    let emails: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT account_id) FROM outbox WHERE kind = 'password_reset'")
        .fetch_one(pool)
        .await
        .unwrap();
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'").fetch_one(pool).await.unwrap();
    assert_eq!((emails, rows), (150, 150), "one email per reset");
    assert_eq!(app.verify().await, None, "the chain both instances appended to verifies");
    other.stop().await;
}

#[tokio::test]
async fn evidence_filed_through_one_instance_is_shown_by_another_on_another_machine() {
    let app = TestApp::spawn().await;
    // The other instance's machine has an evidence folder of its own (the checkpoint file is
    // the one thing the instances share on disk).
    let elsewhere = tempfile::tempdir().unwrap();
    let mut config = app.config.clone();
    config.evidence_dir = Some(elsewhere.path().join("evidence"));
    let other = desk_server::start(config, app.clock.clone()).await.expect("a second instance starts");
    let f = form("jsmith", "james.smith@example.com", "email", "james.new@mail.test")
        .part("evidence", reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("id.png"));
    let id = file_and_confirm(&app, f, "james.smith@example.com").await;
    let token = app.agent_token().await;
    let detail = app.get_at(&other.url(), &token, &format!("/v1/requests/{id}")).await;
    let file = detail.body["evidence"][0]["id"].as_i64().expect("the request lists its evidence");
    let res = app
        .http
        .get(format!("{}/v1/requests/{id}/evidence/{file}", other.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG, "the other instance serves the same bytes");
    assert!(!elsewhere.path().join("evidence").exists(), "nothing was written to either machine's disk");
    assert!(!app.config.evidence_dir().exists());
    other.stop().await;
}
