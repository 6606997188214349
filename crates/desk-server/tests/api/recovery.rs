//! The article's recovery flow, end to end over HTTP: links, two-step verification, new secrets,
//! notices, limits, and what agents see of it.

use chrono::Duration;
use desk_server::demo::{MARIA_BACKUP_CODES, MARIA_TOTP};
use desk_server::Clock;
use serde_json::json;

use crate::helpers::{reset_body, TestApp};

const NEW_PASSWORD: &str = "violet otter climbs 42 stairs";

async fn agent_sends(app: &TestApp, t: &str, account: i64, kind: &str) {
    let path = format!("/v1/accounts/{account}/{kind}");
    let a = app
        .send(
            app.req(reqwest::Method::POST, &path)
                .bearer_auth(t)
                .header("Idempotency-Key", format!("{kind}-{}", app.clock.now_ms()))
                .json(&reset_body()),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.text);
}

async fn password_hash(app: &TestApp, account: i64) -> String {
    sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap()
}

/// jsmith (account 2) has no 2FA: the link goes straight to the new password.
async fn jsmith_link(app: &TestApp) -> (String, String) {
    let t = app.agent_token().await;
    agent_sends(app, &t, 2, "password-reset").await;
    (t, app.link_for("james.smith@example.com", "reset").await)
}

#[tokio::test]
async fn reset_link_cannot_be_used_twice() {
    let app = TestApp::spawn().await;
    let (_, link) = jsmith_link(&app).await;
    let before = password_hash(&app, 2).await;
    let form = app.page(&link).await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains("Choose a new password"), "{}", form.text);
    let done = app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(done.text.contains("password has been changed"));
    let after = password_hash(&app, 2).await;
    assert_ne!(before, after);
    assert!(desk_server::crypto::verify_password(NEW_PASSWORD, &after));

    let again = app.page(&link).await;
    assert_eq!(again.status, 410);
    assert!(again.text.contains("already used"));
    let replay =
        app.post_form(&link, &[("password", "another long password 9"), ("confirm", "another long password 9")]).await;
    assert_eq!(replay.status, 410);
    assert_eq!(password_hash(&app, 2).await, after);
}

#[tokio::test]
async fn reset_link_expires_after_30_minutes() {
    let app = TestApp::spawn().await;
    let (_, link) = jsmith_link(&app).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.page(&link).await.status, 200);
    app.clock.advance(Duration::minutes(1));
    let expired = app.page(&link).await;
    assert_eq!(expired.status, 410);
    assert!(expired.text.contains("expired") && expired.text.contains("/recover"));
    let before = password_hash(&app, 2).await;
    let post = app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    assert_eq!(post.status, 410);
    assert_eq!(password_hash(&app, 2).await, before, "an expired link changed the password");
}

#[tokio::test]
async fn resend_supersedes_the_older_link() {
    let app = TestApp::spawn().await;
    let (t, first) = jsmith_link(&app).await;
    app.clock.advance(Duration::minutes(3));
    agent_sends(&app, &t, 2, "password-reset").await;
    let second = app.link_for("james.smith@example.com", "reset").await;
    assert_ne!(first, second);
    let old = app.page(&first).await;
    assert_eq!(old.status, 410);
    assert!(old.text.contains("newer link"));
    let before = password_hash(&app, 2).await;
    let post = app.post_form(&first, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    assert_eq!(post.status, 410);
    assert_eq!(password_hash(&app, 2).await, before, "a superseded link changed the password");
    assert_eq!(app.page(&second).await.status, 200);
}

#[tokio::test]
async fn weak_or_mismatched_passwords_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    let (_, link) = jsmith_link(&app).await;
    let before = password_hash(&app, 2).await;
    for (pw, confirm, says) in [
        ("short", "short", "12 characters"),
        (NEW_PASSWORD, "different one here", "not the same"),
        ("jsmith-the-great-1", "jsmith-the-great-1", "username"),
    ] {
        let a = app.post_form(&link, &[("password", pw), ("confirm", confirm)]).await;
        assert_eq!(a.status, 422, "{}", a.text);
        assert!(a.text.contains(says), "{says}: {}", a.text);
    }
    assert_eq!(password_hash(&app, 2).await, before, "nothing changed");
    assert_eq!(app.page(&link).await.status, 200, "the link still works");
}

/// Maria (account 1) has an authenticator app and backup codes.
async fn maria_link(app: &TestApp) -> String {
    let t = app.agent_token().await;
    agent_sends(app, &t, 1, "password-reset").await;
    app.link_for("maria.lopez@example.com", "reset").await
}

#[tokio::test]
async fn two_factor_is_demanded_before_the_new_password() {
    let app = TestApp::spawn().await;
    let link = maria_link(&app).await;
    let before = password_hash(&app, 1).await;
    let page = app.page(&link).await;
    assert!(page.text.contains("Verify it"), "{}", page.text);
    assert!(page.text.contains("authenticator app"));
    assert!(page.text.contains("Try another method") && page.text.contains("method=backup_codes"));
    // Skipping the step does not work.
    let skip = app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    assert!(skip.text.contains("Verify it"), "{}", skip.text);
    assert_eq!(password_hash(&app, 1).await, before);
    // A wrong code is refused and counted.
    let wrong = app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", "000000")]).await;
    assert_eq!(wrong.status, 422);
    let failed: i64 = sqlx::query_scalar("SELECT failed_codes FROM recovery_tokens WHERE account_id = 1")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(failed, 1);
}

#[tokio::test]
async fn authenticator_app_code_passes_two_factor() {
    let app = TestApp::spawn().await;
    let link = maria_link(&app).await;
    let code = app.totp_now(MARIA_TOTP);
    let ok = app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", &code)]).await;
    assert!(ok.text.contains("Choose a new password"), "{}", ok.text);
    let done = app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    assert!(done.text.contains("password has been changed"), "{}", done.text);
}

#[tokio::test]
async fn backup_code_passes_two_factor_once() {
    let app = TestApp::spawn().await;
    let link = maria_link(&app).await;
    let ok =
        app.post_form(&format!("{link}/verify"), &[("method", "backup_codes"), ("code", MARIA_BACKUP_CODES[0])]).await;
    assert!(ok.text.contains("Choose a new password"), "{}", ok.text);
    app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    // The same backup code does not work a second time.
    app.clock.advance(Duration::minutes(3));
    let link2 = maria_link(&app).await;
    let again =
        app.post_form(&format!("{link2}/verify"), &[("method", "backup_codes"), ("code", MARIA_BACKUP_CODES[0])]).await;
    assert_eq!(again.status, 422, "{}", again.text);
}

#[tokio::test]
async fn sms_code_passes_two_factor() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    agent_sends(&app, &t, 3, "password-reset").await;
    let link = app.link_for("aiko@example.com", "reset").await;
    let page = app.page(&link).await;
    assert!(page.text.contains("SMS"), "{}", page.text);
    let sent = app.post_form(&format!("{link}/sms"), &[]).await;
    assert!(sent.text.contains("We sent a code"), "{}", sent.text);
    let sms =
        app.mailbox().await.into_iter().find(|m| m["subject"] == "SMS").expect("the SMS reached the demo gateway");
    assert_eq!(sms["to"], "+81 90 1234 5678");
    let code: String = sms["body"].as_str().unwrap().chars().filter(|c| c.is_ascii_digit()).take(6).collect();
    let ok = app.post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &code)]).await;
    assert!(ok.text.contains("Choose a new password"), "{}", ok.text);
}

#[tokio::test]
async fn after_a_reset_sessions_end_and_every_verified_address_is_told() {
    let app = TestApp::spawn().await;
    let link = maria_link(&app).await;
    let code = app.totp_now(MARIA_TOTP);
    app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", &code)]).await;
    let live_before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE account_id = 1 AND revoked_ms IS NULL")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(live_before, 2);
    app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    let live_after: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE account_id = 1 AND revoked_ms IS NULL")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(live_after, 0);
    let notices: Vec<String> = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["subject"] == "Your password was changed")
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    let mut notices = notices;
    notices.sort();
    assert_eq!(notices, vec!["m.lopez.work@mail.test", "maria.lopez@example.com"]);
}

#[tokio::test]
async fn security_answer_reset_sets_a_new_hashed_answer() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    agent_sends(&app, &t, 2, "security-answer-reset").await;
    let link = app.link_for("james.smith@example.com", "reset-answer").await;
    let form = app.page(&link).await;
    assert!(form.text.contains("Choose a new security question"), "{}", form.text);
    let done =
        app.post_form(&link, &[("question", "In what city did your parents meet?"), ("answer", "  Porto ")]).await;
    assert!(done.text.contains("saved"), "{}", done.text);
    let (q, h): (String, String) =
        sqlx::query_as("SELECT security_question, security_answer_hash FROM accounts WHERE id = 2")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(q, "In what city did your parents meet?");
    assert!(!h.to_lowercase().contains("porto"));
    assert!(desk_server::crypto::verify_password("porto", &h), "compared normalised");
    assert!(app.mailbox().await.iter().any(|m| m["subject"] == "Your security question was changed"));
    // A password link does not open the answer page, nor the other way round.
    assert_eq!(app.page(&link.replace("/reset-answer/", "/reset/")).await.status, 410);
}

#[tokio::test]
async fn recover_page_answers_the_same_for_known_and_unknown_accounts() {
    let app = TestApp::spawn().await;
    let known = app.post_form("/recover", &[("identifier", "jsmith")]).await;
    let unknown = app.post_form("/recover", &[("identifier", "nobody-at-all")]).await;
    assert_eq!(known.status, 200);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text, unknown.text, "the page must not tell the two apart");
    // The known one did get an email; nothing at all happened for the other.
    assert!(app.link_for("james.smith@example.com", "reset").await.starts_with("/reset/"));
}

#[tokio::test]
async fn recover_sends_to_the_verified_address_the_user_typed() {
    let app = TestApp::spawn().await;
    app.post_form("/recover", &[("identifier", "M.Lopez.Work@mail.test")]).await;
    assert!(app.link_for("m.lopez.work@mail.test", "reset").await.starts_with("/reset/"));
}

#[tokio::test]
async fn recover_is_rate_limited_per_address_and_per_client() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        assert_eq!(app.post_form("/recover", &[("identifier", "jsmith")]).await.status, 200);
    }
    assert_eq!(app.post_form("/recover", &[("identifier", "jsmith")]).await.status, 429);
    // Other identifiers from the same client, up to the client's limit (15 in all).
    let mut last = 0;
    for i in 0..12 {
        last = app.post_form("/recover", &[("identifier", &format!("someone{i}"))]).await.status;
    }
    assert_eq!(last, 429, "the client limit applies whatever the identifier");
    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.post_form("/recover", &[("identifier", "jsmith")]).await.status, 200);
}

#[tokio::test]
async fn account_daily_cap_is_a_429_naming_the_limit() {
    let app = TestApp::spawn_with(|c| {
        c.reset_cooldown_secs = 0;
        c.account_daily_cap = 3;
    })
    .await;
    let t = app.agent_token().await;
    for i in 0..3 {
        assert_eq!(app.password_reset(&t, 2, &format!("c{i}"), reset_body()).await.status, 202);
        app.clock.advance(Duration::minutes(1));
    }
    let capped = app.password_reset(&t, 2, "c4", reset_body()).await;
    TestApp::assert_problem(&capped, 429, "account_daily_cap");
    let mails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE account_id = 2")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(mails, 3, "the capped reset queued no email");
    let retry: u64 = capped.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(retry, 24 * 3600 - 3 * 60);
}

#[tokio::test]
async fn agent_hourly_cap_is_a_429_naming_the_limit() {
    let app = TestApp::spawn_with(|c| c.agent_hourly_cap = 2).await;
    let t = app.agent_token().await;
    assert_eq!(app.password_reset(&t, 4, "h1", reset_body()).await.status, 202);
    assert_eq!(app.password_reset(&t, 5, "h2", reset_body()).await.status, 202);
    TestApp::assert_problem(&app.password_reset(&t, 6, "h3", reset_body()).await, 429, "agent_hourly_cap");
    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.password_reset(&t, 6, "h4", reset_body()).await.status, 202);
}

#[tokio::test]
async fn other_reason_needs_a_note() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.password_reset(&t, 2, "o", json!({"reason": "other", "ticket": "SUP-1"})).await;
    TestApp::assert_problem(&a, 422, "invalid_input");
    assert_eq!(a.body["field"], "note");
}

#[tokio::test]
async fn address_check_answers_without_revealing_and_reveal_is_audited() {
    // A desk that does not gate reveals on a caller verification (`caller.rs` tests the gate).
    let app = TestApp::spawn_with(|c| c.caller_verification_required.clear()).await;
    let t = app.agent_token().await;
    let check = |addr: &'static str| {
        let rb = app
            .req(reqwest::Method::POST, "/v1/accounts/1/address-check")
            .bearer_auth(&t)
            .json(&json!({"address": addr}));
        app.send(rb)
    };
    let primary = check("MARIA.LOPEZ@example.com").await;
    assert_eq!(primary.body, json!({"matches": true, "primary": true, "verified": true, "bounced": false}));
    let secondary = check("m.lopez.work@mail.test").await;
    assert_eq!(secondary.body["primary"], false);
    let none = check("someone@else.test").await;
    assert_eq!(none.body["matches"], false);
    TestApp::assert_problem(&check("not an address").await, 422, "invalid_input");
    for a in [&primary, &secondary, &none] {
        assert!(!a.text.contains("maria.lopez@example.com"));
    }

    let detail = app.get(&t, "/v1/accounts/1").await;
    let email_id = detail.body["emails"][0]["id"].as_i64().unwrap();
    let short = app
        .send(
            app.req(reqwest::Method::POST, &format!("/v1/accounts/1/emails/{email_id}/reveal"))
                .bearer_auth(&t)
                .json(&json!({"reason": "why", "ticket": "SUP-5"})),
        )
        .await;
    TestApp::assert_problem(&short, 422, "invalid_input");
    let reveal = app
        .send(
            app.req(reqwest::Method::POST, &format!("/v1/accounts/1/emails/{email_id}/reveal"))
                .bearer_auth(&t)
                .json(&json!({"reason": "user reads it back on the call", "ticket": "SUP-5"})),
        )
        .await;
    assert_eq!(reveal.body["address"], "maria.lopez@example.com");
    let (action, reason): (String, String) =
        sqlx::query_as("SELECT action, reason FROM audit_log WHERE action = 'address_reveal'")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!((action.as_str(), reason.as_str()), ("address_reveal", "user reads it back on the call"));
    let other_account = app
        .send(
            app.req(reqwest::Method::POST, &format!("/v1/accounts/2/emails/{email_id}/reveal"))
                .bearer_auth(&t)
                .json(&json!({"reason": "user reads it back on the call", "ticket": "SUP-5"})),
        )
        .await;
    TestApp::assert_problem(&other_account, 404, "not_found");
}

#[tokio::test]
async fn possible_duplicates_are_listed_with_their_reasons() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let maria = app.get(&t, "/v1/accounts/1").await;
    let dup = maria.body["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["username"] == "maria.l.shop")
        .expect("same phone and name")
        .clone();
    let reasons = dup["reasons"].as_array().unwrap();
    assert!(reasons.contains(&json!("same_phone")) && reasons.contains(&json!("same_name_and_country")), "{dup}");
    let aiko = app.get(&t, "/v1/accounts/3").await;
    let dup = aiko.body["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["username"] == "aikot_shop")
        .expect("same gmail address")
        .clone();
    assert_eq!(dup["reasons"], json!(["same_address"]));
    let jsmith = app.get(&t, "/v1/accounts/2").await;
    assert!(jsmith.body["duplicates"].as_array().unwrap().is_empty(), "{}", jsmith.text);
}

#[tokio::test]
async fn the_timeline_shows_every_step_with_link_and_email_states() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let link = maria_link(&app).await;
    app.page(&link).await;
    app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", "999999")]).await;
    let code = app.totp_now(MARIA_TOTP);
    app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", &code)]).await;
    app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    app.mailbox().await;
    let a = app.get(&t, "/v1/accounts/1/activity").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let kinds: Vec<&str> = a.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec![
            "notice_sent",
            "notice_sent",
            "password_changed",
            "two_factor_passed",
            "two_factor_failed",
            "link_opened",
            "agent_sent"
        ],
        "{}",
        a.text
    );
    let sent = &a.body["items"][6];
    assert_eq!(sent["link"], "used");
    assert_eq!(sent["email_status"], "sent");
    assert_eq!(sent["actor"], "agent@demo.test");
    let detail = app.get(&t, "/v1/accounts/1").await;
    assert_eq!(
        detail.body["recent_emails"].as_array().unwrap().iter().find(|e| e["kind"] == "password_reset").unwrap()
            ["link"],
        "used"
    );
}

#[tokio::test]
async fn no_answer_ever_carries_a_secret() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let lead = app.lead_token().await;
    let link = maria_link(&app).await;
    let token = link.rsplit('/').next().unwrap().to_string();
    let code = app.totp_now(MARIA_TOTP);
    app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", &code)]).await;
    app.post_form(&link, &[("password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)]).await;
    // Everything an agent or a lead can read.
    for path in ["/v1/me", "/v1/accounts?q=maria", "/v1/accounts/1", "/v1/accounts/1/activity", "/v1/accounts/3"] {
        app.get(&t, path).await;
    }
    for path in ["/v1/audit?limit=500", "/v1/audit/export?format=ndjson", "/v1/audit/figures"] {
        app.get(&lead, path).await;
    }
    let hash = desk_server::crypto::token_hash(&token);
    let forbidden = [
        token.as_str(),
        hash.as_str(),
        MARIA_TOTP,
        desk_server::demo::AGENT_TOTP,
        desk_server::demo::LEAD_TOTP,
        "$argon2",
        NEW_PASSWORD,
        desk_server::demo::AGENT_PASSWORD,
        MARIA_BACKUP_CODES[1],
        "11112222",
    ];
    let seen = app.seen.lock().unwrap();
    let api: Vec<&String> = seen
        .iter()
        .filter(|s| s.starts_with('{') || s.starts_with('['))
        .filter(|s| !s.contains("\"subject\""))
        .collect();
    assert!(api.len() > 8);
    for answer in api {
        for secret in forbidden {
            assert!(!answer.contains(secret), "an API answer carried a secret ({secret}): {answer}");
        }
    }
}
