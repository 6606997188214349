//! How a security-details request is weighed and how long its change waits: public facts alone
//! never make it low risk, a new contact address is at least medium, moving the SMS phone is
//! treated as removing 2FA, and every change waits out a day unless cancelled.

use chrono::Duration;
use desk_server::Clock;
use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::queue::{approve, call, decide, file_and_confirm, form};

/// jsmith's reset of the security question, from an address on file, with only the public facts.
fn public_facts_only() -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("identifier", "jsmith")
        .text("contact", "james.smith@example.com")
        .text("change", "reset_security_question")
        .text("full_name", "James Smith")
        .text("country", "GB")
        .text("statement", "I forgot the answer to my security question and cannot pay.")
}

async fn risk_of(app: &TestApp, t: &str, id: i64) -> serde_json::Value {
    call(app, t, Method::GET, &format!("/v1/requests/{id}"), None).await.body
}

#[tokio::test]
async fn leaving_facts_out_never_scores_as_well_as_giving_them() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let left_out = file_and_confirm(&app, public_facts_only(), "james.smith@example.com").await;
    let given = file_and_confirm(
        &app,
        form("jsmith", "james.smith@example.com", "reset_security_question", ""),
        "james.smith@example.com",
    )
    .await;
    let (a, b) = (risk_of(&app, &t, left_out).await, risk_of(&app, &t, given).await);
    println!(
        "public facts only: {} ({}); every fact given: {}",
        a["item"]["risk"], a["risk_reasons"], b["item"]["risk"]
    );
    assert_eq!(b["item"]["risk"], "low", "{}", b["risk_reasons"]);
    assert_eq!(a["item"]["risk"], "medium", "{}", a["risk_reasons"]);
    assert!(a["risk_reasons"].to_string().contains("left out"), "{}", a["risk_reasons"]);
}

#[tokio::test]
async fn a_never_seen_contact_address_is_at_least_medium() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let id = file_and_confirm(
        &app,
        form("jsmith", "fresh.inbox@mail.test", "reset_security_question", ""),
        "fresh.inbox@mail.test",
    )
    .await;
    let d = risk_of(&app, &t, id).await;
    println!("every fact right, contact never seen: {} ({})", d["item"]["risk"], d["risk_reasons"]);
    assert_eq!(d["item"]["risk"], "medium", "{}", d["risk_reasons"]);
}

#[tokio::test]
async fn changing_the_phone_of_an_account_whose_2fa_is_sms_needs_a_second_approval() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    // Aiko (account 3) receives her two-step codes by SMS.
    let f = reqwest::multipart::Form::new()
        .text("identifier", "aiko.t")
        .text("contact", "aiko@example.com")
        .text("change", "phone")
        .text("new_value", "+81 90 9999 0000")
        .text("full_name", "Aiko Tanaka")
        .text("country", "JP")
        .text("former_address", "aiko.tanaka@gmail.com")
        .text("account_age_years", "2")
        .text("statement", "I have a new phone number since my old contract ended.");
    let id = file_and_confirm(&app, f, "aiko@example.com").await;
    let d = call(&app, &t, Method::POST, &format!("/v1/requests/{id}/claim"), None).await;
    assert_eq!(d.body["needs_second_approval"], true, "{}", d.text);
    assert!(d.body["checklist"].as_array().unwrap().contains(&json!("evidence_reviewed")));
    let approved = decide(&app, &t, id, approve(&d.json(), "checked")).await;
    println!("phone change on an SMS account, approved once: {}", approved.body["item"]["state"]);
    assert_eq!(approved.body["item"]["state"], "awaiting_second_approval", "{}", approved.text);
}

#[tokio::test]
async fn every_change_waits_a_day_by_default_and_every_address_on_file_can_cancel_it() {
    // Default cooling-off; only the background applier is kept out of the way.
    let app = TestApp::spawn_with(|c| c.queue_tick_ms = 3_600_000).await;
    let t = app.agent_token().await;
    let id = file_and_confirm(
        &app,
        form("jsmith", "james.smith@example.com", "reset_security_question", ""),
        "james.smith@example.com",
    )
    .await;
    let d = call(&app, &t, Method::POST, &format!("/v1/requests/{id}/claim"), None).await;
    assert_eq!(d.body["item"]["risk"], "low");
    let ok = decide(&app, &t, id, approve(&d.json(), "facts match")).await;
    let apply_at = chrono::DateTime::parse_from_rfc3339(ok.body["apply_at"].as_str().unwrap()).unwrap();
    let wait = apply_at.with_timezone(&chrono::Utc) - app.clock.now();
    println!("a low-risk change approved now applies in {} h", wait.num_hours());
    assert!(wait >= Duration::hours(24), "applies after {wait}");
    let mut told: Vec<String> = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["subject"] == "A change to your account is pending")
        .filter(|m| m["body"].as_str().unwrap().contains("/security-details/cancel/"))
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    told.sort();
    assert_eq!(told, vec!["james.smith@example.com", "jimmy.s@mail.test"], "every address on file, verified or not");
    app.clock.advance(Duration::hours(23));
    assert_eq!(app.apply_due().await, 0);
    app.clock.advance(Duration::hours(1));
    assert_eq!(app.apply_due().await, 1);
}
