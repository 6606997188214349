//! Bad input of every kind gets a problem document — never a 5xx, never a partial write.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{reset_body, TestApp};

async fn nothing_written(app: &TestApp) {
    let n: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM agent_actions) + (SELECT COUNT(*) FROM outbox) + (SELECT COUNT(*) FROM recovery_tokens)")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "a refused request wrote something");
}

#[tokio::test]
async fn malformed_json_is_a_problem() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app
        .send(
            app.req(Method::POST, "/v1/accounts/1/password-reset")
                .bearer_auth(&t)
                .header("Idempotency-Key", "k")
                .header("content-type", "application/json")
                .body("{\"reason\": "),
        )
        .await;
    TestApp::assert_problem(&a, 400, "malformed_json");
    let a =
        app.send(app.req(Method::POST, "/v1/sessions").header("content-type", "application/json").body("[1,2")).await;
    TestApp::assert_problem(&a, 400, "malformed_json");
    let a = app.send(app.req(Method::POST, "/v1/sessions").body("email=x")).await;
    TestApp::assert_problem(&a, 415, "unsupported_media_type");
    nothing_written(&app).await;
}

#[tokio::test]
async fn missing_or_unknown_reason_and_bad_ticket_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    TestApp::assert_problem(&app.password_reset(&t, 1, "k1", json!({"ticket": "SUP-1"})).await, 400, "malformed_json");
    TestApp::assert_problem(
        &app.password_reset(&t, 1, "k2", json!({"reason": "because", "ticket": "SUP-1"})).await,
        400,
        "malformed_json",
    );
    let a = app.password_reset(&t, 1, "k3", json!({"reason": "forgot_password", "ticket": "  "})).await;
    TestApp::assert_problem(&a, 422, "invalid_input");
    assert_eq!(a.body["field"], "ticket");
    let a =
        app.password_reset(&t, 1, "k4", json!({"reason": "other", "ticket": "SUP-1", "note": "x".repeat(1001)})).await;
    assert_eq!(a.body["field"], "note");
    nothing_written(&app).await;
}

#[tokio::test]
async fn missing_idempotency_key_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.send(app.req(Method::POST, "/v1/accounts/1/password-reset").bearer_auth(&t).json(&reset_body())).await;
    TestApp::assert_problem(&a, 400, "idempotency_key_missing");
    let a = app.password_reset(&t, 1, &"k".repeat(129), reset_body()).await;
    TestApp::assert_problem(&a, 400, "idempotency_key_missing");
    nothing_written(&app).await;
}

#[tokio::test]
async fn malformed_and_unknown_ids_are_problems() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    for path in ["/v1/accounts/abc", "/v1/accounts/-1", "/v1/accounts/0", "/v1/accounts/99999999999999999999999"] {
        let a = app.get(&t, path).await;
        TestApp::assert_problem(&a, 422, "invalid_input");
        assert_eq!(a.body["field"], "id");
    }
    TestApp::assert_problem(&app.password_reset(&t, 424242, "k", reset_body()).await, 404, "not_found");
    TestApp::assert_problem(&app.password_reset(&t, 0, "k2", reset_body()).await, 422, "invalid_input");
    nothing_written(&app).await;
}

#[tokio::test]
async fn oversized_or_empty_queries_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, &format!("/v1/accounts?q={}", "a".repeat(300))).await;
    TestApp::assert_problem(&a, 422, "invalid_input");
    assert_eq!(a.body["field"], "q");
    TestApp::assert_problem(&app.get(&t, "/v1/accounts?q=").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&t, "/v1/accounts").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&t, "/v1/accounts?q=a&limit=0").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&t, "/v1/accounts?q=a&limit=lots").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&t, "/v1/accounts?q=a&cursor=zzz").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&t, "/v1/accounts?q=%FF%FE").await, 422, "invalid_input");
}

#[tokio::test]
async fn oversized_bodies_unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let big = json!({"reason": "other", "ticket": "SUP-1", "note": "x".repeat(100_000)});
    TestApp::assert_problem(&app.password_reset(&t, 1, "k", big).await, 413, "payload_too_large");
    TestApp::assert_problem(&app.get(&t, "/v1/nothing-here").await, 404, "not_found");
    let a = app.send(app.req(Method::PUT, "/v1/accounts/1").bearer_auth(&t)).await;
    TestApp::assert_problem(&a, 405, "method_not_allowed");
    nothing_written(&app).await;
}

/// The document against the router as it answers: every documented path is routed, answers
/// exactly the documented methods (an undocumented one gets 405 with an `Allow` that lists the
/// documented ones), and every route of the authorization matrix is documented.
#[tokio::test]
async fn openapi_document_lists_every_v1_route() {
    let app = TestApp::spawn().await;
    let a = app.send(app.req(Method::GET, "/v1/openapi.json")).await;
    assert_eq!(a.status, 200);
    assert!(a.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = a.body["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        let mut documented: Vec<String> = item.as_object().unwrap().keys().map(|m| m.to_uppercase()).collect();
        // The router answers HEAD wherever it answers GET.
        if documented.iter().any(|m| m == "GET") {
            documented.push("HEAD".into());
        }
        documented.sort();
        let concrete = path.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/");
        for method in item.as_object().unwrap().keys() {
            operations += 1;
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = app.send(app.req(m, &concrete)).await;
            let unrouted = answer.status == 405 || (answer.status == 404 && answer.body["detail"] == "route not found");
            assert!(!unrouted, "{method} {path} is documented but not routed: {}", answer.text);
        }
        let other = app.send(app.req(Method::PATCH, &concrete)).await;
        TestApp::assert_problem(&other, 405, "method_not_allowed");
        let allow =
            other.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("{path}: no Allow"));
        let mut allowed: Vec<String> = allow.split(',').map(|m| m.trim().to_string()).collect();
        allowed.sort();
        assert_eq!(allowed, documented, "{path}: the router answers other methods than the document lists");
    }
    assert!(operations >= 28, "only {operations} operations documented");
    for route in crate::authorization::routes().iter().filter(|r| r.doc.starts_with("/v1/")) {
        let documented = paths.get(route.doc).and_then(|item| item.get(route.method.as_str().to_lowercase()));
        assert!(documented.is_some(), "{} {} is routed but not in the OpenAPI document", route.method, route.doc);
    }
}

/// Numbers a query may carry but that overflow what they are multiplied into are refused with a
/// problem (a `min_age_hours` of 2^63-1 once made the service panic and drop the connection).
#[tokio::test]
async fn numbers_too_large_for_a_query_are_refused_not_a_crash() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    for path in [
        "/v1/requests?min_age_hours=9223372036854775807",
        "/v1/requests?min_age_hours=1000001",
        "/v1/requests?cursor=q99999999999999999999.1",
        "/v1/accounts?q=maria&cursor=b-.-.99999999999999999999",
    ] {
        TestApp::assert_problem(&app.get(&t, path).await, 422, "invalid_input");
    }
    assert_eq!(app.get(&t, "/v1/requests?min_age_hours=1000000").await.status, 200);
}
