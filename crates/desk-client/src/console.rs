//! The agent's session as the console holds it: the token stays here, in Rust, and in the OS
//! keychain when "stay signed in" was chosen. What the webview gets is a `SessionStatus`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use desk_api::{
    AccountDetail, AccountSummary, ActionAccepted, ActivityEvent, AddressCheckResult, Agent, AuditEntry, AuditFilter,
    ExportFormat, ExportResult, Figures, Page, Progress, ResetRequest, RevealRequest, RevealedAddress, SecretText,
    SessionStatus, SignInForm, VerifyReport,
};
use tokio::sync::Mutex;

use crate::client::NONE;
use crate::{Client, ClientError, StoredSession, TokenStore};

pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8787";

struct Active {
    client: Client,
    token: SecretText,
    agent: Agent,
    expires_at: DateTime<Utc>,
    /// The session's absolute end, which no activity moves.
    ends_at: DateTime<Utc>,
    ticket_pattern: Option<String>,
}

#[derive(Default)]
struct Inner {
    active: Option<Active>,
    /// Whether the keychain was already consulted since the app started.
    restored: bool,
    last_server_url: Option<String>,
    notice: Option<String>,
}

pub struct Console {
    inner: Mutex<Inner>,
    store: Arc<dyn TokenStore>,
    default_server_url: String,
    idle_lock_secs: u64,
}

/// Fifteen minutes without input locks the console unless configured otherwise.
pub const DEFAULT_IDLE_LOCK_SECS: u64 = 15 * 60;

const EXPIRED_NOTICE: &str = "Your saved session has expired or was revoked. Sign in again.";

impl Console {
    pub fn new(store: Arc<dyn TokenStore>, default_server_url: impl Into<String>) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            store,
            default_server_url: default_server_url.into(),
            idle_lock_secs: DEFAULT_IDLE_LOCK_SECS,
        }
    }

    /// How long the console may sit without input before it signs the agent out (0: never).
    pub fn with_idle_lock_secs(mut self, secs: u64) -> Self {
        self.idle_lock_secs = secs;
        self
    }

    fn status_of(&self, inner: &Inner) -> SessionStatus {
        match &inner.active {
            Some(a) => SessionStatus {
                signed_in: true,
                agent: Some(a.agent.clone()),
                server_url: Some(a.client.base_url().to_string()),
                expires_at: Some(a.expires_at),
                ends_at: Some(a.ends_at),
                ticket_pattern: a.ticket_pattern.clone(),
                notice: None,
                idle_lock_secs: self.idle_lock_secs,
            },
            None => SessionStatus {
                signed_in: false,
                agent: None,
                server_url: Some(inner.last_server_url.clone().unwrap_or_else(|| self.default_server_url.clone())),
                expires_at: None,
                ends_at: None,
                ticket_pattern: None,
                notice: inner.notice.clone(),
                idle_lock_secs: self.idle_lock_secs,
            },
        }
    }

    /// The service the console talks to (or would, at sign-in).
    pub async fn server_url(&self) -> String {
        let inner = self.inner.lock().await;
        self.status_of(&inner).server_url.unwrap_or_else(|| self.default_server_url.clone())
    }

    /// The session as it stands; on the first call, a session saved in the keychain is checked
    /// with the service and resumed if it still works.
    pub async fn status(&self) -> SessionStatus {
        let mut inner = self.inner.lock().await;
        if !inner.restored {
            inner.restored = true;
            self.restore(&mut inner).await;
        }
        self.status_of(&inner)
    }

    async fn restore(&self, inner: &mut Inner) {
        let saved = match self.store.load() {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(e) => {
                inner.notice =
                    Some(format!("The saved session could not be read from the keychain ({e}). Sign in again."));
                return;
            }
        };
        inner.last_server_url = Some(saved.server_url.clone());
        let client = match Client::new(&saved.server_url) {
            Ok(c) => c,
            Err(_) => {
                let _ = self.store.clear();
                return;
            }
        };
        match client.me(&saved.token).await {
            Ok(me) => {
                inner.active = Some(Active {
                    client,
                    token: saved.token,
                    agent: me.agent,
                    expires_at: me.session_expires_at,
                    ends_at: me.session_ends_at,
                    ticket_pattern: me.ticket_pattern,
                });
            }
            Err(e) if e.ends_session() => {
                let _ = self.store.clear();
                inner.notice = Some(EXPIRED_NOTICE.into());
            }
            Err(e) => {
                // Keep the saved session: the service may be back later.
                inner.notice = Some(format!("Could not resume your saved session: {e}."));
            }
        }
    }

    pub async fn sign_in(&self, form: SignInForm) -> Result<SessionStatus, ClientError> {
        let client = Client::new(&form.server_url)?;
        let mut inner = self.inner.lock().await;
        inner.restored = true;
        inner.last_server_url = Some(client.base_url().to_string());
        let created = client.sign_in(&form.email, &form.password, &form.totp).await?;
        Ok(self.adopt(&mut inner, client, created, form.stay_signed_in))
    }

    /// Single sign-on: the service starts the attempt, `open_browser` shows the provider's page
    /// in the system browser, a loopback listener takes the redirect, the code is exchanged here
    /// (PKCE) and the service turns the ID token into a session. Nothing of it reaches the webview.
    pub async fn sign_in_sso(
        &self,
        form: desk_api::SsoSignInForm,
        open_browser: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<SessionStatus, ClientError> {
        let client = Client::new(&form.server_url)?;
        {
            let mut inner = self.inner.lock().await;
            inner.restored = true;
            inner.last_server_url = Some(client.base_url().to_string());
        }
        let loopback = crate::sso::Loopback::bind().await?;
        let redirect_uri = loopback.redirect_uri.clone();
        let start = client.sso_start(&redirect_uri).await?;
        let pkce = crate::sso::Pkce::new();
        let url = crate::sso::authorization_url(&start, &redirect_uri, &pkce, None);
        open_browser(&url).map_err(|e| ClientError::UnexpectedResponse(format!("cannot open the browser: {e}")))?;
        let code = loopback.code(&start.state).await?;
        let id_token = crate::sso::exchange_code(&start, &code, &pkce, &redirect_uri).await?;
        let created = client.sso_finish(&start.state, &id_token).await?;
        let mut inner = self.inner.lock().await;
        Ok(self.adopt(&mut inner, client, created, form.stay_signed_in))
    }

    fn adopt(
        &self,
        inner: &mut Inner,
        client: Client,
        created: desk_api::SessionCreated,
        stay_signed_in: bool,
    ) -> SessionStatus {
        inner.notice = None;
        let stored = StoredSession { server_url: client.base_url().to_string(), token: created.token.clone() };
        let keychain = if stay_signed_in {
            self.store.save(&stored)
        } else {
            // Nothing should be left from an earlier "stay signed in"; a keychain that cannot be
            // reached holds nothing of ours either.
            let _ = self.store.clear();
            Ok(())
        };
        inner.active = Some(Active {
            client,
            token: created.token,
            agent: created.agent,
            expires_at: created.expires_at,
            ends_at: created.ends_at,
            ticket_pattern: created.ticket_pattern,
        });
        let mut status = self.status_of(inner);
        if let Err(e) = keychain {
            status.notice = Some(format!("Signed in, but the session could not be kept in the keychain: {e}"));
        }
        status
    }

    /// Whether the service at `server_url` offers single sign-on (for the sign-in screen).
    pub async fn sso_availability(&self, server_url: &str) -> Result<desk_api::SsoAvailability, ClientError> {
        Client::new(server_url)?.sso_availability().await
    }

    /// Revokes the session at the service (when reachable) and forgets it here and in the keychain.
    pub async fn sign_out(&self) -> SessionStatus {
        let mut inner = self.inner.lock().await;
        if let Some(a) = inner.active.take() {
            if let Err(e) = a.client.sign_out(&a.token).await {
                tracing::warn!(error = %e, "sign-out could not reach the service; the token is forgotten here");
            }
        }
        if let Err(e) = self.store.clear() {
            tracing::warn!(error = %e, "could not delete the saved session from the keychain");
        }
        inner.notice = None;
        self.status_of(&inner)
    }

    /// Runs a call with the active session; a call the service answers with an ended session
    /// drops the session here and in the keychain, so the UI returns to sign-in.
    pub(crate) async fn with_session<T, F, Fut>(&self, call: F) -> Result<T, ClientError>
    where
        F: FnOnce(Client, SecretText) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let (client, token) = {
            let inner = self.inner.lock().await;
            let a = inner.active.as_ref().ok_or(ClientError::NotSignedIn)?;
            (a.client.clone(), a.token.clone())
        };
        let result = call(client, token).await;
        if let Err(e) = &result {
            if e.ends_session() {
                let mut inner = self.inner.lock().await;
                inner.active = None;
                inner.notice = Some("Your session has expired or was revoked. Sign in again.".into());
                let _ = self.store.clear();
            }
        }
        result
    }

    pub async fn search(&self, q: &str, cursor: Option<&str>) -> Result<Page<AccountSummary>, ClientError> {
        self.with_session(|c, t| async move { c.search(&t, q, cursor, None).await }).await
    }

    pub async fn account(&self, id: i64) -> Result<AccountDetail, ClientError> {
        self.with_session(|c, t| async move { c.account(&t, id).await }).await
    }

    pub async fn password_reset(
        &self,
        id: i64,
        req: ResetRequest,
        idempotency_key: &str,
    ) -> Result<ActionAccepted, ClientError> {
        self.with_session(|c, t| async move { c.password_reset(&t, id, &req, idempotency_key).await }).await
    }

    pub async fn answer_reset(
        &self,
        id: i64,
        req: ResetRequest,
        idempotency_key: &str,
    ) -> Result<ActionAccepted, ClientError> {
        self.with_session(|c, t| async move { c.answer_reset(&t, id, &req, idempotency_key).await }).await
    }

    pub async fn activity(&self, id: i64, cursor: Option<&str>) -> Result<Page<ActivityEvent>, ClientError> {
        self.with_session(|c, t| async move { c.activity(&t, id, cursor).await }).await
    }

    pub async fn check_address(&self, id: i64, address: &str) -> Result<AddressCheckResult, ClientError> {
        self.with_session(|c, t| async move { c.check_address(&t, id, address).await }).await
    }

    pub async fn reveal_address(
        &self,
        id: i64,
        email_id: i64,
        req: RevealRequest,
    ) -> Result<RevealedAddress, ClientError> {
        self.with_session(|c, t| async move { c.reveal_address(&t, id, email_id, &req).await }).await
    }

    pub async fn audit_page(&self, filter: AuditFilter, cursor: Option<&str>) -> Result<Page<AuditEntry>, ClientError> {
        self.with_session(|c, t| async move { c.audit_page(&t, &filter, cursor).await }).await
    }

    pub async fn audit_figures(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Figures, ClientError> {
        self.with_session(|c, t| async move { c.audit_figures(&t, from, to).await }).await
    }

    /// Walks the whole chain in stretches, reporting progress after each.
    pub async fn audit_verify(&self, progress: impl Fn(Progress) + Send) -> Result<VerifyReport, ClientError> {
        self.with_session(|c, t| async move {
            let (mut after, mut checked) = (0i64, 0u64);
            loop {
                let chunk = c.audit_verify_chunk(&t, after, VERIFY_STRETCH).await?;
                checked += chunk.checked;
                after = chunk.last_id;
                progress(Progress { done: checked, total: Some(chunk.total), bytes: 0 });
                if chunk.done || chunk.broken.is_some() {
                    return Ok(VerifyReport {
                        ok: chunk.broken.is_none(),
                        entries: checked,
                        head_hash: chunk.head_hash,
                        broken: chunk.broken,
                        checkpoints_checked: chunk.checkpoints_checked,
                    });
                }
            }
        })
        .await
    }

    /// Streams the export into `path` (through a `.partial` file renamed at the end, so a failed
    /// export never leaves a file that looks complete).
    pub async fn audit_export(
        &self,
        format: ExportFormat,
        filter: AuditFilter,
        path: std::path::PathBuf,
        progress: impl Fn(Progress) + Send,
    ) -> Result<ExportResult, ClientError> {
        self.with_session(|c, t| async move {
            use tokio::io::AsyncWriteExt;
            let mut res = c.audit_export(&t, format, &filter).await?;
            let partial = path.with_extension("partial");
            let io =
                |e: std::io::Error| ClientError::UnexpectedResponse(format!("cannot write {}: {e}", path.display()));
            let mut file = tokio::fs::File::create(&partial).await.map_err(io)?;
            let (mut lines, mut bytes) = (0u64, 0u64);
            loop {
                let chunk = match res.chunk().await {
                    Ok(Some(c)) => c,
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tokio::fs::remove_file(&partial).await;
                        return Err(ClientError::UnexpectedResponse(format!(
                            "the export broke off: {}",
                            e.without_url()
                        )));
                    }
                };
                file.write_all(&chunk).await.map_err(io)?;
                lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                bytes += chunk.len() as u64;
                progress(Progress { done: lines, total: None, bytes });
            }
            file.flush().await.map_err(io)?;
            file.sync_all().await.map_err(io)?;
            drop(file);
            tokio::fs::rename(&partial, &path).await.map_err(io)?;
            let entries = if format == ExportFormat::Csv { lines.saturating_sub(1) } else { lines };
            Ok(ExportResult { path: Some(path.display().to_string()), entries, bytes })
        })
        .await
    }
}

impl Console {
    pub async fn queue_counts(&self) -> Result<Vec<desk_api::StateCount>, ClientError> {
        self.with_session(|c, t| async move { c.queue_counts(&t).await }).await
    }

    pub async fn queue_list(
        &self,
        filter: desk_api::QueueFilter,
        cursor: Option<&str>,
    ) -> Result<Page<desk_api::QueueItem>, ClientError> {
        self.with_session(|c, t| async move { c.queue_list(&t, &filter, cursor).await }).await
    }

    /// One JSON call on the session (see `Client::call`).
    pub(crate) async fn call<T, B>(
        &self,
        method: reqwest::Method,
        path: String,
        body: Option<B>,
        key: Option<&str>,
    ) -> Result<T, ClientError>
    where
        T: serde::de::DeserializeOwned + Send,
        B: serde::Serialize + Sync,
    {
        self.with_session(|c, t| async move { c.call(&t, method, &path, body.as_ref(), key).await }).await
    }

    /// The oldest open request the agent may work on, claimed.
    pub async fn claim_next(&self) -> Result<desk_api::RequestDetail, ClientError> {
        self.call(reqwest::Method::POST, "/v1/requests/claim-next".into(), NONE, None).await
    }

    pub async fn request_detail(&self, id: i64) -> Result<desk_api::RequestDetail, ClientError> {
        self.call(reqwest::Method::GET, format!("/v1/requests/{id}"), NONE, None).await
    }

    pub async fn request_claim(&self, id: i64) -> Result<desk_api::RequestDetail, ClientError> {
        self.call(reqwest::Method::POST, format!("/v1/requests/{id}/claim"), NONE, None).await
    }

    /// Renews the agent's lease on a claimed request.
    pub async fn request_renew(&self, id: i64) -> Result<desk_api::RequestDetail, ClientError> {
        self.call(reqwest::Method::POST, format!("/v1/requests/{id}/renew"), NONE, None).await
    }

    pub async fn add_note(
        &self,
        id: i64,
        note: &desk_api::NoteRequest,
    ) -> Result<desk_api::RequestDetail, ClientError> {
        self.call(reqwest::Method::POST, format!("/v1/requests/{id}/notes"), Some(note), None).await
    }

    /// Whom a lead can hand a request to: active staff by name, with their claims.
    pub async fn list_agents(&self) -> Result<Vec<desk_api::AgentLoad>, ClientError> {
        self.call(reqwest::Method::GET, "/v1/agents".into(), crate::client::NONE, None).await
    }

    pub async fn reassign(
        &self,
        id: i64,
        to: &desk_api::ReassignRequest,
    ) -> Result<desk_api::RequestDetail, ClientError> {
        self.call(reqwest::Method::POST, format!("/v1/requests/{id}/reassign"), Some(to), None).await
    }

    /// A decision, sent (and on a lost answer re-sent) under the agent's one `idempotency_key`.
    pub async fn decide(
        &self,
        id: i64,
        decision: desk_api::DecisionRequest,
        idempotency_key: &str,
    ) -> Result<desk_api::RequestDetail, ClientError> {
        self.with_session(|c, t| async move { c.decide(&t, id, &decision, idempotency_key).await }).await
    }

    pub async fn second_approval(
        &self,
        id: i64,
        note: &str,
        idempotency_key: &str,
    ) -> Result<desk_api::RequestDetail, ClientError> {
        self.with_session(|c, t| async move { c.second_approval(&t, id, note, idempotency_key).await }).await
    }

    pub async fn request_release(&self, id: i64) -> Result<(), ClientError> {
        self.with_session(|c, t| async move { c.request_release(&t, id).await }).await
    }

    pub async fn request_evidence(&self, id: i64, file_id: i64) -> Result<desk_api::EvidenceContent, ClientError> {
        self.with_session(|c, t| async move {
            use base64::Engine;
            let detail: desk_api::RequestDetail =
                c.call(&t, reqwest::Method::GET, &format!("/v1/requests/{id}"), NONE, None).await?;
            let name = detail.evidence.iter().find(|e| e.id == file_id).map(|e| e.name.clone()).unwrap_or_default();
            let (content_type, bytes) = c.request_evidence(&t, id, file_id).await?;
            let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
            if content_type.eq_ignore_ascii_case("application/pdf") {
                // Drawing is CPU work: off the async threads.
                let rendered = tokio::task::spawn_blocking(move || crate::pdf::render_pages(bytes))
                    .await
                    .unwrap_or_else(|e| Err(format!("the PDF could not be drawn ({e})")));
                let (pages, page_count, render_error) = match rendered {
                    Ok(r) => (r.pages.iter().map(|p| b64(p)).collect(), r.total as u32, None),
                    Err(e) => (Vec::new(), 0, Some(e)),
                };
                return Ok(desk_api::EvidenceContent {
                    name,
                    content_type,
                    data_base64: String::new(),
                    pages,
                    page_count,
                    render_error,
                });
            }
            Ok(desk_api::EvidenceContent {
                name,
                content_type,
                data_base64: b64(&bytes),
                pages: Vec::new(),
                page_count: 0,
                render_error: None,
            })
        })
        .await
    }
}

/// Entries per verify request: big enough to be quick, small enough to show progress.
const VERIFY_STRETCH: i64 = 5_000;
