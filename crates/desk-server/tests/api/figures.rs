//! The per-agent figures count what the service really writes: driven by real resets and real
//! queue decisions over HTTP, never by audit rows the test writes itself.

use chrono::Duration;
use desk_api::{ActionGroup, AuditAction, Decision, DecisionRequest, RequestDetail};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{reset_body, TestApp};
use crate::queue::{call, file_and_confirm, form};

async fn claim(app: &TestApp, t: &str, id: i64) -> RequestDetail {
    let d = call(app, t, Method::POST, &format!("/v1/requests/{id}/claim"), None).await;
    assert_eq!(d.status, 200, "{}", d.text);
    d.json()
}

/// The decision with every item of the request's checklist ticked and a message for the user.
async fn decide(app: &TestApp, t: &str, id: i64, d: &RequestDetail, decision: Decision) -> Value {
    let body = DecisionRequest {
        decision,
        checklist: d.checklist.clone(),
        note: "decided in the figures test".into(),
        message: Some("A message for the user.".into()),
    };
    let a = crate::queue::decide(app, t, id, body).await;
    assert_eq!(a.status, 200, "{decision:?}: {}", a.text);
    a.body
}

/// Minutes with the request open, the lease renewed every two as the console does.
async fn work_on(app: &TestApp, t: &str, id: i64, minutes: i64) {
    for _ in 0..minutes / 2 {
        app.clock.advance(Duration::minutes(2));
        assert_eq!(call(app, t, Method::POST, &format!("/v1/requests/{id}/renew"), None).await.status, 200);
    }
    app.clock.advance(Duration::minutes(minutes % 2));
}

#[tokio::test]
async fn every_action_the_service_writes_is_counted_where_it_belongs() {
    // Five requests from one contact address within minutes: above the public form's usual limit.
    let app = TestApp::spawn_with(|c| c.public_max_requests = 10).await;
    let agent = app.agent_token().await;
    let lead = app.lead_token().await;
    let admin = app.admin_token().await;
    assert_eq!(app.password_reset(&agent, 1, "f1", reset_body()).await.status, 202);
    let answer = app
        .send(
            app.req(Method::POST, "/v1/accounts/2/security-answer-reset")
                .bearer_auth(&agent)
                .header("Idempotency-Key", "f2")
                .json(&reset_body()),
        )
        .await;
    assert_eq!(answer.status, 202);
    call(&app, &agent, Method::POST, "/v1/accounts/1/address-check", Some(json!({"address": "x@y.test"}))).await;

    let mut ids = Vec::new();
    for (i, change) in ["phone", "phone", "phone", "phone", "remove_two_factor"].iter().enumerate() {
        let value = if *change == "phone" { format!("+44 7700 90010{i}") } else { String::new() };
        ids.push(
            file_and_confirm(
                &app,
                form("jsmith", "james.smith@example.com", change, &value),
                "james.smith@example.com",
            )
            .await,
        );
    }
    // The agent decides five requests, each some minutes after claiming it.
    let mut handled = Vec::new();
    for (id, decision, minutes) in [
        (ids[0], Decision::Approve, 4),
        (ids[1], Decision::Reject, 2),
        (ids[2], Decision::NeedInfo, 6),
        (ids[3], Decision::Escalate, 10),
        (ids[4], Decision::Approve, 8),
    ] {
        let d = claim(&app, &agent, id).await;
        work_on(&app, &agent, id, minutes).await;
        decide(&app, &agent, id, &d, decision).await;
        handled.push(minutes * 60);
    }
    // A lead decides the escalated one a minute after claiming it; an admin gives a second approval.
    let d = claim(&app, &lead, ids[3]).await;
    app.clock.advance(Duration::minutes(1));
    let state = decide(&app, &lead, ids[3], &d, Decision::Approve).await["item"]["state"].clone();
    let second = call(
        &app,
        &admin,
        Method::POST,
        &format!("/v1/requests/{}/second-approval", ids[4]),
        Some(json!({"text": "agreed"})),
    )
    .await;
    assert_eq!(second.body["item"]["state"], "approved", "{}", second.text);

    let figures = app.get(&lead, "/v1/audit/figures").await;
    assert_eq!(figures.status, 200, "{}", figures.text);
    let of = |id: i64| figures.body["agents"].as_array().unwrap().iter().find(|a| a["agent_id"] == id).unwrap().clone();
    let (a, l, m) = (of(1), of(2), of(3));
    println!(
        "figures: agent {} decisions, median {} s, {} resets; lead {} decisions ({state}); admin {} second approvals",
        a["queue_decisions"], a["median_handling_secs"], a["resets_sent"], l["queue_decisions"], m["second_approvals"]
    );
    assert_eq!(a["resets_sent"], 2);
    assert_eq!(a["queue_decisions"], 5);
    handled.sort();
    assert_eq!(a["median_handling_secs"], handled[handled.len() / 2], "claim to decision, median");
    assert_eq!(l["queue_decisions"], 1);
    assert_eq!(l["median_handling_secs"], 60);
    assert_eq!(m["second_approvals"], 1);
    assert_eq!(m["queue_decisions"], 0);

    // Every action on record is one of the contract's, and each agent's counts are the log's.
    let db = app.running.state.db.pool();
    let written: Vec<(Option<i64>, String, i64)> =
        sqlx::query_as("SELECT actor_id, action, COUNT(*) FROM audit_log GROUP BY actor_id, action")
            .fetch_all(db)
            .await
            .unwrap();
    for (actor, action, n) in &written {
        let parsed = AuditAction::parse(action).unwrap_or_else(|| panic!("{action} is not in the contract's list"));
        let Some(actor) = actor else { continue };
        let figures = of(*actor);
        let listed = figures["by_action"].as_array().unwrap().iter().find(|c| c["action"] == *action).cloned();
        assert_eq!(listed.map(|c| c["count"].clone()), Some(json!(n)), "{action} of agent {actor}");
        let counted = match parsed.group() {
            ActionGroup::Decision => Some("queue_decisions"),
            ActionGroup::SecondApproval => Some("second_approvals"),
            ActionGroup::Reset => Some("resets_sent"),
            _ => None,
        };
        if let Some(field) = counted {
            let total: i64 = written
                .iter()
                .filter(|(a, act, _)| {
                    *a == Some(*actor) && AuditAction::parse(act).map(|x| x.group()) == Some(parsed.group())
                })
                .map(|(_, _, n)| n)
                .sum();
            assert_eq!(figures[field], total, "{field} of agent {actor}");
        }
    }
}
