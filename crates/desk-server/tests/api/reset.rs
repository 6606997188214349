use reqwest::Method;

use crate::helpers::{reset_body, TestApp};

#[tokio::test]
async fn password_reset_queues_an_email_with_a_link() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.password_reset(&t, 1, "key-1", reset_body()).await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert!(a.body["action_id"].as_i64().unwrap() > 0);
    assert_eq!(a.body["email"]["status"], "queued");

    let mail = app.mailbox().await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["to"], "maria.lopez@example.com");
    assert_eq!(mail[0]["id"], a.body["email"]["id"]);
    let body = mail[0]["body"].as_str().unwrap();
    let link_prefix = format!("{}/reset/", app.running.url());
    assert!(body.contains(&link_prefix), "{body}");

    // Delivery moves the email on, and the account shows it.
    let detail = app.get(&t, "/v1/accounts/1").await;
    assert_eq!(detail.body["recent_emails"][0]["status"], "sent");
    assert_eq!(detail.body["recent_emails"][0]["kind"], "password_reset");
}

#[tokio::test]
async fn same_idempotency_key_gives_the_same_answer_and_one_email() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let first = app.password_reset(&t, 1, "retry-me", reset_body()).await;
    let second = app.password_reset(&t, 1, "retry-me", reset_body()).await;
    assert_eq!(first.status, 202);
    assert_eq!(second.status, 202, "a retry inside the cooldown must not be refused: {}", second.text);
    assert_eq!(first.body, second.body);
    assert_eq!(app.mailbox().await.len(), 1);
    let actions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM agent_actions").fetch_one(app.running.state.db.pool()).await.unwrap();
    assert_eq!(actions, 1);
}

#[tokio::test]
async fn same_idempotency_key_with_another_request_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    app.password_reset(&t, 1, "k", reset_body()).await;
    let other = app.password_reset(&t, 2, "k", reset_body()).await;
    TestApp::assert_problem(&other, 409, "idempotency_key_reused");
}

#[tokio::test]
async fn a_second_reset_inside_the_cooldown_is_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    assert_eq!(app.password_reset(&t, 1, "a", reset_body()).await.status, 202);
    app.clock.advance(chrono::Duration::seconds(30));
    let again = app.password_reset(&t, 1, "b", reset_body()).await;
    TestApp::assert_problem(&again, 429, "cooldown");
    assert_eq!(again.headers["retry-after"], "90");
    assert_eq!(again.body["retry_after"], 90);
    assert_eq!(app.mailbox().await.len(), 1);

    // The console shows the same countdown on the account.
    assert_eq!(app.get(&t, "/v1/accounts/1").await.body["password_reset_available_in"], 90);

    app.clock.advance(chrono::Duration::seconds(90));
    assert_eq!(app.password_reset(&t, 1, "c", reset_body()).await.status, 202);
    assert_eq!(app.mailbox().await.len(), 2);
}

#[tokio::test]
async fn a_new_link_supersedes_the_older_one() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    app.password_reset(&t, 1, "a", reset_body()).await;
    app.clock.advance(chrono::Duration::minutes(3));
    app.password_reset(&t, 1, "b", reset_body()).await;
    let rows: Vec<(Option<i64>,)> =
        sqlx::query_as("SELECT superseded_ms FROM recovery_tokens WHERE account_id = 1 ORDER BY id")
            .fetch_all(app.running.state.db.pool())
            .await
            .unwrap();
    assert!(rows[0].0.is_some());
    assert!(rows[1].0.is_none());
}

#[tokio::test]
async fn reset_token_is_stored_hashed_and_never_answered() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.password_reset(&t, 1, "k", reset_body()).await;
    let mail = app.mailbox().await;
    let body = mail[0]["body"].as_str().unwrap();
    let token = body.split("/reset/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert_eq!(token.len(), 43, "256 bits, base64url");

    let (hash, expires, created): (String, i64, i64) =
        sqlx::query_as("SELECT token_hash, expires_ms, created_ms FROM recovery_tokens")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(hash, desk_server::crypto::token_hash(&token));
    assert_eq!(expires - created, 30 * 60 * 1000, "the default expiry is 30 minutes");

    // Read everything an agent can: none of it holds the token or its hash.
    app.get(&t, "/v1/accounts/1").await;
    app.get(&t, "/v1/accounts?q=maria").await;
    let _ = a;
    let seen = app.seen.lock().unwrap();
    for answer in seen.iter().filter(|s| !s.contains("\"subject\"")) {
        assert!(!answer.contains(&token), "the reset token leaked: {answer}");
        assert!(!answer.contains(&hash), "the token's hash leaked: {answer}");
    }
}

#[tokio::test]
async fn the_reset_and_its_email_are_audited_in_one_chain() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    app.password_reset(&t, 1, "k", reset_body()).await;
    #[derive(sqlx::FromRow)]
    struct Row {
        action: String,
        outcome: String,
        target_id: Option<String>,
        reason: Option<String>,
        ticket: Option<String>,
        actor_email: Option<String>,
    }
    let rows: Vec<Row> =
        sqlx::query_as("SELECT action, outcome, target_id, reason, ticket, actor_email FROM audit_log ORDER BY id")
            .fetch_all(app.running.state.db.pool())
            .await
            .unwrap();
    let reset = rows.iter().find(|r| r.action == "password_reset").expect("an audit entry for the reset");
    assert_eq!(reset.outcome, "success");
    assert_eq!(reset.target_id.as_deref(), Some("1"));
    assert_eq!(reset.reason.as_deref(), Some("forgot_password"));
    assert_eq!(reset.ticket.as_deref(), Some("SUP-1001"));
    assert_eq!(reset.actor_email.as_deref(), Some("agent@demo.test"));
    assert_eq!(app.verify().await, None);
    // The store itself refuses to rewrite history.
    assert!(sqlx::query("UPDATE audit_log SET outcome = 'x'").execute(app.running.state.db.pool()).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log").execute(app.running.state.db.pool()).await.is_err());
}

#[tokio::test]
async fn reset_needs_a_session() {
    let app = TestApp::spawn().await;
    let a = app
        .send(app.req(Method::POST, "/v1/accounts/1/password-reset").header("Idempotency-Key", "k").json(&reset_body()))
        .await;
    TestApp::assert_problem(&a, 401, "unauthorized");
    assert!(app.mailbox().await.is_empty());
}

#[tokio::test]
async fn a_ticket_must_have_the_form_the_deployment_sets_for_every_account_action() {
    let app = TestApp::spawn_with(|c| {
        c.ticket_pattern = Some(r"SUP-\d+".into());
        c.caller_verification_required.clear();
    })
    .await;
    let t = app.agent_token().await;
    // The console learns the form, to say it beside the ticket field.
    assert_eq!(app.get(&t, "/v1/me").await.body["ticket_pattern"], r"SUP-\d+");

    let with_ticket = |ticket: &str| serde_json::json!({"reason": "forgot_password", "ticket": ticket});
    for (i, bad) in ["T-1", "SUP-", "SUP-12x", "xSUP-12", "sup-12"].into_iter().enumerate() {
        let refused = app.password_reset(&t, 1, &format!("bad-{i}"), with_ticket(bad)).await;
        TestApp::assert_problem(&refused, 422, "invalid_input");
        assert_eq!(refused.body["field"], "ticket", "{bad}: {}", refused.text);
        assert!(refused.text.contains(r"SUP-\\d+"), "the error says the form: {}", refused.text);
    }
    // An account action and a reveal are held to the same form.
    let unlock = app
        .send(
            app.req(Method::POST, "/v1/accounts/1/unlock")
                .bearer_auth(&t)
                .header("Idempotency-Key", "unlock-1")
                .json(&with_ticket("T-1")),
        )
        .await;
    TestApp::assert_problem(&unlock, 422, "invalid_input");
    let email_id = app.get(&t, "/v1/accounts/1").await.body["emails"][0]["id"].as_i64().unwrap();
    let reveal = app
        .send(
            app.req(Method::POST, &format!("/v1/accounts/1/emails/{email_id}/reveal"))
                .bearer_auth(&t)
                .json(&serde_json::json!({"reason": "user reads it back on the call", "ticket": "T-1"})),
        )
        .await;
    TestApp::assert_problem(&reveal, 422, "invalid_input");
    // Nothing was sent, audited or revealed for the refused ones.
    let (mails, audited): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM audit_log WHERE action IN ('password_reset', 'address_reveal', 'account_unlock'))",
    )
    .fetch_one(app.running.state.db.pool())
    .await
    .unwrap();
    assert_eq!((mails, audited), (0, 0));

    let sent = app.password_reset(&t, 1, "good", with_ticket("SUP-12345")).await;
    assert_eq!(sent.status, 202, "{}", sent.text);
}
