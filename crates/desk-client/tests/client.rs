//! The client and the console against a real service on a real database over real HTTP.

use std::sync::Arc;

use desk_api::{ErrorCode, ReasonCode, ResetRequest, SecretText, SignInForm};
use desk_client::{Client, ClientError, Console, MemoryStore, StoredSession, TokenStore};
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use desk_server::test_support::{agent_sign_in, lead_sign_in, spawn_service, totp_at, totp_now, TestService};

async fn service() -> TestService {
    spawn_service(|config| config.demo_accounts = 200).await
}

fn code_now() -> SecretText {
    SecretText::new(totp_now(AGENT_TOTP))
}

fn reset() -> ResetRequest {
    ResetRequest { reason: ReasonCode::ForgotPassword, ticket: "SUP-77".into(), note: None }
}

#[tokio::test]
async fn client_signs_in_searches_and_sends_a_reset() {
    let s = service().await;
    let c = Client::new(&s.running.url()).unwrap();
    let session = c.sign_in(AGENT_EMAIL, &SecretText::new(AGENT_PASSWORD), &code_now()).await.unwrap();
    assert_eq!(session.agent.email, AGENT_EMAIL);
    let page = c.search(&session.token, "maria.lopez", None, Some(5)).await.unwrap();
    assert_eq!(page.items[0].username, "maria.lopez");
    let detail = c.account(&session.token, page.items[0].id).await.unwrap();
    assert_eq!(detail.emails.len(), 2);
    let sent = c.password_reset(&session.token, 1, &reset(), "client-test-1").await.unwrap();
    assert!(sent.action_id > 0);
}

#[tokio::test]
async fn wrong_credentials_are_an_invalid_credentials_problem() {
    let s = service().await;
    let c = Client::new(&s.running.url()).unwrap();
    let err = c.sign_in(AGENT_EMAIL, &SecretText::new("nope"), &code_now()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidCredentials);
    assert!(!err.ends_session());
}

#[tokio::test]
async fn cooldown_carries_the_retry_time() {
    let s = service().await;
    let c = Client::new(&s.running.url()).unwrap();
    let t = c.sign_in(AGENT_EMAIL, &SecretText::new(AGENT_PASSWORD), &code_now()).await.unwrap().token;
    c.password_reset(&t, 2, &reset(), "a").await.unwrap();
    let err = c.password_reset(&t, 2, &reset(), "b").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cooldown);
    let retry = err.retry_after().unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    assert_eq!(err.to_command_error().retry_after, Some(retry));
}

#[tokio::test]
async fn invalid_input_names_the_field() {
    let s = service().await;
    let c = Client::new(&s.running.url()).unwrap();
    let t = c.sign_in(AGENT_EMAIL, &SecretText::new(AGENT_PASSWORD), &code_now()).await.unwrap().token;
    let bad = ResetRequest { ticket: "".into(), ..reset() };
    let err = c.password_reset(&t, 1, &bad, "x").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(err.to_command_error().field.as_deref(), Some("ticket"));
}

#[tokio::test]
async fn a_service_that_is_down_is_reported_as_unreachable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = Client::new(&format!("http://127.0.0.1:{port}")).unwrap();
    let err = c.sign_in(AGENT_EMAIL, &SecretText::new(AGENT_PASSWORD), &code_now()).await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::ServiceUnreachable);
}

#[tokio::test]
async fn a_revoked_token_ends_the_session() {
    let s = service().await;
    let c = Client::new(&s.running.url()).unwrap();
    let t = c.sign_in(AGENT_EMAIL, &SecretText::new(AGENT_PASSWORD), &code_now()).await.unwrap().token;
    c.sign_out(&t).await.unwrap();
    let err = c.me(&t).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::SessionExpired);
    assert!(err.ends_session());
}

#[tokio::test]
async fn console_keeps_the_session_only_when_asked() {
    let s = service().await;
    let store = Arc::new(MemoryStore::default());
    let console = Console::new(store.clone(), "http://127.0.0.1:9");
    let status = console.sign_in(agent_sign_in(&s.running.url(), false)).await.unwrap();
    assert!(status.signed_in);
    assert!(store.load().unwrap().is_none(), "nothing saved without 'stay signed in'");

    let console = Console::new(store.clone(), "http://127.0.0.1:9");
    // A TOTP code works once: the second sign-in uses the next step's code.
    let next = SecretText::new(totp_at(AGENT_TOTP, chrono::Utc::now().timestamp() + 30));
    console.sign_in(SignInForm { totp: next, ..agent_sign_in(&s.running.url(), true) }).await.unwrap();
    let saved = store.load().unwrap().expect("saved");
    assert_eq!(saved.server_url, s.running.url());

    // A new console (the app restarted) resumes from the store.
    let restarted = Console::new(store.clone(), "http://127.0.0.1:9").with_idle_lock_secs(300);
    let status = restarted.status().await;
    assert_eq!(status.idle_lock_secs, 300);
    assert!(status.signed_in, "{status:?}");
    assert_eq!(status.agent.unwrap().email, AGENT_EMAIL);
    assert!(restarted.search("jsmith", None).await.is_ok());

    let status = restarted.sign_out().await;
    assert!(!status.signed_in);
    assert!(store.load().unwrap().is_none(), "sign-out deletes the saved session");
    let err = restarted.search("jsmith", None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotSignedIn);
}

#[tokio::test]
async fn a_stored_session_that_was_revoked_sends_the_agent_back_with_a_notice() {
    let s = service().await;
    let c = Client::new(&s.running.url()).unwrap();
    let token = c.sign_in(AGENT_EMAIL, &SecretText::new(AGENT_PASSWORD), &code_now()).await.unwrap().token;
    c.sign_out(&token).await.unwrap();
    let store = Arc::new(MemoryStore::default());
    store.save(&StoredSession { server_url: s.running.url(), token }).unwrap();

    let console = Console::new(store.clone(), "http://127.0.0.1:9");
    let status = console.status().await;
    assert!(!status.signed_in);
    assert!(status.notice.unwrap().contains("expired or was revoked"));
    assert_eq!(status.server_url.as_deref(), Some(s.running.url().as_str()));
    assert!(store.load().unwrap().is_none(), "a dead session is removed from the store");
}

#[tokio::test]
async fn a_session_revoked_while_in_use_returns_the_console_to_sign_in() {
    let s = service().await;
    let console = Console::new(Arc::new(MemoryStore::default()), "http://127.0.0.1:9");
    console.sign_in(agent_sign_in(&s.running.url(), false)).await.unwrap();
    sqlx::query("UPDATE agent_sessions SET revoked_ms = 1").execute(s.running.state.db.pool()).await.unwrap();
    let err = console.account(1).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::SessionExpired);
    let status = console.status().await;
    assert!(!status.signed_in);
    assert!(status.notice.is_some());
}

#[tokio::test]
async fn lead_verifies_with_progress_and_exports_to_a_file() {
    let s = service().await;
    let agent = Console::new(Arc::new(MemoryStore::default()), "http://127.0.0.1:9");
    agent.sign_in(agent_sign_in(&s.running.url(), false)).await.unwrap();
    agent.password_reset(1, reset(), "e1").await.unwrap();
    // Agents are refused by the service, not only hidden by the UI.
    let err = agent.audit_page(Default::default(), None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);

    let lead = Console::new(Arc::new(MemoryStore::default()), "http://127.0.0.1:9");
    lead.sign_in(lead_sign_in(&s.running.url())).await.unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let report = lead.audit_verify(|p| seen.lock().unwrap().push(p)).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.entries, 3, "two sign-ins and the reset");
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.last().unwrap().done, 3);
    assert_eq!(seen.last().unwrap().total, Some(3));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.csv");
    let filter = desk_api::AuditFilter { action: Some("password_reset".into()), ..Default::default() };
    let result = lead.audit_export(desk_api::ExportFormat::Csv, filter, path.clone(), |_| {}).await.unwrap();
    assert_eq!(result.entries, 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("password_reset,account,1,forgot_password,SUP-77"));
    assert!(!dir.path().join("audit.partial").exists());
    assert_eq!(result.bytes, text.len() as u64);
}

#[tokio::test]
async fn about_shows_both_versions_and_never_the_session_token() {
    let s = service().await;
    let store = Arc::new(MemoryStore::default());
    let console = Console::new(store.clone(), s.running.url());
    console.sign_in(agent_sign_in(&s.running.url(), true)).await.unwrap();
    let token = store.load().unwrap().unwrap().token;
    let facts = desk_client::AppFacts {
        version: "9.9.9".into(),
        updates: desk_client::settings::Switch { on: false, why: "RECOVERY_DESK_UPDATES".into(), managed: true },
        ..Default::default()
    };
    let about = console.about(&facts).await;
    assert_eq!(about.app_version, "9.9.9");
    assert_eq!(about.service.as_ref().map(|v| v.version.as_str()), Some(env!("CARGO_PKG_VERSION")));
    assert!(about.diagnostics.contains("Recovery Desk 9.9.9"), "{}", about.diagnostics);
    assert!(about.diagnostics.contains("Setting updates: off (RECOVERY_DESK_UPDATES)"), "{}", about.diagnostics);
    assert!(!about.diagnostics.contains(token.expose()), "the diagnostics hold the session token");
}

#[tokio::test]
async fn about_says_why_when_the_service_cannot_be_asked() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let console = Console::new(Arc::new(MemoryStore::default()), format!("http://127.0.0.1:{closed}"));
    let about = console.about(&desk_client::AppFacts::default()).await;
    assert!(about.service.is_none());
    let why = about.service_error.unwrap_or_default();
    assert!(why.contains("cannot reach the service"), "{why}");
    assert!(about.diagnostics.contains(&why), "{}", about.diagnostics);
}
