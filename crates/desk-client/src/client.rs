use std::time::Duration;

use desk_api::{
    AccountDetail, AccountSummary, ActionAccepted, ActivityEvent, AddressCheckRequest, AddressCheckResult, AuditEntry,
    AuditFilter, ExportFormat, Figures, Me, Page, Problem, ResetRequest, RevealRequest, RevealedAddress, SecretText,
    SessionCreated, SignInRequest, VerifyChunk,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ClientError;

/// Sends of one call at most (the first and two retries), and the pauses between them.
const ATTEMPTS: u32 = 3;
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

/// A typed client of the service's `/v1` API.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

/// Loopback may be plain HTTP; anything else must be HTTPS, since a session token crosses it.
/// The decision is made on the host as the URL parser reads it (an IP address or a name), never on
/// the text: `127.evil.example` and `127.0.0.1.nip.io` are names that anyone can point anywhere.
fn check_url(raw: &str) -> Result<String, ClientError> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|_| ClientError::InvalidServerUrl(format!("\"{raw}\" is not a URL like http://127.0.0.1:8787")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientError::InvalidServerUrl("the server URL cannot hold credentials".into()));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ClientError::InvalidServerUrl("use https:// for a service that is not on this machine".into()))
        }
        _ => return Err(ClientError::InvalidServerUrl("the server URL starts with http:// or https://".into())),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// An address in 127.0.0.0/8 or ::1 (an IPv4-mapped IPv6 address counts as its IPv4 address), or
/// the name `localhost` itself, which resolvers keep on this machine (RFC 6761).
fn is_loopback(url: &reqwest::Url) -> bool {
    // The parser has already turned every spelling of an IP address (`0x7f.1`, `2130706433`,
    // `127.0.0.1.`) into its canonical text, and a name never parses as an address.
    let Some(host) = url.host_str() else { return false };
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => host == "localhost",
    }
}

impl Client {
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::with_roots(base_url, crate::tls::extra_roots()?)
    }

    /// A client that trusts the OS's store plus `extra_roots` (the configured extra CA file's).
    pub fn with_roots(base_url: &str, extra_roots: Vec<reqwest::Certificate>) -> Result<Self, ClientError> {
        let base = check_url(base_url)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("recovery-desk/", env!("CARGO_PKG_VERSION")));
        // The OS's certificate store is trusted (reqwest's native roots), plus the company's own CA
        // when one is configured: a TLS-inspecting proxy or an internal CA then just works.
        for cert in extra_roots {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| ClientError::UnexpectedResponse(e.to_string()))?;
        Ok(Self { http, base })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub(crate) fn request(&self, method: Method, path: &str, token: Option<&SecretText>) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match token {
            Some(t) => rb.bearer_auth(t.expose()),
            None => rb,
        }
    }

    /// Sends, retrying when the connection failed before an answer came. A request that never
    /// reached the service (connection refused) is always sent again; one that may have reached it
    /// (the connection broke or timed out after it was sent) only when repeating it is harmless: a
    /// read, or an action with an Idempotency-Key, which the service does at most once per key.
    pub(crate) async fn send(&self, build: impl Fn() -> RequestBuilder) -> Result<Response, ClientError> {
        let mut reached = false;
        let mut last = None;
        for attempt in 1..=ATTEMPTS {
            let request = build().build().map_err(|e| ClientError::UnexpectedResponse(e.without_url().to_string()))?;
            let repeatable = request.method() == Method::GET || request.headers().contains_key("idempotency-key");
            match self.http.execute(request).await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_connect() => last = Some(e),
                Err(e) => {
                    reached = true;
                    tracing::debug!(error = ?e.without_url(), attempt, "connection lost before the answer");
                    if !repeatable {
                        return Err(ClientError::ConnectionLost { url: self.base.clone(), attempts: attempt });
                    }
                }
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(RETRY_PAUSES[attempt as usize - 1]).await;
            }
        }
        tracing::debug!(error = ?last.map(|e| e.without_url()), "service unreachable");
        Err(if reached {
            ClientError::ConnectionLost { url: self.base.clone(), attempts: ATTEMPTS }
        } else {
            ClientError::Unreachable { url: self.base.clone() }
        })
    }

    pub(crate) async fn decode<T: DeserializeOwned>(res: Response) -> Result<T, ClientError> {
        let status = res.status();
        if status.is_success() {
            return res.json::<T>().await.map_err(|e| ClientError::UnexpectedResponse(e.without_url().to_string()));
        }
        Err(Self::problem(status, res).await)
    }

    async fn problem(status: StatusCode, res: Response) -> ClientError {
        match res.json::<Problem>().await {
            Ok(p) => ClientError::Problem(p),
            Err(_) => ClientError::Server { status: status.as_u16() },
        }
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: &SecretText,
        totp: &SecretText,
    ) -> Result<SessionCreated, ClientError> {
        let body = SignInRequest { email: email.to_string(), password: password.clone(), totp: totp.clone() };
        let res = self.send(|| self.request(Method::POST, "/v1/sessions", None).json(&body)).await?;
        Self::decode(res).await
    }

    pub async fn sign_out(&self, token: &SecretText) -> Result<(), ClientError> {
        let res = self.send(|| self.request(Method::DELETE, "/v1/sessions/current", Some(token))).await?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(Self::problem(res.status(), res).await)
        }
    }

    /// `GET /v1/version`, which needs no session.
    pub async fn version(&self) -> Result<desk_api::ServiceVersion, ClientError> {
        let res = self.send(|| self.request(Method::GET, "/v1/version", None)).await?;
        Self::decode(res).await
    }

    pub async fn me(&self, token: &SecretText) -> Result<Me, ClientError> {
        let res = self.send(|| self.request(Method::GET, "/v1/me", Some(token))).await?;
        Self::decode(res).await
    }

    pub async fn search(
        &self,
        token: &SecretText,
        q: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<AccountSummary>, ClientError> {
        let mut query: Vec<(&str, String)> = vec![("q", q.to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        if let Some(l) = limit {
            query.push(("limit", l.to_string()));
        }
        let res = self.send(|| self.request(Method::GET, "/v1/accounts", Some(token)).query(&query)).await?;
        Self::decode(res).await
    }

    pub async fn account(&self, token: &SecretText, id: i64) -> Result<AccountDetail, ClientError> {
        let res = self.send(|| self.request(Method::GET, &format!("/v1/accounts/{id}"), Some(token))).await?;
        Self::decode(res).await
    }

    pub async fn password_reset(
        &self,
        token: &SecretText,
        id: i64,
        req: &ResetRequest,
        idempotency_key: &str,
    ) -> Result<ActionAccepted, ClientError> {
        self.recovery_action(token, id, "password-reset", req, idempotency_key).await
    }

    pub async fn answer_reset(
        &self,
        token: &SecretText,
        id: i64,
        req: &ResetRequest,
        idempotency_key: &str,
    ) -> Result<ActionAccepted, ClientError> {
        self.recovery_action(token, id, "security-answer-reset", req, idempotency_key).await
    }

    pub async fn activity(
        &self,
        token: &SecretText,
        id: i64,
        cursor: Option<&str>,
    ) -> Result<Page<ActivityEvent>, ClientError> {
        let query: Vec<(&str, &str)> = cursor.map(|c| vec![("cursor", c)]).unwrap_or_default();
        let res = self
            .send(|| self.request(Method::GET, &format!("/v1/accounts/{id}/activity"), Some(token)).query(&query))
            .await?;
        Self::decode(res).await
    }

    pub async fn check_address(
        &self,
        token: &SecretText,
        id: i64,
        address: &str,
    ) -> Result<AddressCheckResult, ClientError> {
        let body = AddressCheckRequest { address: address.to_string() };
        let res = self
            .send(|| self.request(Method::POST, &format!("/v1/accounts/{id}/address-check"), Some(token)).json(&body))
            .await?;
        Self::decode(res).await
    }

    pub async fn reveal_address(
        &self,
        token: &SecretText,
        id: i64,
        email_id: i64,
        req: &RevealRequest,
    ) -> Result<RevealedAddress, ClientError> {
        let res = self
            .send(|| {
                self.request(Method::POST, &format!("/v1/accounts/{id}/emails/{email_id}/reveal"), Some(token))
                    .json(req)
            })
            .await?;
        Self::decode(res).await
    }

    async fn recovery_action(
        &self,
        token: &SecretText,
        id: i64,
        action: &str,
        req: &ResetRequest,
        idempotency_key: &str,
    ) -> Result<ActionAccepted, ClientError> {
        let res = self
            .send(|| {
                self.request(Method::POST, &format!("/v1/accounts/{id}/{action}"), Some(token))
                    .header("Idempotency-Key", idempotency_key)
                    .json(req)
            })
            .await?;
        Self::decode(res).await
    }
}

/// The filter as query parameters (the service parses them at its edge).
fn filter_query(f: &AuditFilter) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(v) = f.agent {
        q.push(("agent", v.to_string()));
    }
    if let Some(v) = &f.action {
        q.push(("action", v.clone()));
    }
    if let Some(v) = f.account {
        q.push(("account", v.to_string()));
    }
    if let Some(v) = f.request {
        q.push(("request", v.to_string()));
    }
    if let Some(v) = &f.outcome {
        q.push(("outcome", v.clone()));
    }
    if let Some(v) = f.from {
        q.push(("from", v.to_rfc3339()));
    }
    if let Some(v) = f.to {
        q.push(("to", v.to_rfc3339()));
    }
    q
}

impl Client {
    pub async fn audit_page(
        &self,
        token: &SecretText,
        filter: &AuditFilter,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEntry>, ClientError> {
        let mut query = filter_query(filter);
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let res = self.send(|| self.request(Method::GET, "/v1/audit", Some(token)).query(&query)).await?;
        Self::decode(res).await
    }

    pub async fn audit_verify_chunk(
        &self,
        token: &SecretText,
        after: i64,
        limit: i64,
    ) -> Result<VerifyChunk, ClientError> {
        let query = [("after", after.to_string()), ("limit", limit.to_string())];
        let res = self.send(|| self.request(Method::GET, "/v1/audit/verify", Some(token)).query(&query)).await?;
        Self::decode(res).await
    }

    pub async fn audit_figures(
        &self,
        token: &SecretText,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Figures, ClientError> {
        let query = [("from", from.to_rfc3339()), ("to", to.to_rfc3339())];
        let res = self.send(|| self.request(Method::GET, "/v1/audit/figures", Some(token)).query(&query)).await?;
        Self::decode(res).await
    }

    /// Starts an export; the caller reads the body chunk by chunk.
    pub async fn audit_export(
        &self,
        token: &SecretText,
        format: ExportFormat,
        filter: &AuditFilter,
    ) -> Result<Response, ClientError> {
        let mut query = filter_query(filter);
        query.push((
            "format",
            match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Ndjson => "ndjson",
            }
            .to_string(),
        ));
        // An export is long: no overall timeout, only the connect timeout.
        let res = self
            .send(|| {
                self.request(Method::GET, "/v1/audit/export", Some(token))
                    .query(&query)
                    .timeout(Duration::from_secs(24 * 3600))
            })
            .await?;
        if res.status().is_success() {
            Ok(res)
        } else {
            Err(Self::problem(res.status(), res).await)
        }
    }
}

/// No body.
pub(crate) const NONE: Option<&()> = None;

impl Client {
    /// One JSON call; `key` is the Idempotency-Key of an action (a retry then does nothing twice).
    pub async fn call<T: DeserializeOwned, B: Serialize + Sync + ?Sized>(
        &self,
        token: &SecretText,
        method: Method,
        path: &str,
        body: Option<&B>,
        key: Option<&str>,
    ) -> Result<T, ClientError> {
        let res = self
            .send(|| {
                let mut rb = self.request(method.clone(), path, Some(token));
                if let Some(k) = key {
                    rb = rb.header("Idempotency-Key", k);
                }
                match body {
                    Some(b) => rb.json(b),
                    None => rb,
                }
            })
            .await?;
        Self::decode(res).await
    }

    pub async fn queue_counts(&self, token: &SecretText) -> Result<Vec<desk_api::StateCount>, ClientError> {
        self.call(token, Method::GET, "/v1/requests/counts", NONE, None).await
    }

    pub async fn queue_list(
        &self,
        token: &SecretText,
        f: &desk_api::QueueFilter,
        cursor: Option<&str>,
    ) -> Result<Page<desk_api::QueueItem>, ClientError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(s) = f.state {
            q.push(("state", s.as_str().into()));
        }
        if let Some(a) = &f.assignee {
            q.push(("assignee", a.clone()));
        }
        if let Some(r) = f.risk {
            q.push(("risk", r.as_str().into()));
        }
        if let Some(h) = f.min_age_hours {
            q.push(("min_age_hours", h.to_string()));
        }
        if let Some(c) = cursor {
            q.push(("cursor", c.into()));
        }
        let res = self.send(|| self.request(Method::GET, "/v1/requests", Some(token)).query(&q)).await?;
        Self::decode(res).await
    }

    /// A decision on a request. `idempotency_key` names the agent's one action: the same key on a
    /// retry decides nothing twice.
    pub async fn decide(
        &self,
        token: &SecretText,
        id: i64,
        decision: &desk_api::DecisionRequest,
        idempotency_key: &str,
    ) -> Result<desk_api::RequestDetail, ClientError> {
        let res = self
            .send(|| {
                self.request(Method::POST, &format!("/v1/requests/{id}/decision"), Some(token))
                    .header("Idempotency-Key", idempotency_key)
                    .json(decision)
            })
            .await?;
        Self::decode(res).await
    }

    /// A lead's second approval, with the same promise as `decide`.
    pub async fn second_approval(
        &self,
        token: &SecretText,
        id: i64,
        note: &str,
        idempotency_key: &str,
    ) -> Result<desk_api::RequestDetail, ClientError> {
        let body = desk_api::NoteRequest { text: note.to_string() };
        let res = self
            .send(|| {
                self.request(Method::POST, &format!("/v1/requests/{id}/second-approval"), Some(token))
                    .header("Idempotency-Key", idempotency_key)
                    .json(&body)
            })
            .await?;
        Self::decode(res).await
    }

    pub async fn request_release(&self, token: &SecretText, id: i64) -> Result<(), ClientError> {
        let res = self.send(|| self.request(Method::POST, &format!("/v1/requests/{id}/release"), Some(token))).await?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(Self::problem(res.status(), res).await)
        }
    }

    pub async fn request_evidence(
        &self,
        token: &SecretText,
        id: i64,
        file_id: i64,
    ) -> Result<(String, Vec<u8>), ClientError> {
        let res = self
            .send(|| self.request(Method::GET, &format!("/v1/requests/{id}/evidence/{file_id}"), Some(token)))
            .await?;
        if !res.status().is_success() {
            return Err(Self::problem(res.status(), res).await);
        }
        let ct = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_string();
        let bytes = res.bytes().await.map_err(|e| ClientError::UnexpectedResponse(e.without_url().to_string()))?;
        Ok((ct, bytes.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(check_url("http://127.0.0.1:8787").is_ok());
        assert!(check_url("http://localhost:8787/").is_ok());
        assert!(check_url("https://desk.example.com").is_ok());
        assert!(check_url("http://desk.example.com").is_err());
        assert!(check_url("ftp://127.0.0.1").is_err());
        assert!(check_url("not a url").is_err());
        assert!(check_url("https://user:pw@desk.example.com").is_err());
        assert_eq!(check_url("http://127.0.0.1:8787/").unwrap(), "http://127.0.0.1:8787");
    }

    #[test]
    fn names_that_only_look_like_loopback_need_https() {
        for url in [
            "http://127.evil.example",
            "http://127.0.0.1.nip.io:8787",
            "http://127.0.0.1@evil.example",
            "http://localhost@evil.example",
            "http://localhost.evil.example",
            "http://LOCALHOST.evil.example",
            "http://127.0.0.1%2eevil.example",
            "http://evil.example#@127.0.0.1",
            "http://evil.example/127.0.0.1",
            "http://0.0.0.0:8787",
            "http://[::]:8787",
            "http://[::ffff:10.0.0.1]:8787",
            "http://10.127.0.1",
        ] {
            assert!(check_url(url).is_err(), "{url} was accepted as loopback");
        }
    }

    #[test]
    fn every_spelling_of_a_loopback_address_is_loopback() {
        // Each of these is parsed to an address in 127.0.0.0/8 or ::1, so plain HTTP stays on the machine.
        for (url, canonical) in [
            ("HTTP://LOCALHOST:8787", "http://localhost:8787"),
            ("http://127.0.0.1.:8787", "http://127.0.0.1:8787"),
            ("http://0x7f.1:8787", "http://127.0.0.1:8787"),
            ("http://127.1:8787", "http://127.0.0.1:8787"),
            ("http://2130706433:8787", "http://127.0.0.1:8787"),
            ("http://0177.0.0.1:8787", "http://127.0.0.1:8787"),
            ("http://127.200.3.4:8787", "http://127.200.3.4:8787"),
            ("http://[::1]:8787", "http://[::1]:8787"),
            ("http://[::ffff:127.0.0.1]:8787", "http://[::ffff:7f00:1]:8787"),
            ("http://[0:0:0:0:0:0:0:1]:8787/", "http://[::1]:8787"),
        ] {
            assert_eq!(check_url(url).unwrap(), canonical, "{url}");
        }
    }
}
