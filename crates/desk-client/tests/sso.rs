//! The console's single sign-on end to end: a real service, a real OpenID provider
//! (`oidc-provider` run with Node on loopback), the console's loopback listener and PKCE code
//! exchange. The "system browser" follows the provider's redirects, as a browser would.

use std::sync::Arc;

use desk_api::{ErrorCode, SsoSignInForm};
use desk_client::{Console, MemoryStore, TokenStore};
use desk_server::test_support::oidc::{self, Idp, Landing};
use desk_server::test_support::{spawn_service, TestService};

/// A browser that signs `who` in at the provider and follows every redirect, the last one to the
/// console's loopback listener, whose page says the tab can be closed.
async fn browse(url: String, who: &'static str) {
    match oidc::browse(&format!("{url}&login_hint={who}"), None).await {
        Landing::Page(text) => assert!(text.contains("close this tab"), "{text}"),
        Landing::Redirected(to) => panic!("sent on to {to}"),
    }
}

async fn service(idp: &Idp) -> TestService {
    spawn_service(|config| config.oidc = Some(idp.config())).await
}

#[tokio::test]
async fn the_console_signs_in_through_the_browser_and_keeps_the_token_to_itself() {
    let idp = Idp::start();
    let TestService { running, dir: _dir, .. } = service(&idp).await;
    let store = Arc::new(MemoryStore::default());
    let console = Console::new(store.clone(), running.url());
    assert!(console.sso_availability(&running.url()).await.unwrap().enabled);
    let form = SsoSignInForm { server_url: running.url(), stay_signed_in: true };
    let status = console
        .sign_in_sso(form, |url| {
            tokio::spawn(browse(url.to_string(), "leo"));
            Ok(())
        })
        .await
        .unwrap();
    assert!(status.signed_in);
    let agent = status.agent.clone().unwrap();
    assert_eq!((agent.email.as_str(), agent.role), ("lead@demo.test", desk_api::Role::Lead));
    assert!(!serde_json::to_string(&status).unwrap().contains("token"), "the status carries no token");
    assert!(store.load().unwrap().is_some(), "stay signed in keeps the session in the keychain");
    // The session works for the lead's calls.
    assert!(console.audit_figures(chrono::Utc::now() - chrono::Duration::hours(1), chrono::Utc::now()).await.is_ok());
    running.stop().await;
}

#[tokio::test]
async fn a_person_the_desk_does_not_know_is_told_so() {
    let idp = Idp::start();
    let TestService { running, dir: _dir, .. } = service(&idp).await;
    let console = Console::new(Arc::new(MemoryStore::default()), running.url());
    let form = SsoSignInForm { server_url: running.url(), stay_signed_in: false };
    let err = console
        .sign_in_sso(form, |url| {
            tokio::spawn(browse(url.to_string(), "zed"));
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SsoFailed);
    assert!(err.to_string().contains("ask an admin to invite you"), "{err}");
    assert!(!console.status().await.signed_in);
    running.stop().await;
}
