use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
use desk_server::Clock;
use reqwest::Method;

use crate::helpers::TestApp;

#[tokio::test]
async fn demo_agent_signs_in_with_password_and_totp() {
    let app = TestApp::spawn().await;
    let a = app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["agent"]["email"], AGENT_EMAIL);
    assert_eq!(a.body["agent"]["role"], "agent");
    assert!(a.body["expires_at"].is_string());
    let token = a.body["token"].as_str().unwrap();
    assert!(token.len() >= 43);

    let me = app.get(token, "/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["agent"]["email"], AGENT_EMAIL);

    let lead = app.sign_in_as(LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP).await;
    assert_eq!(lead.body["agent"]["role"], "lead");
}

#[tokio::test]
async fn session_token_is_stored_hashed() {
    let app = TestApp::spawn().await;
    let token = app.agent_token().await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM agent_sessions")
        .fetch_all(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert_eq!(stored[0], desk_server::crypto::token_hash(&token));
}

#[tokio::test]
async fn wrong_password_wrong_totp_and_unknown_agent_are_answered_alike() {
    let app = TestApp::spawn().await;
    let wrong_pw = app.sign_in_as(AGENT_EMAIL, "not-the-password", AGENT_TOTP).await;
    let code = app.totp_now(AGENT_TOTP);
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong_totp = app
        .send(app.req(Method::POST, "/v1/sessions").json(&serde_json::json!({
            "email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": wrong_code
        })))
        .await;
    let unknown = app.sign_in_as("nobody@demo.test", AGENT_PASSWORD, AGENT_TOTP).await;
    for a in [&wrong_pw, &wrong_totp, &unknown] {
        TestApp::assert_problem(a, 401, "invalid_credentials");
    }
    assert_eq!(wrong_pw.body, unknown.body, "an unknown agent must look like a wrong password");
    assert_eq!(wrong_pw.body, wrong_totp.body);
}

#[tokio::test]
async fn every_sign_in_attempt_is_audited() {
    let app = TestApp::spawn().await;
    app.sign_in_as(AGENT_EMAIL, "bad", AGENT_TOTP).await;
    app.agent_token().await;
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT action, outcome, actor_email FROM audit_log ORDER BY id")
            .fetch_all(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], ("sign_in".into(), "failure".into(), None));
    assert_eq!(rows[1], ("sign_in".into(), "success".into(), Some(AGENT_EMAIL.into())));
    assert_eq!(app.verify().await, None);
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_with_retry_after() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        let a = app.sign_in_as(AGENT_EMAIL, "bad", AGENT_TOTP).await;
        assert_eq!(a.status, 401);
    }
    // Even the right password is refused while the address is limited.
    let a = app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    TestApp::assert_problem(&a, 429, "too_many_attempts");
    let retry: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60);

    app.clock.advance(chrono::Duration::minutes(16));
    let a = app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    assert_eq!(a.status, 201, "{}", a.text);
}

#[tokio::test]
async fn a_totp_code_cannot_be_used_twice() {
    let app = TestApp::spawn().await;
    let code = app.totp_now(AGENT_TOTP);
    let body = serde_json::json!({"email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": code});
    let first = app.send(app.req(Method::POST, "/v1/sessions").json(&body)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let replay = app.send(app.req(Method::POST, "/v1/sessions").json(&body)).await;
    TestApp::assert_problem(&replay, 401, "invalid_credentials");
    // The previous step's code is older still.
    let older = desk_server::totp::code_at(AGENT_TOTP, app.clock.now().timestamp() - 30).unwrap();
    let body = serde_json::json!({"email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": older});
    TestApp::assert_problem(
        &app.send(app.req(Method::POST, "/v1/sessions").json(&body)).await,
        401,
        "invalid_credentials",
    );
    app.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await.status, 201);
}

#[tokio::test]
async fn sign_out_revokes_the_token() {
    let app = TestApp::spawn().await;
    let token = app.agent_token().await;
    let out = app.send(app.req(Method::DELETE, "/v1/sessions/current").bearer_auth(&token)).await;
    assert_eq!(out.status, 204);
    TestApp::assert_problem(&app.get(&token, "/v1/me").await, 401, "session_expired");
}

#[tokio::test]
async fn sessions_expire() {
    let app = TestApp::spawn().await;
    let token = app.agent_token().await;
    app.clock.advance(chrono::Duration::hours(8) + chrono::Duration::seconds(1));
    TestApp::assert_problem(&app.get(&token, "/v1/me").await, 401, "session_expired");
}

#[tokio::test]
async fn no_token_or_an_unknown_token_is_unauthorized() {
    let app = TestApp::spawn().await;
    let a = app.send(app.req(Method::GET, "/v1/me")).await;
    TestApp::assert_problem(&a, 401, "unauthorized");
    TestApp::assert_problem(&app.get("made-up-token", "/v1/accounts?q=maria").await, 401, "unauthorized");
}

#[tokio::test]
async fn an_active_session_is_renewed_past_its_ttl_but_ends_at_the_absolute_cap() {
    let app = TestApp::spawn().await;
    let signed_in = app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    let token = signed_in.body["token"].as_str().unwrap().to_string();
    let at = |v: &serde_json::Value| v.as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let ends_at = at(&signed_in.body["ends_at"]);
    let start = app.clock.now();
    assert_eq!(ends_at, start + chrono::Duration::hours(12));
    // Used every two hours, the session outlives its 8-hour ttl.
    for hours in [2, 4, 6, 8, 10] {
        app.clock.set(start + chrono::Duration::hours(hours));
        let me = app.get(&token, "/v1/me").await;
        assert_eq!(me.status, 200, "at hour {hours}: {}", me.text);
        assert_eq!(at(&me.body["session_ends_at"]), ends_at, "the cap never moves");
    }
    app.clock.set(start + chrono::Duration::hours(11) + chrono::Duration::minutes(59));
    let me = app.get(&token, "/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(at(&me.body["session_expires_at"]), ends_at, "renewal stops at the cap");
    // Used an hour before, but 12 hours after sign-in: over.
    app.clock.set(start + chrono::Duration::hours(12) + chrono::Duration::seconds(1));
    TestApp::assert_problem(&app.get(&token, "/v1/me").await, 401, "session_expired");
}

#[tokio::test]
async fn an_idle_session_still_ends_after_its_ttl() {
    let app = TestApp::spawn_with(|c| c.session_ttl_secs = 3600).await;
    let token = app.agent_token().await;
    app.clock.advance(chrono::Duration::minutes(50));
    assert_eq!(app.get(&token, "/v1/me").await.status, 200);
    app.clock.advance(chrono::Duration::minutes(61));
    TestApp::assert_problem(&app.get(&token, "/v1/me").await, 401, "session_expired");
}

#[tokio::test]
async fn concurrent_renewals_never_carry_a_session_past_its_cap() {
    let app = std::sync::Arc::new(
        TestApp::spawn_with(|c| {
            c.session_ttl_secs = 3600;
            c.session_max_secs = 2 * 3600;
        })
        .await,
    );
    let token = app.agent_token().await;
    let start = app.clock.now();
    let cap = start + chrono::Duration::hours(2);
    // Used within its hour, then forty uses at once ten minutes before the cap: each renews toward
    // an hour later, and none may move the end past the cap.
    app.clock.set(start + chrono::Duration::minutes(55));
    assert_eq!(app.get(&token, "/v1/me").await.status, 200);
    app.clock.set(cap - chrono::Duration::minutes(10));
    let answers = app
        .concurrently(40, |app, _| {
            let token = token.clone();
            async move { app.get(&token, "/v1/me").await }
        })
        .await;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text);
        let expires: chrono::DateTime<chrono::Utc> = a.body["session_expires_at"].as_str().unwrap().parse().unwrap();
        assert!(expires <= cap, "{expires} is past the cap {cap}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT expires_ms FROM agent_sessions")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, cap.timestamp_millis());
    app.clock.set(cap);
    let answers = app
        .concurrently(40, |app, _| {
            let token = token.clone();
            async move { app.get(&token, "/v1/me").await.status }
        })
        .await;
    assert!(answers.iter().all(|s| *s == 401), "{answers:?}");
}
