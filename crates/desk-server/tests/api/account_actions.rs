//! Unlock, verification email, end sessions: reason and ticket, idempotent, limited like the
//! resets, gated on a caller verification where the settings say, in the timeline, audited.

use desk_server::demo::MARIA_TOTP;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{Answer, TestApp};

const MARIA: i64 = 1;
const JSMITH: i64 = 2;
const JIMMY_UNVERIFIED: i64 = 4;

async fn act(app: &TestApp, t: &str, path: &str, key: &str, body: Value) -> Answer {
    app.send(app.req(Method::POST, path).bearer_auth(t).header("Idempotency-Key", key).json(&body)).await
}

async fn verify_maria(app: &TestApp, t: &str) {
    let c = app.post_json(t, "/v1/accounts/1/caller-verification", json!({"method": "authenticator_app"})).await;
    let id = c.body["id"].as_i64().unwrap();
    let ok = app
        .post_json(
            t,
            &format!("/v1/accounts/1/caller-verification/{id}/check"),
            json!({"code": app.totp_now(MARIA_TOTP)}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

async fn lock(app: &TestApp, id: i64) {
    sqlx::query("UPDATE accounts SET status = 'locked' WHERE id = $1")
        .bind(id)
        .execute(app.running.state.db.pool())
        .await
        .unwrap();
}

fn body(reason: &str) -> Value {
    json!({"reason": reason, "ticket": "SUP-77"})
}

#[tokio::test]
async fn unlock_needs_the_caller_verified_then_unlocks_once_and_tells_the_user() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    lock(&app, MARIA).await;
    let refused = act(&app, &t, "/v1/accounts/1/unlock", "u1", body("locked_out")).await;
    TestApp::assert_problem(&refused, 403, "caller_verification_required");
    verify_maria(&app, &t).await;
    let a = act(&app, &t, "/v1/accounts/1/unlock", "u1", body("locked_out")).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["emails"].as_array().unwrap().len(), 2, "both verified addresses are told");
    // A retry with the same key answers the same and does nothing twice.
    let replay = act(&app, &t, "/v1/accounts/1/unlock", "u1", body("locked_out")).await;
    assert_eq!(replay.body, a.body);
    let detail = app.get(&t, "/v1/accounts/1").await;
    assert_eq!(detail.body["status"], "active");
    let mail = app.mailbox().await;
    assert_eq!(mail.iter().filter(|m| m["subject"] == "Your account was unlocked").count(), 2);
    let activity = app.get(&t, "/v1/accounts/1/activity").await;
    assert_eq!(activity.body["items"][0]["kind"], "account_unlocked");
    assert!(
        activity.body["items"][0]["summary"].as_str().unwrap().contains("locked out of the account, ticket SUP-77"),
        "activity reads in words"
    );
    // Not locked any more: a new unlock is refused for what it is.
    let again = act(&app, &t, "/v1/accounts/1/unlock", "u2", body("locked_out")).await;
    TestApp::assert_problem(&again, 409, "invalid_state");
    let audited: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT outcome, reason, ticket FROM audit_log WHERE action = 'unlock' AND reason IS NOT NULL ORDER BY id",
    )
    .fetch_all(app.running.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, vec![("success".into(), "locked_out".into(), "SUP-77".into())]);
}

#[tokio::test]
async fn unlocks_are_limited_like_the_resets_and_race_to_one() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    lock(&app, MARIA).await;
    verify_maria(&app, &t).await;
    let keys: Vec<String> = (0..20).map(|i| format!("race-{i}")).collect();
    let answers = futures_util::future::join_all(
        keys.iter().map(|k| act(&app, &t, "/v1/accounts/1/unlock", k, body("locked_out"))),
    )
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == 202).count(), 1);
    assert!(
        answers.iter().filter(|a| a.status != 202).all(|a| a.status == 409),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    // Locked again at once: the cooldown of the kind holds.
    lock(&app, MARIA).await;
    let cool = act(&app, &t, "/v1/accounts/1/unlock", "after", body("locked_out")).await;
    TestApp::assert_problem(&cool, 429, "cooldown");
    assert!(cool.headers.contains_key("retry-after"));
    let actions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agent_actions WHERE kind = 'unlock'")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(actions, 1);
}

#[tokio::test]
async fn a_verification_email_reaches_the_unverified_address_without_showing_it_to_the_agent() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let path = format!("/v1/accounts/{JSMITH}/emails/{JIMMY_UNVERIFIED}/verification");
    let a = act(&app, &t, &path, "v1", body("email_not_received")).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert!(!a.text.contains("jimmy"), "{}", a.text);
    let link = app.link_for("jimmy.s@mail.test", "verify-email").await;
    // Opening the link (as a mail scanner would) verifies nothing; the button does.
    assert_eq!(app.page(&link).await.status, 200);
    let detail = app.get(&t, "/v1/accounts/2").await;
    assert_eq!(detail.body["emails"][1]["verified"], false);
    let done = app.post_form(&link, &[]).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(app.post_form(&link, &[]).await.status, 410, "the link works once");
    let detail = app.get(&t, "/v1/accounts/2").await;
    assert_eq!(detail.body["emails"][1]["verified"], true);
    let activity = app.get(&t, "/v1/accounts/2/activity").await;
    let kinds: Vec<&str> =
        activity.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..2], &["email_verified", "verification_sent"]);
    // Verified now: another is refused; an address of another account is not found.
    TestApp::assert_problem(&act(&app, &t, &path, "v2", body("email_not_received")).await, 409, "invalid_state");
    TestApp::assert_problem(
        &act(&app, &t, "/v1/accounts/2/emails/1/verification", "v3", body("email_not_received")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn ending_sessions_needs_suspected_compromise_and_tells_every_verified_address() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let wrong = act(&app, &t, "/v1/accounts/1/end-sessions", "e0", body("forgot_password")).await;
    TestApp::assert_problem(&wrong, 422, "invalid_input");
    assert_eq!(wrong.body["field"], "reason");
    TestApp::assert_problem(
        &act(&app, &t, "/v1/accounts/1/end-sessions", "e1", body("suspected_compromise")).await,
        403,
        "caller_verification_required",
    );
    verify_maria(&app, &t).await;
    let a = act(&app, &t, "/v1/accounts/1/end-sessions", "e1", body("suspected_compromise")).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.body["sessions_ended"], 2);
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE account_id = 1 AND revoked_ms IS NULL")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(live, 0);
    let notices: Vec<String> = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["subject"] == "You were signed out everywhere")
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(notices.len(), 2);
    assert!(notices.contains(&"m.lopez.work@mail.test".to_string()));
    let replay = act(&app, &t, "/v1/accounts/1/end-sessions", "e1", body("suspected_compromise")).await;
    assert_eq!(replay.body, a.body);
    assert_eq!(app.get(&t, "/v1/accounts/1/activity").await.body["items"][0]["kind"], "sessions_ended");
}

#[tokio::test]
async fn the_actions_that_need_a_verification_are_a_setting() {
    let app = TestApp::spawn_with(|c| c.caller_verification_required = vec!["verification_email".into()]).await;
    let t = app.agent_token().await;
    lock(&app, MARIA).await;
    assert_eq!(act(&app, &t, "/v1/accounts/1/unlock", "s1", body("locked_out")).await.status, 202);
    let path = format!("/v1/accounts/{JSMITH}/emails/{JIMMY_UNVERIFIED}/verification");
    TestApp::assert_problem(
        &act(&app, &t, &path, "s2", body("email_not_received")).await,
        403,
        "caller_verification_required",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_retries_with_one_key_send_one_verification_email() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let t = std::sync::Arc::new(app.agent_token().await);
    let path = format!("/v1/accounts/{JSMITH}/emails/{JIMMY_UNVERIFIED}/verification");
    let answers = app
        .concurrently(30, move |app, _| {
            let (t, path) = (t.clone(), path.clone());
            async move { act(&app, &t, &path, "same-key", body("email_not_received")).await }
        })
        .await;
    assert!(answers.iter().all(|a| a.status == 202), "{:?}", answers.iter().map(|a| &a.text).collect::<Vec<_>>());
    assert!(answers.iter().all(|a| a.body == answers[0].body), "every retry answers the first action");
    let pool = app.running.state.db.pool();
    let actions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agent_actions WHERE kind = 'verification_email'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(actions, 1);
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'verification_email'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_unlocks_with_their_own_keys_unlock_once_and_the_rest_meet_the_rule() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let t = std::sync::Arc::new(app.agent_token().await);
    lock(&app, MARIA).await;
    verify_maria(&app, &t).await;
    let answers = app
        .concurrently(30, move |app, i| {
            let t = t.clone();
            async move { act(&app, &t, "/v1/accounts/1/unlock", &format!("u{i}"), body("locked_out")).await }
        })
        .await;
    let done = answers.iter().filter(|a| a.status == 202).count();
    assert_eq!(done, 1, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    // The others find it unlocked already (409) or meet the cooldown (429); none is an error.
    assert!(
        answers.iter().all(|a| [202, 409, 429].contains(&a.status)),
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    let pool = app.running.state.db.pool();
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject = 'Your account was unlocked'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(told, 2, "each verified address is told once");
}
