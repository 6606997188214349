//! The console's single sign-on end to end: a real service, a real OpenID provider
//! (`oidc-provider` run with Node on loopback), the console's loopback listener and PKCE code
//! exchange. The "system browser" follows the provider's redirects, as a browser would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

use desk_api::{ErrorCode, SsoSignInForm};
use desk_client::{Console, MemoryStore, TokenStore};
use desk_server::test_support::{spawn_service, TestService};

struct Idp {
    child: Child,
    issuer: String,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn idp() -> Idp {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/oidc/provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the provider");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let issuer = line.trim().strip_prefix("listening ").expect("the provider's address").to_string();
    Idp { child, issuer, _stdout: stdout }
}

/// A browser that signs `who` in at the provider and follows every redirect, the last one to the
/// console's loopback listener.
async fn browse(url: String, who: &'static str) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut url = reqwest::Url::parse(&format!("{url}&login_hint={who}")).unwrap();
    for _ in 0..12 {
        let cookie = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let res = http.get(url.clone()).header("Cookie", cookie).send().await.unwrap();
        for c in res.headers().get_all("set-cookie") {
            if let Some((k, v)) = c.to_str().unwrap().split(';').next().unwrap().split_once('=') {
                cookies.insert(k.to_string(), v.to_string());
            }
        }
        match res.headers().get("location") {
            Some(l) => url = url.join(l.to_str().unwrap()).unwrap(),
            None => {
                // The console's page: "You can close this tab".
                assert!(res.text().await.unwrap().contains("close this tab"));
                return;
            }
        }
    }
    panic!("too many redirects");
}

async fn service(idp: &Idp) -> TestService {
    spawn_service(|config| {
        config.oidc = Some(desk_server::config::OidcConfig {
            issuer: idp.issuer.clone(),
            client_id: "desk-console".into(),
            user_claim: "email".into(),
            groups_claim: "groups".into(),
            role_groups: Default::default(),
            scopes: "openid email groups".into(),
        })
    })
    .await
}

#[tokio::test]
async fn the_console_signs_in_through_the_browser_and_keeps_the_token_to_itself() {
    let idp = idp();
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
    let idp = idp();
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
