//! Single sign-on against a real OpenID provider: `oidc-provider` (OpenID Certified), run with
//! Node on loopback by each test (`tests/oidc/provider.mjs`). The test plays the browser (it
//! follows the provider's redirects) and the console (PKCE, code exchange: `desk_client::sso`).

use chrono::Utc;
use desk_api::{SecretText, SsoStart};
use desk_client::sso::{authorization_url, exchange_code, Pkce};
use desk_server::test_support::oidc::{browse, Idp, Landing};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Answer, TestApp};

const REDIRECT: &str = "http://127.0.0.1:45999/callback";

async fn app_with(idp: &Idp) -> TestApp {
    let oidc = idp.config();
    let app = TestApp::spawn_with(move |c| c.oidc = Some(oidc)).await;
    // The provider signs with the real time.
    app.clock.set(Utc::now());
    app
}

async fn start(app: &TestApp) -> SsoStart {
    let a = app.send(app.req(Method::POST, "/v1/sso/start").json(&json!({ "redirect_uri": REDIRECT }))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    serde_json::from_value(a.body).unwrap()
}

/// The browser: follows the provider's redirects until it is sent back to the console's
/// redirect. Answers the code.
async fn browser(url: &str) -> String {
    match browse(url, Some(REDIRECT)).await {
        Landing::Redirected(to) => to.query_pairs().find(|(k, _)| k == "code").expect("a code").1.into_owned(),
        Landing::Page(text) => panic!("the provider never sent the browser back: {text}"),
    }
}

/// A whole sign-in up to the ID token, as `who`, for `client_id`.
async fn id_token(app: &TestApp, who: &str, client_id: &str) -> (SsoStart, SecretText) {
    let mut s = start(app).await;
    s.client_id = client_id.into();
    let pkce = Pkce::new();
    let code = browser(&authorization_url(&s, REDIRECT, &pkce, Some(who))).await;
    let token =
        exchange_code(&s, &SecretText::new(code), &pkce, REDIRECT).await.expect("the provider exchanges the code");
    (s, token)
}

async fn finish(app: &TestApp, state: &str, token: &str) -> Answer {
    app.send(app.req(Method::POST, "/v1/sso/finish").json(&json!({ "state": state, "id_token": token }))).await
}

fn refused(a: &Answer, words: &str) {
    TestApp::assert_problem(a, 401, "sso_failed");
    assert!(a.body["detail"].as_str().unwrap().contains(words), "expected “{words}”: {}", a.text);
}

#[tokio::test]
async fn a_staff_member_signs_in_through_the_provider_with_the_role_of_their_group() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let avail = app.send(app.req(Method::GET, "/v1/sso")).await;
    assert_eq!(avail.body, json!({"enabled": true, "required": false}));
    let (s, token) = id_token(&app, "ana", "desk-console").await;
    let a = finish(&app, &s.state, token.expose()).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["agent"]["email"], "agent@demo.test");
    assert_eq!(a.body["agent"]["role"], "agent");
    let me = app.get(a.body["token"].as_str().unwrap(), "/v1/me").await;
    assert_eq!(me.status, 200);
    // The lead's group gives the lead role; the address matches whatever its case.
    let (s, token) = id_token(&app, "leo", "desk-console").await;
    let a = finish(&app, &s.state, token.expose()).await;
    assert_eq!(a.body["agent"]["role"], "lead", "{}", a.text);
    let methods: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'sign_in' AND outcome = 'success'")
            .fetch_all(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(methods.iter().filter(|d| d.contains("\"method\":\"sso\"")).count(), 2);
}

#[tokio::test]
async fn a_token_for_another_application_is_refused() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let (s, token) = id_token(&app, "ana", "other-app").await;
    refused(&finish(&app, &s.state, token.expose()).await, "another application");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let (s, token) = id_token(&app, "ana", "desk-console").await;
    // The provider's ID tokens live 60 s; the attempt itself would still be open.
    app.clock.advance(chrono::Duration::minutes(3));
    refused(&finish(&app, &s.state, token.expose()).await, "expired");
}

#[tokio::test]
async fn a_token_with_a_bad_signature_is_refused() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let (s, token) = id_token(&app, "ana", "desk-console").await;
    let (head, sig) = token.expose().rsplit_once('.').unwrap();
    let mut flipped: Vec<char> = sig.chars().collect();
    flipped[10] = if flipped[10] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    refused(&finish(&app, &s.state, &format!("{head}.{flipped}")).await, "signature");
    // A token whose claims were edited (a lead's role, say) breaks the signature too.
    let (s, token) = id_token(&app, "ana", "desk-console").await;
    let parts: Vec<&str> = token.expose().split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["groups"] = json!(["desk-admins"]);
    let forged = format!("{}.{}.{}", parts[0], b64.encode(claims.to_string()), parts[2]);
    refused(&finish(&app, &s.state, &forged).await, "signature");
}

#[tokio::test]
async fn a_replayed_code_and_a_replayed_sign_in_are_refused() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let s = start(&app).await;
    let pkce = Pkce::new();
    let code = SecretText::new(browser(&authorization_url(&s, REDIRECT, &pkce, Some("ana"))).await);
    let token = exchange_code(&s, &code, &pkce, REDIRECT).await.unwrap();
    let again = exchange_code(&s, &code, &pkce, REDIRECT).await.unwrap_err();
    assert_eq!(again.code(), desk_api::ErrorCode::SsoFailed);
    assert!(again.to_string().contains("already used"), "{again}");
    assert_eq!(finish(&app, &s.state, token.expose()).await.status, 201);
    refused(&finish(&app, &s.state, token.expose()).await, "already completed");
}

#[tokio::test]
async fn an_unmapped_person_and_one_outside_the_desk_groups_are_refused() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let (s, token) = id_token(&app, "zed", "desk-console").await;
    refused(&finish(&app, &s.state, token.expose()).await, "no staff member of this desk matches");
    let (s, token) = id_token(&app, "nogroup", "desk-console").await;
    refused(&finish(&app, &s.state, token.expose()).await, "none of the desk's groups");
}

#[tokio::test]
async fn a_token_from_another_attempt_is_refused_by_its_nonce() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let (_, token) = id_token(&app, "ana", "desk-console").await;
    let other = start(&app).await;
    refused(&finish(&app, &other.state, token.expose()).await, "nonce");
}

#[tokio::test]
async fn only_a_loopback_redirect_may_start_a_sign_in() {
    let idp = Idp::start();
    let app = app_with(&idp).await;
    let a =
        app.send(app.req(Method::POST, "/v1/sso/start").json(&json!({ "redirect_uri": "https://evil.test/cb" }))).await;
    TestApp::assert_problem(&a, 422, "invalid_input");
}
