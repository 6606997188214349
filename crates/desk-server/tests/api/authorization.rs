//! The authorization matrix: every route × every caller (no session, agent, lead, admin). A cell
//! passes when the service answers what the role table says: 401 without a session, 403 for a
//! role without the permission, and anything but 401/403 for a role with it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Nobody,
    Agent,
    Lead,
    Admin,
}

const ALL: [Caller; 3] = [Caller::Agent, Caller::Lead, Caller::Admin];
const LEADS: [Caller; 2] = [Caller::Lead, Caller::Admin];
const ADMINS: [Caller; 1] = [Caller::Admin];

pub struct Route {
    pub method: Method,
    path: &'static str,
    /// The path as the OpenAPI document names it.
    pub doc: &'static str,
    allowed: &'static [Caller],
    /// Public routes answer without a session.
    public: bool,
}

pub fn routes() -> Vec<Route> {
    let r = |method, path, doc, allowed: &'static [Caller]| Route { method, path, doc, allowed, public: false };
    let public = |method, path, doc| Route { method, path, doc, allowed: &ALL, public: true };
    vec![
        public(Method::POST, "/v1/sessions", "/v1/sessions"),
        public(Method::GET, "/v1/openapi.json", "/v1/openapi.json"),
        // Public: the About box asks before sign-in; it names a build, nothing about accounts.
        public(Method::GET, "/v1/version", "/v1/version"),
        // Single sign-on starts before anyone is signed in (409 here: no provider configured).
        public(Method::GET, "/v1/sso", "/v1/sso"),
        public(Method::POST, "/v1/sso/start", "/v1/sso/start"),
        public(Method::POST, "/v1/sso/finish", "/v1/sso/finish"),
        public(Method::GET, "/dev/mailbox.json", "-"),
        public(Method::GET, "/dev/mailbox", "-"),
        public(Method::GET, "/recover", "-"),
        // The mail provider's webhook: its own shared secret, no session (404 until one is configured).
        public(Method::POST, "/v1/mail/events", "/v1/mail/events"),
        r(Method::GET, "/v1/me", "/v1/me", &ALL),
        r(Method::GET, "/v1/accounts?q=maria", "/v1/accounts", &ALL),
        r(Method::GET, "/v1/accounts/1", "/v1/accounts/{id}", &ALL),
        r(Method::GET, "/v1/accounts/1/activity", "/v1/accounts/{id}/activity", &ALL),
        r(Method::POST, "/v1/accounts/1/address-check", "/v1/accounts/{id}/address-check", &ALL),
        r(Method::POST, "/v1/accounts/1/emails/1/reveal", "/v1/accounts/{id}/emails/{email_id}/reveal", &ALL),
        r(Method::POST, "/v1/accounts/1/password-reset", "/v1/accounts/{id}/password-reset", &ALL),
        r(Method::POST, "/v1/accounts/2/security-answer-reset", "/v1/accounts/{id}/security-answer-reset", &ALL),
        r(Method::POST, "/v1/accounts/1/unlock", "/v1/accounts/{id}/unlock", &ALL),
        r(
            Method::POST,
            "/v1/accounts/2/emails/4/verification",
            "/v1/accounts/{id}/emails/{email_id}/verification",
            &ALL,
        ),
        r(Method::POST, "/v1/accounts/1/end-sessions", "/v1/accounts/{id}/end-sessions", &ALL),
        r(Method::POST, "/v1/accounts/1/caller-verification", "/v1/accounts/{id}/caller-verification", &ALL),
        r(
            Method::POST,
            "/v1/accounts/1/caller-verification/1/check",
            "/v1/accounts/{id}/caller-verification/{challenge_id}/check",
            &ALL,
        ),
        r(Method::GET, "/v1/requests", "/v1/requests", &ALL),
        r(Method::GET, "/v1/requests/counts", "/v1/requests/counts", &ALL),
        r(Method::GET, "/v1/requests/1", "/v1/requests/{id}", &ALL),
        r(Method::POST, "/v1/requests/1/notes", "/v1/requests/{id}/notes", &ALL),
        r(Method::POST, "/v1/requests/1/claim", "/v1/requests/{id}/claim", &ALL),
        r(Method::POST, "/v1/requests/1/renew", "/v1/requests/{id}/renew", &ALL),
        r(Method::POST, "/v1/requests/1/decision", "/v1/requests/{id}/decision", &ALL),
        r(Method::POST, "/v1/requests/1/release", "/v1/requests/{id}/release", &ALL),
        r(Method::POST, "/v1/requests/claim-next", "/v1/requests/claim-next", &ALL),
        // Leads only: the queue's transition table refuses agents, whatever the request's state.
        r(Method::POST, "/v1/requests/1/second-approval", "/v1/requests/{id}/second-approval", &LEADS),
        r(Method::POST, "/v1/requests/1/reassign", "/v1/requests/{id}/reassign", &LEADS),
        r(Method::GET, "/v1/agents", "/v1/agents", &LEADS),
        r(Method::GET, "/v1/requests/1/evidence/1", "/v1/requests/{id}/evidence/{file_id}", &ALL),
        r(Method::GET, "/v1/audit", "/v1/audit", &LEADS),
        r(Method::GET, "/v1/audit/verify", "/v1/audit/verify", &LEADS),
        r(Method::GET, "/v1/audit/export?format=ndjson", "/v1/audit/export", &LEADS),
        r(Method::GET, "/v1/audit/figures", "/v1/audit/figures", &LEADS),
        // Staff administration is the admin's alone. Ids that do not exist, so no cell disables a caller.
        r(Method::GET, "/v1/staff", "/v1/staff", &ADMINS),
        r(Method::POST, "/v1/staff/invites", "/v1/staff/invites", &ADMINS),
        r(Method::POST, "/v1/staff/9999/role", "/v1/staff/{id}/role", &ADMINS),
        r(Method::POST, "/v1/staff/9999/disable", "/v1/staff/{id}/disable", &ADMINS),
        r(Method::POST, "/v1/staff/9999/enable", "/v1/staff/{id}/enable", &ADMINS),
        r(Method::POST, "/v1/staff/9999/mfa-reset", "/v1/staff/{id}/mfa-reset", &ADMINS),
        r(Method::POST, "/v1/staff/mfa-resets/9999/approve", "/v1/staff/mfa-resets/{reset_id}/approve", &ADMINS),
        r(Method::GET, "/v1/settings/sso", "/v1/settings/sso", &ADMINS),
        r(Method::PUT, "/v1/settings/sso", "/v1/settings/sso", &ADMINS),
        // Last: it ends the caller's session.
        r(Method::DELETE, "/v1/sessions/current", "/v1/sessions/current", &ALL),
    ]
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_role_table_says() {
    let app = TestApp::spawn().await;
    let tokens = [
        (Caller::Agent, app.agent_token().await),
        (Caller::Lead, app.lead_token().await),
        (Caller::Admin, app.admin_token().await),
    ];
    // A request waiting for a second approval, for the queue's routes to act on.
    sqlx::query(
        "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, identifier, contact_email, full_name, country, statement, facts, submitted_ms, sla_due_ms, updated_ms) \
         VALUES ('SD-MATRIX01', 'awaiting_second_approval', 'high', '[]', 'remove_two_factor', 'jsmith', 'c@mail.test', 'N', 'GB', 's', '[]', 0, 0, 0)",
    )
    .execute(app.running.state.db.pool())
    .await
    .unwrap();
    let mut cells = 0;
    let routes = routes();
    for route in &routes {
        for caller in [Caller::Nobody, Caller::Agent, Caller::Lead, Caller::Admin] {
            let mut rb = app.req(route.method.clone(), route.path).header("Idempotency-Key", format!("m-{cells}"));
            if route.method == Method::POST || route.method == Method::PUT {
                rb = rb.json(&json!({
                    "reason": "the user asked on the phone", "ticket": "SUP-M", "note": "matrix", "text": "matrix",
                    "decision": "reject", "checklist": [], "agent_id": 1,
                    "address": "x@y.test", "email": "x@y.test", "password": "p", "totp": "000000"
                }));
            }
            if let Some((_, t)) = tokens.iter().find(|(c, _)| *c == caller) {
                rb = rb.bearer_auth(t);
            }
            let a = app.send(rb).await;
            let expect = if route.public {
                "reachable"
            } else if caller == Caller::Nobody {
                "401"
            } else if route.allowed.contains(&caller) {
                "reachable"
            } else {
                "403"
            };
            match expect {
                "401" => assert_eq!(a.status, 401, "{caller:?} {} {}: {}", route.method, route.path, a.text),
                "403" => {
                    assert_eq!(a.status, 403, "{caller:?} {} {}: {}", route.method, route.path, a.text);
                    assert_eq!(a.body["code"], "forbidden");
                }
                // Past the role check: a 403 here may only be a refusal of another kind (an
                // unverified caller), never the role's `forbidden`.
                _ => assert!(
                    route.public && route.path == "/v1/sessions"
                        || (a.status != 401 && !(a.status == 403 && a.body["code"] == "forbidden")),
                    "{caller:?} {} {} refused: {}",
                    route.method,
                    route.path,
                    a.text
                ),
            }
            assert!(a.status < 500, "{caller:?} {} {}: {}", route.method, route.path, a.text);
            cells += 1;
        }
    }
    assert_eq!(cells, routes.len() * 4);
    println!("authorization matrix: {} routes x 4 callers = {cells} cells", routes.len());
}

#[tokio::test]
async fn the_matrix_covers_every_route_of_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = app.send(app.req(Method::GET, "/v1/openapi.json")).await;
    let covered: Vec<String> = routes().iter().map(|r| format!("{} {}", r.method, r.doc)).collect();
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let key = format!("{} {path}", method.to_uppercase());
            assert!(covered.contains(&key), "{key} is not in the authorization matrix");
        }
    }
}
