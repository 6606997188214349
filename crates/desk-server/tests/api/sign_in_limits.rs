//! Sign-in under attack, over real HTTP with dozens of requests at once: limits decided before
//! argon2 runs, a TOTP code accepted once, argon2 work bounded, limits per address *and* client
//! (the client taken from `X-Forwarded-For` only behind a trusted proxy), refusals summarised.

use std::sync::Arc;

use chrono::Duration;
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use desk_server::Clock;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{tally, TestApp};

async fn sign_in_body(app: &TestApp, body: serde_json::Value) -> crate::helpers::Answer {
    app.send(app.req(Method::POST, "/v1/sessions").json(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_wrong_passwords_for_one_address_get_at_most_five_401s_and_the_rest_429() {
    let app = Arc::new(TestApp::spawn().await);
    let code = app.totp_now(AGENT_TOTP);
    let answers = app
        .concurrently(40, move |app, i| {
            let body = json!({"email": AGENT_EMAIL, "password": format!("guess-{i}"), "totp": code.clone()});
            async move { sign_in_body(&app, body).await }
        })
        .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    println!("40 concurrent wrong-password sign-ins for one address: {}", tally(&statuses));
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert!(statuses.iter().filter(|s| **s == 401).count() <= 5, "{}", tally(&statuses));
    assert_eq!(limited + statuses.iter().filter(|s| **s == 401).count(), 40, "{}", tally(&statuses));
    for a in answers.iter().filter(|a| a.status == 429) {
        TestApp::assert_problem(a, 429, "too_many_attempts");
        assert!(a.headers.contains_key("retry-after"));
    }
    // The right password is refused too while the address is limited from this client.
    let right = app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    TestApp::assert_problem(&right, 429, "too_many_attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ins_with_one_valid_code_get_exactly_one_session() {
    let app = Arc::new(TestApp::spawn().await);
    let code = app.totp_now(AGENT_TOTP);
    for n in [2, 6] {
        app.clock.advance(Duration::seconds(30));
        let code = app.totp_now(AGENT_TOTP);
        let answers = app
            .concurrently(n, move |app, _| {
                let body = json!({"email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": code.clone()});
                async move { sign_in_body(&app, body).await }
            })
            .await;
        let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
        println!("{n} concurrent sign-ins with one valid code: {}", tally(&statuses));
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{}", tally(&statuses));
        assert!(statuses.iter().all(|s| *s == 201 || *s == 401 || *s == 429), "{}", tally(&statuses));
    }
    let _ = code;
    let sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM agent_sessions").fetch_one(&app.running.state.db).await.unwrap();
    assert_eq!(sessions, 2, "one session per code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_sign_ins_is_answered_busy_at_once_and_argon2_work_stays_bounded() {
    let app = Arc::new(
        TestApp::spawn_with(|c| {
            c.argon2_workers = Some(1);
            c.argon2_waiting = 1;
            c.trusted_proxies = vec!["127.0.0.1/32".into()];
        })
        .await,
    );
    // Every attempt from its own client for its own address: no limit stands in the way.
    let answers = app
        .concurrently(60, |app, i| async move {
            app.sign_in_from(&format!("198.51.100.{}", i + 1), &format!("user{i}@demo.test"), "guess", "000000").await
        })
        .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let peak = app.running.state.argon.peak();
    println!(
        "60 concurrent sign-ins with 1 argon2 worker and 1 waiting place: {}; peak argon2 at once: {peak}",
        tally(&statuses)
    );
    assert!(statuses.iter().all(|s| *s == 401 || *s == 503), "{}", tally(&statuses));
    assert!(peak <= 1, "argon2 ran {peak} times at once");
    let busy: Vec<_> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(!busy.is_empty(), "a flood beyond the workers and the waiting line is turned away: {}", tally(&statuses));
    for a in busy {
        TestApp::assert_problem(a, 503, "service_busy");
        assert_eq!(a.headers["retry-after"], "1");
    }
    // A busy answer is not a failed attempt: that client may try again at once.
    let again = app.sign_in_from("198.51.100.1", AGENT_EMAIL, AGENT_PASSWORD, &app.totp_now(AGENT_TOTP)).await;
    assert_eq!(again.status, 201, "{}", again.text);
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let app = TestApp::spawn().await;
    // Without trusted proxies every forged hop is the same socket, and counts as one client.
    let mut last = 0;
    for i in 0..6 {
        last = app.sign_in_from(&format!("203.0.113.{i}"), AGENT_EMAIL, "guess", "000000").await.status;
    }
    assert_eq!(last, 429, "a forged X-Forwarded-For does not buy a fresh limit");
    let clients: Vec<String> = sqlx::query_scalar("SELECT DISTINCT client FROM audit_log WHERE action = 'sign_in'")
        .fetch_all(&app.running.state.db)
        .await
        .unwrap();
    assert!(clients.iter().all(|c| c.starts_with("127.0.0.1 ")), "{clients:?}");

    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".into(), "10.0.0.0/8".into()]).await;
    app.sign_in_from("192.0.2.66, 198.51.100.7, 10.1.2.3", AGENT_EMAIL, "guess", "000000").await;
    let client: String = sqlx::query_scalar("SELECT client FROM audit_log WHERE action = 'sign_in' ORDER BY id DESC")
        .fetch_one(&app.running.state.db)
        .await
        .unwrap();
    assert!(client.starts_with("198.51.100.7 "), "the right-most hop that is not a trusted proxy: {client}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_from_one_client_does_not_lock_the_agent_out_of_their_own_and_a_lead_sees_it() {
    let app = Arc::new(
        TestApp::spawn_with(|c| {
            c.trusted_proxies = vec!["127.0.0.1/32".into()];
            c.queue_tick_ms = 3_600_000;
        })
        .await,
    );
    let answers = app
        .concurrently(40, |app, i| async move {
            app.sign_in_from("203.0.113.9", AGENT_EMAIL, &format!("guess-{i}"), "000000").await.status
        })
        .await;
    println!("40 concurrent wrong sign-ins from one client: {}", tally(&answers));
    assert!(answers.iter().filter(|s| **s == 401).count() <= 5, "{}", tally(&answers));

    // The agent, from their own machine, gets in.
    app.clock.advance(Duration::seconds(30));
    let own = app.sign_in_from("198.51.100.7", AGENT_EMAIL, AGENT_PASSWORD, &app.totp_now(AGENT_TOTP)).await;
    assert_eq!(own.status, 201, "the flood locked the agent out of their own client: {}", own.text);
    // The flooding client stays limited, even with the right password.
    app.clock.advance(Duration::seconds(30));
    let flooder = app.sign_in_from("203.0.113.9", AGENT_EMAIL, AGENT_PASSWORD, &app.totp_now(AGENT_TOTP)).await;
    TestApp::assert_problem(&flooder, 429, "too_many_attempts");

    // Once the window's refusals are summarised, a lead sees the flood flagged on the agent.
    app.clock.advance(Duration::minutes(16));
    desk_server::audit::rollups::flush(&app.running.state.db, app.clock.now_ms()).await.unwrap();
    let lead = app.lead_token().await;
    let figures = app.get(&lead, "/v1/audit/figures").await;
    assert_eq!(figures.status, 200, "{}", figures.text);
    let flood = figures.body["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "sign_in_flood")
        .unwrap_or_else(|| panic!("no sign_in_flood flag: {}", figures.text))
        .clone();
    assert_eq!(flood["agent_email"], AGENT_EMAIL);
    assert!(flood["summary"].as_str().unwrap().starts_with("41 failed or refused"), "{flood}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_has_one_ceiling_across_all_clients() {
    let app = Arc::new(
        TestApp::spawn_with(|c| {
            c.trusted_proxies = vec!["127.0.0.1/32".into()];
            c.sign_in_account_max_failures = 12;
        })
        .await,
    );
    // Eight clients, five guesses each: under each client's limit, over the address's ceiling.
    let answers = app
        .concurrently(40, |app, i| async move {
            app.sign_in_from(&format!("203.0.113.{}", i % 8), AGENT_EMAIL, "guess", "000000").await.status
        })
        .await;
    println!("40 concurrent wrong sign-ins for one address from 8 clients (ceiling 12): {}", tally(&answers));
    assert!(answers.iter().filter(|s| **s == 401).count() <= 12, "{}", tally(&answers));
    let fresh = app.sign_in_from("192.0.2.1", AGENT_EMAIL, AGENT_PASSWORD, &app.totp_now(AGENT_TOTP)).await;
    TestApp::assert_problem(&fresh, 429, "too_many_attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_sign_ins_are_summarised_per_window_not_written_one_by_one() {
    let app = Arc::new(TestApp::spawn_with(|c| c.queue_tick_ms = 3_600_000).await);
    let answers = app
        .concurrently(40, |app, i| async move {
            let body = json!({"email": AGENT_EMAIL, "password": format!("guess-{i}"), "totp": "000000"});
            sign_in_body(&app, body).await.status
        })
        .await;
    let refused = answers.iter().filter(|s| **s == 429).count() as u64;
    let db = &app.running.state.db;
    let rows = || async {
        sqlx::query_as::<_, (String,)>(
            "SELECT detail FROM audit_log WHERE action = 'sign_in' AND outcome = 'rate_limited' ORDER BY id",
        )
        .fetch_all(db)
        .await
        .unwrap()
    };
    let now_rows = rows().await;
    println!("{} refused sign-ins wrote {} audit entries during the window", refused, now_rows.len());
    assert_eq!(now_rows.len(), 1, "the first refusal of the window is on record at once");
    app.clock.advance(Duration::minutes(16));
    assert_eq!(desk_server::audit::rollups::flush(db, app.clock.now_ms()).await.unwrap(), 1);
    let after = rows().await;
    assert_eq!(after.len(), 2, "and one summary when the window ends");
    let summary: serde_json::Value = serde_json::from_str(&after[1].0).unwrap();
    assert_eq!(summary["refused"], refused, "{summary}");
    assert_eq!(desk_server::audit::rollups::flush(db, app.clock.now_ms()).await.unwrap(), 0, "summarised once");
    assert_eq!(app.verify().await, None);
    let _ = app.clock.now_ms();
}

#[tokio::test]
async fn successful_sign_ins_from_one_office_address_are_never_limited() {
    use desk_server::demo::{LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
    let app = TestApp::spawn().await;
    // 25 sign-ins in 12.5 minutes from one address: more than the client's failure limit of 20.
    for i in 0..25 {
        let a = if i % 2 == 0 {
            app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await
        } else {
            app.sign_in_as(LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP).await
        };
        assert_eq!(a.status, 201, "sign-in {i}: {}", a.text);
    }
}
