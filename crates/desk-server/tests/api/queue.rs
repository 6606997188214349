//! The security-details queue over HTTP: the public form, claims and leases under concurrency,
//! every state × role × move, second approvals, cooling-off and cancel.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use desk_server::Clock;
use reqwest::Method;
use serde_json::{json, Value};

use desk_api::{
    ChangeKind, ChecklistItem, Decision, DecisionRequest, Page, QueueItem, RequestDetail, RequestState, RiskLevel,
};

type Queue = Page<QueueItem>;

use crate::helpers::{Answer, TestApp};

pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

pub fn form(identifier: &str, contact: &str, change: &str, new_value: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("identifier", identifier.to_string())
        .text("contact", contact.to_string())
        .text("change", change.to_string())
        .text("new_value", new_value.to_string())
        .text("full_name", "James Smith")
        .text("country", "GB")
        .text("former_address", "james.smith@example.com")
        .text("account_age_years", "2")
        .text("statement", "I lost the phone my account's email was on and cannot sign in any more.")
}

/// Files a request through the public form and confirms the contact code. Answers its id.
pub async fn file_and_confirm(app: &TestApp, f: reqwest::multipart::Form, contact: &str) -> i64 {
    let a = app.send(app.req(Method::POST, "/security-details").multipart(f)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.text.contains("Confirm your email address"), "{}", a.text);
    let reference = a.text.split("request <strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_string();
    let code = app
        .await_mail("the confirmation code", |m| {
            let body = m["body"].as_str().filter(|_| m["to"] == contact && m["subject"] == "Confirm your request")?;
            Some(body.split(" is ").nth(1)?[..6].to_string())
        })
        .await;
    let done = app.post_form(&format!("/security-details/{reference}/confirm"), &[("code", &code)]).await;
    assert!(done.text.contains("We have your request"), "{}", done.text);
    sqlx::query_scalar("SELECT id FROM security_requests WHERE reference = $1")
        .bind(&reference)
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap()
}

pub async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> crate::helpers::Answer {
    // Each call is a new action of the agent, as the console sends it: a key of its own.
    static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let key = format!("queue-test-{}", KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let mut rb = app.req(method, path).bearer_auth(token).header("Idempotency-Key", key);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    app.send(rb).await
}

/// A decision on request `id`, sent as the console sends it.
pub async fn decide(app: &TestApp, token: &str, id: i64, decision: DecisionRequest) -> Answer {
    let body = serde_json::to_value(decision).unwrap();
    call(app, token, Method::POST, &format!("/v1/requests/{id}/decision"), Some(body)).await
}

/// An approval with every item of the request's checklist ticked.
pub fn approve(detail: &RequestDetail, note: &str) -> DecisionRequest {
    DecisionRequest {
        decision: Decision::Approve,
        checklist: detail.checklist.clone(),
        note: note.into(),
        message: None,
    }
}

/// A decision that needs no checklist (reject, escalate, need more information).
pub fn unchecked(decision: Decision, note: &str, message: Option<&str>) -> DecisionRequest {
    DecisionRequest { decision, checklist: Vec::new(), note: note.into(), message: message.map(Into::into) }
}

/// The state of the request an answer describes.
pub fn state_of(answer: &Answer) -> RequestState {
    answer.json::<RequestDetail>().item.state
}

#[tokio::test]
async fn the_public_form_confirms_the_contact_and_the_request_joins_the_queue_with_its_evidence() {
    let app = TestApp::spawn().await;
    let f = form("jsmith", "james.new@mail.test", "email", "james.new@mail.test")
        .part("evidence", reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("id.png"));
    // A wrong code first.
    let a = app.send(app.req(Method::POST, "/security-details").multipart(f)).await;
    let reference = a.text.split("request <strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_string();
    let wrong = app.post_form(&format!("/security-details/{reference}/confirm"), &[("code", "000000")]).await;
    assert_eq!(wrong.status, 422);
    let t = app.agent_token().await;
    let list: Queue = app.get_as(&t, "/v1/requests").await;
    assert!(list.items.is_empty(), "unconfirmed requests are not in the queue");

    let code = app.mailbox().await.into_iter().find(|m| m["subject"] == "Confirm your request").unwrap()["body"]
        .as_str()
        .unwrap()
        .split(" is ")
        .nth(1)
        .unwrap()[..6]
        .to_string();
    let ok = app.post_form(&format!("/security-details/{reference}/confirm"), &[("code", &code)]).await;
    assert!(ok.text.contains(&reference));
    let list: Queue = app.get_as(&t, "/v1/requests").await;
    let item = &list.items[0];
    assert_eq!(item.state, RequestState::Open);
    assert_eq!(item.username.as_deref(), Some("jsmith"));
    let id = item.id;
    let d: RequestDetail = app.get_as(&t, &format!("/v1/requests/{id}")).await;
    assert_eq!(d.new_value.as_deref(), Some("james.new@mail.test"));
    assert!(d.facts.iter().all(|f| f.matches), "{:?}", d.facts);
    assert_eq!(d.evidence[0].content_type, "image/png");
    let file = d.evidence[0].id;
    let res = app.req(Method::GET, &format!("/v1/requests/{id}/evidence/{file}")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let viewed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'evidence_view'")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(viewed, 1);
    // Served only to agents.
    assert_eq!(app.send(app.req(Method::GET, &format!("/v1/requests/{id}/evidence/{file}"))).await.status, 401);
    assert!(app
        .mailbox()
        .await
        .iter()
        .any(|m| m["to"] == "james.new@mail.test" && m["subject"] == "We received your request"));
}

#[tokio::test]
async fn bad_forms_get_a_clear_page_and_store_nothing() {
    let app = TestApp::spawn().await;
    let cases: Vec<(reqwest::multipart::Form, &str)> = vec![
        (form("jsmith", "not-an-address", "email", "x@y.test"), "reach you at"),
        (form("jsmith", "a@b.test", "fly", ""), "Choose what should change"),
        (form("jsmith", "a@b.test", "phone", "call me"), "phone number"),
        (
            form("jsmith", "a@b.test", "email", "x@y.test").part(
                "evidence",
                reqwest::multipart::Part::bytes(b"MZ\x90\x00 not a picture".to_vec()).file_name("x.exe"),
            ),
            "not a PNG",
        ),
        (
            form("jsmith", "a@b.test", "email", "x@y.test").part(
                "evidence",
                reqwest::multipart::Part::bytes([PNG, &vec![0u8; 2 * 1024 * 1024]].concat()).file_name("big.png"),
            ),
            "2 MB",
        ),
    ];
    for (f, says) in cases {
        let a = app.send(app.req(Method::POST, "/security-details").multipart(f)).await;
        assert!(a.status == 422 || a.status == 413, "{}", a.status);
        assert!(a.text.contains(says), "{says}: {}", a.text);
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_requests")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn risk_is_high_without_an_account_and_low_when_everything_matches() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let unknown =
        file_and_confirm(&app, form("nobody-here", "x@mail.test", "phone", "+1 555 0100 200"), "x@mail.test").await;
    let good = file_and_confirm(
        &app,
        form("jsmith", "james.smith@example.com", "reset_security_question", ""),
        "james.smith@example.com",
    )
    .await;
    let d: RequestDetail = app.get_as(&t, &format!("/v1/requests/{unknown}")).await;
    assert_eq!(d.item.risk, RiskLevel::High);
    assert!(d.risk_reasons[0].contains("No account"), "{:?}", d.risk_reasons);
    let d: RequestDetail = app.get_as(&t, &format!("/v1/requests/{good}")).await;
    assert_eq!(d.item.risk, RiskLevel::Low, "{:?}", d.risk_reasons);
    // The queue is in SLA order: high risk is due first.
    let list: Queue = app.get_as(&t, "/v1/requests").await;
    assert_eq!(list.items[0].id, unknown);
}

/// Puts `n` open requests straight into the store, for load tests.
pub async fn bulk_open(app: &TestApp, n: i64) {
    let now = app.clock.now_ms();
    let mut tx = app.running.state.db.write().await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut qb = desk_server::store::sql::Builder::new(
            "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, identifier, contact_email, full_name, country, statement, facts, submitted_ms, sla_due_ms, updated_ms)",
        );
        qb.push_values(chunk.iter().copied(), |b, i| {
            b.bind(format!("SD-B{i:07}"))
                .bind("open")
                .bind("low")
                .bind("[]")
                .bind("phone")
                .bind("someone")
                .bind("c@mail.test")
                .bind("N")
                .bind("US")
                .bind("s")
                .bind("[]")
                .bind(now)
                .bind(now + i * 1000)
                .bind(now);
        });
        qb.execute(&mut tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Fifty claimers at once, each taking the next request until the queue is empty, through the
/// `urls` in turn (several instances behind a load balancer) with the staff `tokens` in turn.
/// Answers every id claimed, repeats included.
pub async fn fifty_claimers(app: &Arc<TestApp>, tokens: &[String], urls: &[String]) -> Vec<i64> {
    let mut tasks = Vec::new();
    for w in 0..50 {
        let (http, tokens, urls) = (app.http.clone(), tokens.to_vec(), urls.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let url = &urls[(w + mine.len()) % urls.len()];
                let res = http.post(url).bearer_auth(&tokens[w % tokens.len()]).send().await.unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap();
                match status {
                    200 => mine.push(body["item"]["id"].as_i64().unwrap()),
                    409 if body["code"] == "queue_empty" => return mine,
                    _ => panic!("claim-next answered {status}: {body}"),
                }
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_claimers_never_share_a_request_and_expired_leases_return() {
    let app = Arc::new(TestApp::spawn().await);
    let total = 10_000;
    bulk_open(&app, total).await;
    let tokens = Arc::new(vec![app.agent_token().await, app.lead_token().await, app.admin_token().await]);
    let started = Instant::now();
    let all = fifty_claimers(&app, &tokens, &[app.url("/v1/requests/claim-next")]).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "claim-next: {} claims by 50 concurrent callers in {secs:.2} s = {:.0} claims/s",
        all.len(),
        all.len() as f64 / secs
    );
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a request was claimed twice");
    assert_eq!(all.len() as i64, total, "every request was claimed once");

    // Nobody renews: once the leases run out, the requests are claimable again.
    let t = &tokens[0];
    let empty = call(&app, t, Method::POST, "/v1/requests/claim-next", None).await;
    assert_eq!(empty.body["code"], "queue_empty");
    app.clock.advance(Duration::minutes(6));
    let again = call(&app, t, Method::POST, "/v1/requests/claim-next", None).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let stranded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM security_requests WHERE state = 'claimed' AND lease_expires_ms <= $1")
            .bind(app.clock.now_ms())
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(stranded, total - 1, "the rest wait, expired, for the next claim-next");
}

#[tokio::test]
async fn a_held_request_cannot_be_taken_and_an_expired_lease_cannot_be_renewed() {
    let app = TestApp::spawn().await;
    bulk_open(&app, 1).await;
    let agent = app.agent_token().await;
    let lead = app.lead_token().await;
    let d = call(&app, &agent, Method::POST, "/v1/requests/claim-next", None).await;
    let id = d.body["item"]["id"].as_i64().unwrap();
    let other = call(&app, &lead, Method::POST, &format!("/v1/requests/{id}/claim"), None).await;
    TestApp::assert_problem(&other, 409, "claimed_by_other");
    app.clock.advance(Duration::minutes(4));
    assert_eq!(call(&app, &agent, Method::POST, &format!("/v1/requests/{id}/renew"), None).await.status, 200);
    app.clock.advance(Duration::minutes(6));
    TestApp::assert_problem(
        &call(&app, &agent, Method::POST, &format!("/v1/requests/{id}/renew"), None).await,
        409,
        "lease_expired",
    );
    assert_eq!(call(&app, &lead, Method::POST, &format!("/v1/requests/{id}/claim"), None).await.status, 200);
    TestApp::assert_problem(
        &call(&app, &agent, Method::POST, &format!("/v1/requests/{id}/release"), None).await,
        409,
        "claimed_by_other",
    );
}

/// Moves a caller can make through the API, with the body each needs.
fn moves() -> Vec<(&'static str, &'static str, Value)> {
    let checklist = json!([
        "facts_match_account",
        "recent_activity_reviewed",
        "statement_consistent",
        "new_value_not_on_another_account"
    ]);
    vec![
        ("claim", "claim", Value::Null),
        ("renew", "renew", Value::Null),
        ("release", "release", Value::Null),
        ("note", "notes", json!({"text": "looked at it"})),
        ("approve", "decision", json!({"decision": "approve", "checklist": checklist, "note": "ok"})),
        ("reject", "decision", json!({"decision": "reject", "checklist": [], "note": "no"})),
        (
            "need_info",
            "decision",
            json!({"decision": "need_info", "checklist": [], "note": "unsure", "message": "Which phone?"}),
        ),
        ("escalate", "decision", json!({"decision": "escalate", "checklist": [], "note": "unsure"})),
        ("second_approve", "second-approval", json!({"text": "agreed"})),
        ("reassign", "reassign", json!({"agent_id": 1})),
    ]
}

/// Where an allowed move leaves a (low-risk) request.
fn state_after(state: &str, mv: &str) -> &'static str {
    match mv {
        "claim" | "renew" | "reassign" => "claimed",
        "release" => "open",
        "approve" | "second_approve" => "approved",
        "reject" => "rejected",
        "need_info" => "needs_info",
        "escalate" => "escalated",
        _ => desk_api::RequestState::parse(state).unwrap().as_str(),
    }
}

/// The allowed cells: (state, caller, move) with the caller holding the lease on claimed
/// requests and not being the first approver. Everything else must be refused.
fn allowed(state: &str, role: &str, mv: &str) -> bool {
    let lead = role != "agent";
    match (state, mv) {
        (s, "note") => s != "unconfirmed",
        ("open", "claim") => true,
        ("escalated", "claim") => lead,
        ("claimed", "claim" | "renew" | "release" | "approve" | "reject" | "need_info" | "escalate") => true,
        ("awaiting_second_approval", "second_approve" | "reject") => lead,
        ("open" | "claimed" | "escalated", "reassign") => lead,
        _ => false,
    }
}

#[tokio::test]
async fn every_state_role_and_move_is_allowed_or_refused_as_the_table_says() {
    let app = TestApp::spawn().await;
    let callers = [
        ("agent", app.agent_token().await, 1i64),
        ("lead", app.lead_token().await, 2),
        ("admin", app.admin_token().await, 3),
    ];
    let now = app.clock.now_ms();
    let mut cells = 0;
    let mut allowed_cells = 0;
    for &state in desk_api::RequestState::ALL {
        for (role, token, me) in &callers {
            for (mv, path, body) in moves() {
                // A fresh request in this state, held by the caller when claimed, first approved by someone else.
                let other = if *me == 1 { 2 } else { 1 };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, new_value, identifier, contact_email, full_name, country, statement, facts, \
                     submitted_ms, sla_due_ms, updated_ms, assignee_id, lease_expires_ms, first_approver_id, account_id) \
                     VALUES ($1, $2, 'low', '[]', 'phone', '+1 555 0100 999', 'jsmith', 'c@mail.test', 'N', 'US', 's', '[]', $3, $3, $3, $4, $5, $6, 2) RETURNING id",
                )
                .bind(format!("SD-T{cells:07}"))
                .bind(state.as_str())
                .bind(now)
                .bind((state == desk_api::RequestState::Claimed).then_some(*me))
                .bind((state == desk_api::RequestState::Claimed).then_some(now + 60_000))
                .bind((state == desk_api::RequestState::AwaitingSecondApproval).then_some(other))
                .fetch_one(app.running.state.db.pool())
                .await
                .unwrap();
                let a = call(
                    &app,
                    token,
                    Method::POST,
                    &format!("/v1/requests/{id}/{path}"),
                    (!body.is_null()).then_some(body),
                )
                .await;
                let expect = allowed(state.as_str(), role, mv);
                let now_in: String = sqlx::query_scalar("SELECT state FROM security_requests WHERE id = $1")
                    .bind(id)
                    .fetch_one(app.running.state.db.pool())
                    .await
                    .unwrap();
                if expect {
                    allowed_cells += 1;
                    assert!(a.status < 300, "{state:?} {role} {mv} should be allowed: {}", a.text);
                    assert_eq!(
                        now_in,
                        state_after(state.as_str(), mv),
                        "{state:?} {role} {mv}: the request's new state"
                    );
                } else {
                    assert_eq!(now_in, state.as_str(), "{state:?} {role} {mv} was refused, yet the state changed");
                    assert!(
                        a.status == 403 || a.status == 409,
                        "{state:?} {role} {mv} should be refused: {} {}",
                        a.status,
                        a.text
                    );
                    assert!(a.body["code"].is_string());
                }
                cells += 1;
            }
        }
    }
    println!("queue transitions: {cells} cells ({allowed_cells} allowed, {} refused)", cells - allowed_cells);
    assert_eq!(cells, 10 * 3 * 10);
}

async fn claimed_request(app: &TestApp, token: &str, change: &str, new_value: &str) -> (i64, RequestDetail) {
    let id =
        file_and_confirm(app, form("jsmith", "james.smith@example.com", change, new_value), "james.smith@example.com")
            .await;
    let d = call(app, token, Method::POST, &format!("/v1/requests/{id}/claim"), None).await;
    assert_eq!(d.status, 200, "{}", d.text);
    (id, d.json())
}

#[tokio::test]
async fn approval_needs_the_checklist_and_a_note() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let (id, d) = claimed_request(&app, &t, "phone", "+44 7700 900999").await;
    let partial = decide(
        &app,
        &t,
        id,
        DecisionRequest { checklist: vec![ChecklistItem::FactsMatchAccount], ..approve(&d, "ok") },
    )
    .await;
    TestApp::assert_problem(&partial, 409, "checklist_incomplete");
    let no_note = decide(&app, &t, id, approve(&d, "  ")).await;
    TestApp::assert_problem(&no_note, 422, "invalid_input");
    let ok = decide(&app, &t, id, approve(&d, "facts match")).await;
    assert_eq!(state_of(&ok), RequestState::Approved, "{}", ok.text);
}

#[tokio::test]
async fn removing_2fa_needs_a_second_approval_from_another_lead() {
    let app = TestApp::spawn().await;
    let lead = app.lead_token().await;
    let agent = app.agent_token().await;
    let admin = app.admin_token().await;
    let (id, d) = claimed_request(&app, &lead, "remove_two_factor", "").await;
    let first = decide(&app, &lead, id, approve(&d, "checked")).await;
    assert_eq!(state_of(&first), RequestState::AwaitingSecondApproval, "{}", first.text);
    let same = call(
        &app,
        &lead,
        Method::POST,
        &format!("/v1/requests/{id}/second-approval"),
        Some(json!({"text": "me again"})),
    )
    .await;
    TestApp::assert_problem(&same, 409, "same_approver");
    let by_agent =
        call(&app, &agent, Method::POST, &format!("/v1/requests/{id}/second-approval"), Some(json!({"text": "me"})))
            .await;
    TestApp::assert_problem(&by_agent, 403, "forbidden");
    let second = call(
        &app,
        &admin,
        Method::POST,
        &format!("/v1/requests/{id}/second-approval"),
        Some(json!({"text": "agreed"})),
    )
    .await;
    assert_eq!(state_of(&second), RequestState::Approved, "{}", second.text);
    assert_eq!(second.json::<RequestDetail>().first_approver.as_deref(), Some("Lee Lead"));
}

#[tokio::test]
async fn an_agent_cannot_decide_an_escalated_request() {
    let app = TestApp::spawn().await;
    let agent = app.agent_token().await;
    let lead = app.lead_token().await;
    let (id, d) = claimed_request(&app, &agent, "phone", "+44 7700 900999").await;
    let esc = decide(&app, &agent, id, unchecked(Decision::Escalate, "odd", None)).await;
    assert_eq!(state_of(&esc), RequestState::Escalated);
    TestApp::assert_problem(
        &call(&app, &agent, Method::POST, &format!("/v1/requests/{id}/claim"), None).await,
        403,
        "forbidden",
    );
    assert_eq!(call(&app, &lead, Method::POST, &format!("/v1/requests/{id}/claim"), None).await.status, 200);
    let ok = decide(&app, &lead, id, approve(&d, "fine")).await;
    assert_eq!(state_of(&ok), RequestState::Approved, "{}", ok.text);
}

#[tokio::test]
async fn need_info_emails_the_user_and_their_answer_returns_the_request_to_the_queue() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let (id, _) = claimed_request(&app, &t, "phone", "+44 7700 900999").await;
    decide(
        &app,
        &t,
        id,
        unchecked(Decision::NeedInfo, "internal: the statement is vague", Some("Which phone did you use before?")),
    )
    .await;
    let mail = app.mail("asking for more information", |m| m["subject"] == "We need more information").await;
    assert!(mail["body"].as_str().unwrap().contains("Which phone did you use before?"));
    assert!(!mail["body"].as_str().unwrap().contains("internal"), "the note stays internal: {}", mail["body"]);
    let link = app.path_in(&mail, "/security-details/reply/");
    let r = app.post_form(&link, &[("text", "An old Nokia, number ending 12")]).await;
    assert!(r.text.contains("back with our team"), "{}", r.text);
    let d: RequestDetail = app.get_as(&t, &format!("/v1/requests/{id}")).await;
    assert_eq!(d.item.state, RequestState::Open);
    assert_eq!(d.notes[0].author, "the user");
    assert_eq!(app.post_form(&link, &[("text", "again")]).await.status, 410, "the reply link works once");
}

async fn approve_medium(app: &TestApp) -> (i64, String) {
    let t = app.agent_token().await;
    // jsmith has a sign-in recovery history via this helper: make the request medium risk by a
    // contact that is not on the account.
    let id =
        file_and_confirm(app, form("jsmith", "j.new@mail.test", "email", "j.new@mail.test"), "j.new@mail.test").await;
    let d = call(app, &t, Method::POST, &format!("/v1/requests/{id}/claim"), None).await;
    let ok = decide(app, &t, id, approve(&d.json(), "checked")).await;
    assert_eq!(state_of(&ok), RequestState::Approved, "{}", ok.text);
    assert!(ok.json::<RequestDetail>().apply_at.is_some(), "{}", ok.text);
    let cancel = app
        .mail("to the former address", |m| {
            m["subject"] == "A change to your account is pending" && m["to"] == "james.smith@example.com"
        })
        .await;
    let link = app.path_in(&cancel, "/security-details/cancel/");
    (id, link)
}

#[tokio::test]
async fn this_wasnt_me_cancels_the_change_before_it_applies() {
    let app = TestApp::spawn_with(|c| c.cooling_off_low_secs = 3600).await;
    let (id, link) = approve_medium(&app).await;
    let page = app.page(&link).await;
    assert!(page.text.contains("This wasn't me"), "{}", page.text);
    let done = app.post_form(&link, &[]).await;
    assert!(done.text.contains("was cancelled"), "{}", done.text);
    app.clock.advance(Duration::days(5));
    assert_eq!(app.apply_due().await, 0);
    let state: String = sqlx::query_scalar("SELECT state FROM security_requests WHERE id = $1")
        .bind(id)
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "cancelled");
    let primary: String =
        sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = 2 AND is_primary = 1")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(primary, "james.smith@example.com", "nothing changed");
}

#[tokio::test]
async fn an_approved_change_applies_after_cooling_off_ends_sessions_and_tells_every_address() {
    let app = TestApp::spawn_with(|c| {
        c.cooling_off_low_secs = 3600;
        c.cooling_off_medium_secs = 3600;
        c.queue_tick_ms = 3_600_000;
    })
    .await;
    let (id, link) = approve_medium(&app).await;
    let db = app.running.state.db.pool();
    app.clock.advance(Duration::minutes(59));
    assert_eq!(app.apply_due().await, 0, "not before its time");
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.apply_due().await, 1);
    let (state,): (String,) =
        sqlx::query_as("SELECT state FROM security_requests WHERE id = $1").bind(id).fetch_one(db).await.unwrap();
    assert_eq!(state, "applied");
    // The new address is on file, but neither verified nor primary until its link is used.
    let primary = || async {
        sqlx::query_scalar::<_, String>("SELECT email FROM account_emails WHERE account_id = 2 AND is_primary = 1")
            .fetch_one(db)
            .await
            .unwrap()
    };
    assert_eq!(primary().await, "james.smith@example.com");
    let verified: i64 = sqlx::query_scalar("SELECT verified FROM account_emails WHERE email = 'j.new@mail.test'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(verified, 0);
    let confirm = app
        .mail("asking the new address to confirm", |m| {
            m["to"] == "j.new@mail.test" && m["subject"] == "Confirm your new email address"
        })
        .await;
    let verify_link = app.path_in(&confirm, "/security-details/verify-email/");
    assert!(app.page(&verify_link).await.text.contains("Confirm this address"), "opening the link changes nothing");
    assert_eq!(primary().await, "james.smith@example.com");
    let done = app.post_form(&verify_link, &[]).await;
    assert!(done.text.contains("Address confirmed"), "{}", done.text);
    assert_eq!(primary().await, "j.new@mail.test");
    assert_eq!(app.post_form(&verify_link, &[]).await.status, 410, "the link works once");
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE account_id = 2 AND revoked_ms IS NULL")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(live, 0);
    let mut told: Vec<String> = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["subject"] == "Your security details were changed")
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    told.sort();
    assert_eq!(told, vec!["j.new@mail.test", "james.smith@example.com", "jimmy.s@mail.test"]);
    // Too late to cancel now.
    assert_eq!(app.page(&link).await.status, 410);
    let steps: Vec<String> = sqlx::query_scalar("SELECT action FROM request_steps WHERE request_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(steps, vec!["confirm", "claim", "approve", "apply"]);
    let verified: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'email_verified'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(verified, 1);
    assert_eq!(app.verify().await, None, "every step is in the audit chain");
}

/// A decision is an agent action: it takes an Idempotency-Key, and the same key sent again — even
/// by two dozen requests at once, as retries after a lost answer may be — decides once and tells
/// the user once; the same key with another decision is refused, and no key is refused.
#[tokio::test]
async fn a_decision_sent_many_times_under_one_key_is_made_once() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let (id, _) = claimed_request(&app, &t, "phone", "+44 7700 900123").await;
    let path = format!("/v1/requests/{id}/decision");
    let body = json!({"decision": "reject", "checklist": [], "note": "The statement does not fit the history."});
    let unkeyed = app.send(app.req(Method::POST, &path).bearer_auth(&t).json(&body)).await;
    TestApp::assert_problem(&unkeyed, 400, "idempotency_key_missing");
    let send =
        |b: Value| app.send(app.req(Method::POST, &path).bearer_auth(&t).header("Idempotency-Key", "d-1").json(&b));
    let answers = futures_util::future::join_all((0..24).map(|_| send(body.clone()))).await;
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(state_of(a), RequestState::Rejected);
    }
    let other = send(json!({"decision": "escalate", "checklist": [], "note": "Unsure."})).await;
    TestApp::assert_problem(&other, 409, "idempotency_key_reused");
    let db = app.running.state.db.pool();
    let steps: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM request_steps WHERE request_id = $1 AND action = 'reject'")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(steps, 1, "the request was rejected more than once");
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject = 'Your request was declined'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(told, 1, "the user was told more than once");
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'request_reject'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn evidence_stored_as_a_file_before_it_moved_into_the_database_is_still_shown() {
    let app = TestApp::spawn().await;
    let f = form("jsmith", "james.smith@example.com", "email", "james.new@mail.test")
        .part("evidence", reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("id.png"));
    let id = file_and_confirm(&app, f, "james.smith@example.com").await;
    // As a version before migration 0013 left it: the bytes in `evidence_dir`, named in the row.
    let dir = app.running.state.config.evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("OldStoredName"), b"%PDF-1.4 an older file").unwrap();
    let pool = app.running.state.db.pool();
    sqlx::query("DELETE FROM evidence_content").execute(pool).await.unwrap();
    sqlx::query("UPDATE evidence_files SET stored_name = 'OldStoredName'").execute(pool).await.unwrap();
    let t = app.agent_token().await;
    let d: RequestDetail = app.get_as(&t, &format!("/v1/requests/{id}")).await;
    let file = d.evidence[0].id;
    let res = app.req(Method::GET, &format!("/v1/requests/{id}/evidence/{file}")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"%PDF-1.4 an older file");
}

#[tokio::test]
async fn leads_list_the_active_agents_by_name_with_the_requests_each_holds() {
    let app = TestApp::spawn().await;
    let agent = app.agent_token().await;
    let lead = app.lead_token().await;
    bulk_open(&app, 3).await;
    for _ in 0..2 {
        let claimed = call(&app, &agent, Method::POST, "/v1/requests/claim-next", None).await;
        assert_eq!(claimed.status, 200, "{}", claimed.text);
    }
    let listed = app.get(&lead, "/v1/agents").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let rows = listed.body.as_array().unwrap().clone();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    let load = |rows: &[Value], email: &str| rows.iter().find(|r| r["email"] == email).map(|r| r["claimed"].clone());
    assert_eq!(load(&rows, desk_server::demo::AGENT_EMAIL), Some(json!(2)));
    assert_eq!(load(&rows, desk_server::demo::LEAD_EMAIL), Some(json!(0)));
    // Disabled staff and staff who never enrolled cannot take work: not offered.
    let pool = app.running.state.db.pool();
    sqlx::query("UPDATE agents SET disabled = 1 WHERE email = $1")
        .bind(desk_server::demo::ADMIN_EMAIL)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms) \
         VALUES ('new@demo.test', 'Aaron New', 'agent', '', '', 0)",
    )
    .execute(pool)
    .await
    .unwrap();
    let after = app.get(&lead, "/v1/agents").await.body.as_array().unwrap().clone();
    assert_eq!(load(&after, desk_server::demo::ADMIN_EMAIL), None);
    assert_eq!(load(&after, "new@demo.test"), None);
    TestApp::assert_problem(&app.get(&agent, "/v1/agents").await, 403, "forbidden");
}

#[tokio::test]
async fn the_request_says_whether_its_contact_address_is_on_file_where_masks_look_alike() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let known = file_and_confirm(
        &app,
        form("jsmith", "james.smith@example.com", "phone", "+44 7700 900999"),
        "james.smith@example.com",
    )
    .await;
    let stranger = file_and_confirm(
        &app,
        form("jsmith", "j.smith@example.com", "phone", "+44 7700 900998"),
        "j.smith@example.com",
    )
    .await;
    let known: RequestDetail = app.get_as(&t, &format!("/v1/requests/{known}")).await;
    let stranger: RequestDetail = app.get_as(&t, &format!("/v1/requests/{stranger}")).await;
    // The same mask for both: only the flag tells them apart.
    assert_eq!((known.contact.as_str(), stranger.contact.as_str()), ("j***h@example.com", "j***h@example.com"));
    assert!(known.contact_on_file);
    assert!(!stranger.contact_on_file);
}

#[tokio::test]
async fn the_demo_queue_looks_like_a_morning_and_claim_next_takes_a_low_risk_request() {
    let app = TestApp::spawn_with(|c| c.demo_requests = 40).await;
    let t = app.agent_token().await;
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/requests?cursor={c}"),
            None => "/v1/requests".into(),
        };
        let page: Queue = app.get_as(&t, &path).await;
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(items.len(), 40);
    let now = app.clock.now();
    let overdue = items.iter().filter(|i| i.sla_due_at < now).count();
    assert!((1..=8).contains(&overdue), "a few overdue, most within their SLA: {overdue} of 40");
    for risk in RiskLevel::ALL {
        assert!(items.iter().filter(|i| i.risk == *risk).count() >= 4, "{risk:?}");
    }
    for change in ChangeKind::ALL {
        assert!(items.iter().any(|i| i.change == *change), "{change:?}");
    }
    let next: RequestDetail = call(&app, &t, Method::POST, "/v1/requests/claim-next", None).await.json();
    assert_eq!(next.item.risk, RiskLevel::Low, "{:?}", next.risk_reasons);
    assert!(next.contact_on_file);
    assert!(!next.needs_second_approval);
    assert!(next.facts.iter().all(|f| f.matches), "{:?}", next.facts);
}
