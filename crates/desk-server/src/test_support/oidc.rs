//! A real OpenID provider for the single-sign-on tests (`oidc-provider`, run with Node on
//! loopback from `tests/oidc/provider.mjs`), and a browser that walks its redirects.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use super::Listening;
use crate::config::OidcConfig;

/// The provider; it stops when dropped.
pub struct Idp {
    pub issuer: String,
    _process: Listening,
}

impl Idp {
    pub fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/oidc/provider.mjs");
        let mut node = Command::new("node");
        node.arg(script).stdin(Stdio::piped()).stderr(Stdio::null());
        let process = Listening::start(node, "node (scripts/install-deps.sh installs it and the provider)");
        let issuer =
            process.first_line.strip_prefix("listening ").expect("the provider says where it listens").to_string();
        Idp { issuer, _process: process }
    }

    /// The service's settings for this provider: the console's client, roles from groups.
    pub fn config(&self) -> OidcConfig {
        OidcConfig {
            issuer: self.issuer.clone(),
            client_id: "desk-console".into(),
            user_claim: "email".into(),
            groups_claim: "groups".into(),
            role_groups: Default::default(),
            scopes: "openid email groups".into(),
        }
    }
}

/// Where the browser's walk ended.
pub enum Landing {
    /// It was sent to an address under the one it was told to stop at (nothing listens there).
    Redirected(reqwest::Url),
    /// A page answered without sending it on; its text.
    Page(String),
}

/// A browser: follows the redirects from `url`, carrying the cookies each sets, until one goes
/// under `stop_at` or a page answers without one.
pub async fn browse(url: &str, stop_at: Option<&str>) -> Landing {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut url = reqwest::Url::parse(url).expect("a URL");
    for _ in 0..12 {
        let cookie = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let res = http.get(url.clone()).header("Cookie", cookie).send().await.expect("the page answers");
        for c in res.headers().get_all("set-cookie") {
            let first = c.to_str().unwrap_or("").split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                cookies.insert(k.to_string(), v.to_string());
            }
        }
        let Some(location) = res.headers().get("location") else {
            return Landing::Page(res.text().await.unwrap_or_default());
        };
        let next = url.join(location.to_str().expect("a text location")).expect("a URL");
        if stop_at.is_some_and(|stop| next.as_str().starts_with(stop)) {
            return Landing::Redirected(next);
        }
        url = next;
    }
    panic!("the browser was sent on more than 12 times");
}
