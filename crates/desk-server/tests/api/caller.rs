//! Verify the caller: a code of the user's own factor, read back to the agent, who never sees it.

use desk_server::demo::MARIA_TOTP;
use serde_json::json;

use crate::helpers::TestApp;

/// maria.lopez (1): authenticator app and verified addresses; aiko.t (3): a phone.
const MARIA: i64 = 1;
const AIKO: i64 = 3;

async fn challenge(app: &TestApp, t: &str, account: i64, method: &str) -> crate::helpers::Answer {
    app.post_json(t, &format!("/v1/accounts/{account}/caller-verification"), json!({ "method": method })).await
}

async fn check(app: &TestApp, t: &str, account: i64, id: i64, code: &str) -> crate::helpers::Answer {
    app.post_json(t, &format!("/v1/accounts/{account}/caller-verification/{id}/check"), json!({ "code": code })).await
}

/// The code the newest message to `to` carries (the caller reads it off their phone or inbox).
async fn code_sent_to(app: &TestApp, to: &str) -> String {
    let mail = app.mailbox().await;
    let m = mail.iter().find(|m| m["to"] == to).expect("a message to the caller");
    let body = m["body"].as_str().unwrap();
    let code = body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a 6-digit code").to_string();
    app.secrets.lock().unwrap().push(code.clone());
    code
}

#[tokio::test]
async fn a_right_sms_code_verifies_the_caller_and_the_account_shows_it_for_15_minutes() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let c = challenge(&app, &t, AIKO, "sms").await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert!(!c.text.contains("+81") && !c.text.contains("5678"), "the answer names no phone: {}", c.text);
    let code = code_sent_to(&app, "+81 90 1234 5678").await;
    assert!(!c.text.contains(&code));
    let sms = app.mailbox().await.into_iter().find(|m| m["to"] == "+81 90 1234 5678").unwrap();
    assert!(sms["body"].as_str().unwrap().contains("ONLY if you contacted support yourself"));

    let ok = check(&app, &t, AIKO, c.body["id"].as_i64().unwrap(), &code).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["method"], "sms");
    assert_eq!(ok.body["by"], "Alex Agent");
    let detail = app.get(&t, &format!("/v1/accounts/{AIKO}")).await;
    assert_eq!(detail.body["caller_verified"]["method"], "sms");
    assert_eq!(detail.body["caller_verified"]["by"], "Alex Agent");
    let activity = app.get(&t, &format!("/v1/accounts/{AIKO}/activity")).await;
    assert_eq!(activity.body["items"][0]["kind"], "caller_verified");

    app.clock.advance(chrono::Duration::minutes(15));
    let detail = app.get(&t, &format!("/v1/accounts/{AIKO}")).await;
    assert!(detail.body["caller_verified"].is_null(), "{}", detail.text);
}

#[tokio::test]
async fn the_authenticator_code_read_back_verifies_once() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let c1 = challenge(&app, &t, MARIA, "authenticator_app").await;
    assert_eq!(c1.status, 201, "{}", c1.text);
    assert!(c1.body["message"].is_null(), "nothing is sent for the app");
    let code = app.totp_now(MARIA_TOTP);
    assert_eq!(check(&app, &t, MARIA, c1.body["id"].as_i64().unwrap(), &code).await.status, 200);
    // The same code read back for a second challenge is a replay.
    let c2 = challenge(&app, &t, MARIA, "authenticator_app").await;
    let again = check(&app, &t, MARIA, c2.body["id"].as_i64().unwrap(), &code).await;
    TestApp::assert_problem(&again, 409, "wrong_code");
    // A challenge that passed cannot pass again.
    let used = check(&app, &t, MARIA, c1.body["id"].as_i64().unwrap(), &code).await;
    TestApp::assert_problem(&used, 409, "challenge_expired");
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_an_expired_challenge_says_so() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let c = challenge(&app, &t, MARIA, "email").await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert!(!c.text.contains("@"), "the answer names no address: {}", c.text);
    let code = code_sent_to(&app, "maria.lopez@example.com").await;
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let id = c.body["id"].as_i64().unwrap();
    let a = check(&app, &t, MARIA, id, wrong).await;
    TestApp::assert_problem(&a, 409, "wrong_code");
    assert!(a.body["detail"].as_str().unwrap().contains("4 attempts left"));
    app.clock.advance(chrono::Duration::minutes(10));
    let late = check(&app, &t, MARIA, id, &code).await;
    TestApp::assert_problem(&late, 409, "challenge_expired");
    // Someone else's challenge is not found for this agent.
    let lead = app.lead_token().await;
    let c = challenge(&app, &t, MARIA, "email").await;
    TestApp::assert_problem(
        &check(&app, &lead, MARIA, c.body["id"].as_i64().unwrap(), "000000").await,
        404,
        "not_found",
    );
    // A method the account lacks is refused clearly.
    TestApp::assert_problem(&challenge(&app, &t, 2, "authenticator_app").await, 409, "invalid_state");
}

#[tokio::test]
async fn attempts_are_limited_even_when_dozens_guess_at_once() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let c = challenge(&app, &t, MARIA, "email").await;
    let id = c.body["id"].as_i64().unwrap();
    let code = code_sent_to(&app, "maria.lopez@example.com").await;
    let guesses: Vec<String> =
        (0..30).map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000)).collect();
    let answers = futures_util::future::join_all(guesses.iter().map(|g| check(&app, &t, MARIA, id, g))).await;
    let wrong = answers.iter().filter(|a| a.status == 409).count();
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((wrong, limited), (5, 25), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    // Even the right code is refused once the attempts are spent.
    TestApp::assert_problem(&check(&app, &t, MARIA, id, &code).await, 429, "too_many_attempts");
    let spent: i64 = sqlx::query_scalar("SELECT attempts FROM caller_challenges WHERE id = $1")
        .bind(id)
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(spent, 5);
}

#[tokio::test]
async fn challenges_per_account_are_capped_per_hour_under_concurrency() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let answers = futures_util::future::join_all((0..20).map(|_| challenge(&app, &t, AIKO, "sms"))).await;
    let made = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(made, 5, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(answers
        .iter()
        .filter(|a| a.status != 201)
        .all(|a| a.status == 429 && a.headers.contains_key("retry-after")));
    let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'sms'")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(sent, 5);
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(challenge(&app, &t, AIKO, "sms").await.status, 201);
}

#[tokio::test]
async fn a_reveal_needs_a_recent_caller_verification_by_the_service_not_only_the_console() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let body = json!({"reason": "user reads it back on the call", "ticket": "SUP-9"});
    let path = "/v1/accounts/1/emails/1/reveal";
    let refused = app.post_json(&t, path, body.clone()).await;
    TestApp::assert_problem(&refused, 403, "caller_verification_required");
    let c = challenge(&app, &t, MARIA, "authenticator_app").await;
    assert_eq!(check(&app, &t, MARIA, c.body["id"].as_i64().unwrap(), &app.totp_now(MARIA_TOTP)).await.status, 200);
    let ok = app.post_json(&t, path, body).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let refusals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'address_reveal' AND outcome = 'refused_caller_not_verified'",
    )
    .fetch_one(app.running.state.db.pool())
    .await
    .unwrap();
    assert_eq!(refusals, 1);
}
