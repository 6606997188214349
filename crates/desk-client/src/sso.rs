//! The console's side of single sign-on (OpenID Connect for native apps, RFC 8252): a PKCE pair,
//! a one-shot listener on a loopback port for the browser's redirect, and the code exchange at
//! the provider as a public client. The verifier and the ID token stay in Rust; the service
//! validates the token and answers the session (see `desk_api::SsoStart`).

use std::time::Duration;

use base64::Engine;
use desk_api::{SecretText, SsoStart};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::ClientError;

/// How long the console waits for the person to finish in the browser.
pub const BROWSER_WAIT: Duration = Duration::from_secs(300);

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE verifier (256 random bits) and its S256 challenge.
pub struct Pkce {
    pub verifier: SecretText,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let verifier = b64(&bytes);
        let challenge = b64(&Sha256::digest(verifier.as_bytes()));
        Self { verifier: SecretText::new(verifier), challenge }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The provider's authorization URL for this attempt. `login_hint` pre-fills who signs in.
pub fn authorization_url(start: &SsoStart, redirect_uri: &str, pkce: &Pkce, login_hint: Option<&str>) -> String {
    let mut url = reqwest::Url::parse(&start.authorization_endpoint).expect("the service sent a URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &start.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &start.scopes)
            .append_pair("state", &start.state)
            .append_pair("nonce", &start.nonce)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(h) = login_hint {
            q.append_pair("login_hint", h);
        }
    }
    url.to_string()
}

/// A listener on 127.0.0.1 with a port of the system's choosing, for one redirect.
pub struct Loopback {
    listener: TcpListener,
    pub redirect_uri: String,
}

impl Loopback {
    pub async fn bind() -> Result<Self, ClientError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| ClientError::UnexpectedResponse(format!("cannot listen on loopback for the sign-in: {e}")))?;
        let port = listener.local_addr().map_err(|e| ClientError::UnexpectedResponse(e.to_string()))?.port();
        Ok(Self { listener, redirect_uri: format!("http://127.0.0.1:{port}/callback") })
    }

    /// Waits for the browser's redirect and answers it with a page saying to go back to the
    /// console. Answers the code, once the state matches this attempt's.
    pub async fn code(self, state: &str) -> Result<SecretText, ClientError> {
        let wait = async {
            loop {
                let (mut stream, _) =
                    self.listener.accept().await.map_err(|e| ClientError::UnexpectedResponse(e.to_string()))?;
                let mut buf = vec![0u8; 8192];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let Some(query) = target.strip_prefix("/callback?") else {
                    let _ = stream
                        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .await;
                    continue;
                };
                let params: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{query}"))
                    .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
                    .unwrap_or_default();
                let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                let (title, result) = match (get("state"), get("code"), get("error")) {
                    (Some(s), Some(code), _) if s == state => ("Signed in", Ok(SecretText::new(code))),
                    (_, _, Some(err)) => (
                        "Sign-in did not finish",
                        Err(sso_error(format!("the identity provider refused the sign-in ({err})"))),
                    ),
                    _ => (
                        "Sign-in did not finish",
                        Err(sso_error("the browser came back from another sign-in; start again")),
                    ),
                };
                let page = format!(
                    "<!doctype html><meta charset=\"utf-8\"><title>{title}</title><p>{title}. You can close this tab and return to Recovery Desk.</p>"
                );
                let _ = stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
                            page.len()
                        )
                        .as_bytes(),
                    )
                    .await;
                return result;
            }
        };
        tokio::time::timeout(BROWSER_WAIT, wait)
            .await
            .map_err(|_| sso_error("the sign-in in the browser was not finished in 5 minutes; start again"))?
    }
}

fn sso_error(message: impl Into<String>) -> ClientError {
    ClientError::Problem(desk_api::Problem {
        type_uri: "urn:recovery-desk:problem:sso_failed".into(),
        title: "Sign-in refused".into(),
        status: 401,
        detail: message.into(),
        code: desk_api::ErrorCode::SsoFailed,
        field: None,
        retry_after: None,
    })
}

/// Exchanges the code at the provider's token endpoint (public client + PKCE) for the ID token.
pub async fn exchange_code(
    start: &SsoStart,
    code: &SecretText,
    pkce: &Pkce,
    redirect_uri: &str,
) -> Result<SecretText, ClientError> {
    #[derive(serde::Deserialize)]
    struct Tokens {
        id_token: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Refusal {
        error: String,
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| ClientError::UnexpectedResponse(e.to_string()))?;
    let res = http
        .post(&start.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", redirect_uri),
            ("client_id", &start.client_id),
            ("code_verifier", pkce.verifier.expose()),
        ])
        .send()
        .await
        .map_err(|_| sso_error("the identity provider cannot be reached"))?;
    if !res.status().is_success() {
        let err = res.json::<Refusal>().await.map(|r| r.error).unwrap_or_default();
        return Err(sso_error(if err == "invalid_grant" {
            "the sign-in code was already used or has expired (invalid_grant); start the sign-in again".to_string()
        } else {
            format!("the identity provider refused the code ({err})")
        }));
    }
    let tokens: Tokens = res.json().await.map_err(|e| ClientError::UnexpectedResponse(e.without_url().to_string()))?;
    tokens.id_token.map(SecretText::new).ok_or_else(|| sso_error("the identity provider sent no ID token"))
}

impl crate::Client {
    pub async fn sso_availability(&self) -> Result<desk_api::SsoAvailability, ClientError> {
        let res = self.send(|| self.request(reqwest::Method::GET, "/v1/sso", None)).await?;
        Self::decode(res).await
    }

    pub async fn sso_start(&self, redirect_uri: &str) -> Result<desk_api::SsoStart, ClientError> {
        let body = desk_api::SsoStartRequest { redirect_uri: redirect_uri.to_string() };
        let res = self.send(|| self.request(reqwest::Method::POST, "/v1/sso/start", None).json(&body)).await?;
        Self::decode(res).await
    }

    pub async fn sso_finish(
        &self,
        state: &str,
        id_token: &SecretText,
    ) -> Result<desk_api::SessionCreated, ClientError> {
        let body = desk_api::SsoFinishRequest { state: state.to_string(), id_token: id_token.clone() };
        let res = self.send(|| self.request(reqwest::Method::POST, "/v1/sso/finish", None).json(&body)).await?;
        Self::decode(res).await
    }
}
