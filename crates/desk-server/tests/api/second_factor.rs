//! Two-step verification on reset links under attack: SMS codes flooded or guessed, authenticator
//! codes replayed, tries raced — over real HTTP, with dozens of requests at once.

use std::sync::Arc;

use chrono::Duration;
use desk_server::demo::MARIA_TOTP;
use desk_server::Clock;
use reqwest::Method;

use crate::helpers::{reset_body, tally, TestApp};

/// Aiko (account 3) verifies by SMS. Answers the link of the kind ("reset" or "reset-answer").
async fn aiko_link(app: &TestApp, token: &str, kind: &str) -> String {
    let path = if kind == "reset" { "password-reset" } else { "security-answer-reset" };
    let a = app
        .send(
            app.req(Method::POST, &format!("/v1/accounts/3/{path}"))
                .bearer_auth(token)
                .header("Idempotency-Key", format!("{kind}-{}", app.clock.now_ms()))
                .json(&reset_body()),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.text);
    app.link_for("aiko@example.com", kind).await
}

fn passed(a: &crate::helpers::Answer) -> bool {
    a.text.contains("Choose a new password") || a.text.contains("Choose a new security question")
}

#[tokio::test]
async fn a_new_sms_code_cancels_the_older_one() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let link = aiko_link(&app, &t, "reset").await;
    app.post_form(&format!("{link}/sms"), &[]).await;
    let first = app.sms_codes().await[0].clone();
    app.post_form(&format!("{link}/sms"), &[]).await;
    let codes = app.sms_codes().await;
    assert_eq!(codes.len(), 2);
    let second = codes[0].clone();
    let old = app.post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &first)]).await;
    assert!(!passed(&old) && old.status == 422, "the older code still verified: {}", old.text);
    let new = app.post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &second)]).await;
    assert!(passed(&new), "{}", new.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sms_codes_are_capped_per_link_and_per_account_hour_even_when_asked_for_at_once() {
    let app = Arc::new(TestApp::spawn_with(|c| c.reset_cooldown_secs = 0).await);
    let t = app.agent_token().await;
    let link = aiko_link(&app, &t, "reset").await;
    let sms = format!("{link}/sms");
    let answers = app
        .concurrently(12, move |app, _| {
            let sms = sms.clone();
            async move { app.post_form(&sms, &[]).await }
        })
        .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let sent = app.sms_codes().await.len();
    println!("12 concurrent SMS requests on one link: {} answers, {sent} texts sent", tally(&statuses));
    assert_eq!(sent, 3, "at most 3 codes per link");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{}", tally(&statuses));
    let refused = answers.iter().find(|a| a.status == 429).unwrap();
    assert!(refused.text.contains("ask for a new link"), "{}", refused.text);

    // A new link may send more, up to the account's hourly cap of 5.
    app.clock.advance(Duration::minutes(1));
    let link2 = aiko_link(&app, &t, "reset").await;
    for _ in 0..2 {
        assert!(app.post_form(&format!("{link2}/sms"), &[]).await.text.contains("We sent a code"));
    }
    let capped = app.post_form(&format!("{link2}/sms"), &[]).await;
    assert_eq!(capped.status, 429, "{}", capped.text);
    assert!(capped.text.contains("in an hour") && capped.text.contains("after <strong>10:00 UTC"), "{}", capped.text);
    assert_eq!(app.sms_codes().await.len(), 5);

    app.clock.advance(Duration::minutes(60));
    let link3 = aiko_link(&app, &t, "reset").await;
    assert!(app.post_form(&format!("{link3}/sms"), &[]).await.text.contains("We sent a code"));
    assert_eq!(app.sms_codes().await.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reset_answer_pages_follow_the_same_sms_rules() {
    let app = Arc::new(TestApp::spawn().await);
    let t = app.agent_token().await;
    let link = aiko_link(&app, &t, "reset-answer").await;
    let sms = format!("{link}/sms");
    let statuses = app
        .concurrently(8, move |app, _| {
            let sms = sms.clone();
            async move { app.post_form(&sms, &[]).await.status }
        })
        .await;
    assert_eq!(app.sms_codes().await.len(), 3, "{}", tally(&statuses));
    let codes = app.sms_codes().await;
    let old = app.post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &codes[2])]).await;
    assert_eq!(old.status, 422, "an older code no longer works: {}", old.text);
    let new = app.post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &codes[0])]).await;
    assert!(passed(&new), "{}", new.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_sms_codes_lock_the_link_after_five_even_when_guessed_at_once() {
    let app = Arc::new(TestApp::spawn().await);
    let t = app.agent_token().await;
    let link = aiko_link(&app, &t, "reset").await;
    app.post_form(&format!("{link}/sms"), &[]).await;
    let right = app.sms_codes().await[0].clone();
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let verify = format!("{link}/verify");
    let answers = app
        .concurrently(20, move |app, _| {
            let verify = verify.clone();
            async move { app.post_form(&verify, &[("method", "sms"), ("code", wrong)]).await }
        })
        .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    println!("20 concurrent wrong SMS codes on one link: {}", tally(&statuses));
    let judged = answers.iter().filter(|a| a.text.contains("is not right")).count();
    assert!(judged <= 5, "{judged} wrong codes were judged, not at most 5: {}", tally(&statuses));
    let failed: i64 = sqlx::query_scalar("SELECT failed_codes FROM recovery_tokens WHERE account_id = 3")
        .fetch_one(&app.running.state.db)
        .await
        .unwrap();
    assert_eq!(failed, 5);
    // Locked now: even the right code does not open it, and the page says what to do.
    let locked = app.post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &right)]).await;
    assert_eq!(locked.status, 423, "{}", locked.text);
    assert!(
        locked.text.contains("This link is locked") && locked.text.contains("ask for a new link"),
        "{}",
        locked.text
    );
    assert!(locked.text.contains("/security-details"));
    assert_eq!(app.page(&link).await.status, 423);
}

/// Maria (account 1) has an authenticator app: a password link and an answer link at once.
async fn maria_links(app: &TestApp) -> (String, String) {
    let t = app.agent_token().await;
    for path in ["password-reset", "security-answer-reset"] {
        let a = app
            .send(
                app.req(Method::POST, &format!("/v1/accounts/1/{path}"))
                    .bearer_auth(&t)
                    .header("Idempotency-Key", path)
                    .json(&reset_body()),
            )
            .await;
        assert_eq!(a.status, 202, "{}", a.text);
    }
    (
        app.link_for("maria.lopez@example.com", "reset").await,
        app.link_for("maria.lopez@example.com", "reset-answer").await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_authenticator_code_passes_once_per_account_even_on_two_links_at_once() {
    let app = Arc::new(TestApp::spawn().await);
    let (a, b) = maria_links(&app).await;
    let code = app.totp_now(MARIA_TOTP);
    // Four at a time on each link: a replay counts as a wrong try, and five would lock the link.
    let statuses = app
        .concurrently(8, move |app, i| {
            let link = if i % 2 == 0 { a.clone() } else { b.clone() };
            let code = code.clone();
            async move {
                app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", &code)])
                    .await
                    .status
            }
        })
        .await;
    let passed_links: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_tokens WHERE account_id = 1 AND two_factor_passed_ms IS NOT NULL",
    )
    .fetch_one(&app.running.state.db)
    .await
    .unwrap();
    println!(
        "one authenticator code on two links, 8 requests at once: {}; links passed: {passed_links}",
        tally(&statuses)
    );
    assert_eq!(passed_links, 1, "one code, one pass");
    // The next 30-second step's code works on the other link.
    app.clock.advance(Duration::seconds(30));
    let other: String = sqlx::query_scalar(
        "SELECT kind FROM recovery_tokens WHERE account_id = 1 AND two_factor_passed_ms IS NULL AND used_ms IS NULL",
    )
    .fetch_one(&app.running.state.db)
    .await
    .unwrap();
    let link =
        app.link_for("maria.lopez@example.com", if other == "password_reset" { "reset" } else { "reset-answer" }).await;
    let next = app.totp_now(MARIA_TOTP);
    let ok = app.post_form(&format!("{link}/verify"), &[("method", "authenticator_app"), ("code", &next)]).await;
    assert!(passed(&ok), "{}", ok.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_two_factor_try_cap_holds_when_guesses_arrive_together() {
    let app = Arc::new(TestApp::spawn().await);
    let (link, _) = maria_links(&app).await;
    let right = app.totp_now(MARIA_TOTP);
    let verify = format!("{link}/verify");
    let answers = app
        .concurrently(30, move |app, i| {
            let verify = verify.clone();
            let right = right.clone();
            async move {
                let guess = format!("{:06}", (i * 7919 + 13) % 1_000_000);
                let guess = if guess == right { "999999".to_string() } else { guess };
                app.post_form(&verify, &[("method", "authenticator_app"), ("code", &guess)]).await
            }
        })
        .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let judged = answers.iter().filter(|a| a.text.contains("is not right")).count();
    println!("30 concurrent wrong authenticator codes on one link: {}; judged {judged}", tally(&statuses));
    assert!(judged <= 5, "{judged} guesses were judged");
    assert_eq!(statuses.iter().filter(|s| **s == 423).count(), 30 - judged, "{}", tally(&statuses));
}
