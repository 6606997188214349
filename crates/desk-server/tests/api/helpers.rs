use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use desk_server::test_support::{spawn_service_with, TestService};
use desk_server::{Config, ManualClock, Running};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub struct TestApp {
    pub running: Running,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    /// Every answer body this test received, to scan for secrets.
    pub seen: Arc<Mutex<Vec<String>>>,
    /// What no API answer may ever contain: the demo's TOTP secrets and backup codes, password
    /// hashes, and every reset token (and its hash) this test saw mailed.
    pub secrets: Arc<Mutex<Vec<String>>>,
    /// The settings it was started with, to start it again on the same files.
    pub config: Config,
    pub dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The body as the contract's type `T`; fails the test, showing the answer, if it is not one.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text).unwrap_or_else(|e| {
            panic!("a {} answer is not a {}: {e}\n{}", self.status, std::any::type_name::<T>(), self.text)
        })
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let postgres = crate::pg::postgres_database().await;
        // A fixed start in the middle of a TOTP step, so codes computed for "now" stay valid.
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 10).unwrap()));
        let service = spawn_service_with(clock.clone(), |config| {
            if let Some(url) = postgres {
                config.db = url;
            }
            config.demo_accounts = 500;
            config.demo_requests = 0;
            tweak(config);
            // A test that names its own SQLite file keeps its files beside it, as the commands do.
            if matches!(desk_server::store::Location::parse(&config.db), desk_server::store::Location::Sqlite(_)) {
                config.data_dir = None;
            }
        })
        .await;
        let TestService { running, config, dir } = service;
        use desk_server::demo::*;
        let mut secrets: Vec<String> =
            [AGENT_TOTP, LEAD_TOTP, ADMIN_TOTP, MARIA_TOTP, AGENT_PASSWORD, LEAD_PASSWORD, "$argon2"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        secrets.extend(MARIA_BACKUP_CODES.iter().map(|c| c.to_string()));
        Self {
            running,
            clock,
            http: reqwest::Client::new(),
            seen: Default::default(),
            secrets: Arc::new(Mutex::new(secrets)),
            config,
            dir,
        }
    }

    /// Stops the service and starts it again on the same database and files, as after a deploy.
    pub async fn restart(self) -> Self {
        let TestApp { running, clock, http, seen, secrets, config, dir } = self;
        running.stop().await;
        let running = desk_server::start(config.clone(), clock.clone()).await.expect("service starts again");
        TestApp { running, clock, http, seen, secrets, config, dir }
    }

    /// A sign-in as a client behind the (trusted) proxy would forward it.
    pub async fn sign_in_from(&self, client: &str, email: &str, password: &str, totp: &str) -> Answer {
        let body = serde_json::json!({"email": email, "password": password, "totp": totp});
        self.send(self.req(Method::POST, "/v1/sessions").header("X-Forwarded-For", client).json(&body)).await
    }

    /// The codes texted so far, newest first.
    pub async fn sms_codes(&self) -> Vec<String> {
        self.mailbox()
            .await
            .into_iter()
            .filter(|m| m["subject"] == "SMS")
            .map(|m| m["body"].as_str().unwrap().chars().filter(|c| c.is_ascii_digit()).take(6).collect())
            .collect()
    }

    /// Runs `n` copies of `f` at once and answers their results.
    pub async fn concurrently<F, Fut, T>(self: &Arc<Self>, n: usize, f: F) -> Vec<T>
    where
        F: Fn(Arc<Self>, usize) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(f(self.clone(), i))).collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("a concurrent request panicked"));
        }
        out
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.running.url(), path)
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    pub async fn send(&self, rb: RequestBuilder) -> Answer {
        let res: Response = rb.send().await.expect("request reaches the service");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let url = res.url().path().to_string();
        let text = res.text().await.unwrap();
        self.seen.lock().unwrap().push(text.clone());
        // Rule 1 of DESIGN §4, checked on every answer of every test: the API never carries a
        // secret. (The local mailbox is the embedded default's stand-in for the user's inbox.)
        if url.starts_with("/v1/") {
            for secret in self.secrets.lock().unwrap().iter() {
                assert!(!text.contains(secret.as_str()), "an answer of {url} carried a secret: {text}");
            }
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, body, text }
    }

    pub fn totp_now(&self, secret: &str) -> String {
        use desk_server::Clock;
        desk_server::totp::code_at(secret, self.clock.now().timestamp()).unwrap()
    }

    pub async fn sign_in_as(&self, email: &str, password: &str, secret: &str) -> Answer {
        // A TOTP code works once: each sign-in waits for the next 30-second step, as a person would.
        self.clock.advance(chrono::Duration::seconds(30));
        let body = serde_json::json!({"email": email, "password": password, "totp": self.totp_now(secret)});
        self.send(self.req(Method::POST, "/v1/sessions").json(&body)).await
    }

    /// Signs the demo agent in and answers the bearer token.
    pub async fn agent_token(&self) -> String {
        let a = self.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body["token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(self.req(Method::GET, path).bearer_auth(token)).await
    }

    /// A GET that must succeed, decoded into the contract's type `T`.
    pub async fn get_as<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str) -> T {
        let a = self.get(token, path).await;
        assert_eq!(a.status, 200, "GET {path}: {}", a.text);
        a.json()
    }

    /// A GET to another instance of the service (at `base`), answered like [`Self::get`].
    pub async fn get_at(&self, base: &str, token: &str, path: &str) -> Answer {
        self.send(self.http.get(format!("{base}{path}")).bearer_auth(token)).await
    }

    pub async fn password_reset(&self, token: &str, id: i64, key: &str, body: Value) -> Answer {
        let rb = self
            .req(Method::POST, &format!("/v1/accounts/{id}/password-reset"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body);
        self.send(rb).await
    }

    /// Runs the outbox sender's own pass here instead of waiting for the background one: every
    /// email an answered request queued is in the mailbox when this returns (one UPDATE, which
    /// waits for any pass already running). A public request queues its email after it answers;
    /// `await_mail` waits for that work first.
    pub async fn flush_mail(&self) {
        let state = &self.running.state;
        if state.config.local_mailbox() {
            desk_server::mail::deliver_queued(&state.db, state.clock.now_ms()).await.unwrap();
        }
    }

    pub async fn mailbox(&self) -> Vec<Value> {
        self.flush_mail().await;
        let a = self.send(self.req(Method::GET, "/dev/mailbox.json")).await;
        let mail = a.body.as_array().cloned().unwrap_or_default();
        // Every link token mailed becomes a secret the API must never show.
        let mut secrets = self.secrets.lock().unwrap();
        for m in &mail {
            for word in m["body"].as_str().unwrap_or("").split_whitespace() {
                if let Some(token) = word.rsplit('/').next().filter(|t| t.len() == 43 && word.contains("://")) {
                    if !secrets.iter().any(|s| s == token) {
                        secrets.push(token.to_string());
                        secrets.push(desk_server::crypto::token_hash(token));
                    }
                }
            }
        }
        mail
    }

    /// Walks the chain and the checkpoints as the service's verify does.
    pub async fn verify(&self) -> Option<desk_api::BrokenEntry> {
        let cp = self.running.state.config.audit_checkpoint_path();
        let state = &self.running.state;
        desk_server::audit::first_broken(&state.db, &state.keys, cp.as_deref()).await.unwrap()
    }

    pub async fn lead_token(&self) -> String {
        use desk_server::demo::{LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
        let a = self.sign_in_as(LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP).await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body["token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        use desk_server::demo::{ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOTP};
        let a = self.sign_in_as(ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOTP).await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body["token"].as_str().unwrap().to_string()
    }

    /// A raw connection to the database, as someone with access to the disk (SQLite) or the
    /// database's superuser (PostgreSQL, triggers off for the session) would have.
    pub async fn raw(&self) -> sqlx::AnyConnection {
        use desk_server::store::Location;
        use sqlx::{Connection, Executor};
        sqlx::any::install_default_drivers();
        match Location::parse(&self.running.state.config.db) {
            Location::Sqlite(path) => {
                sqlx::AnyConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap()
            }
            Location::Postgres(url) => {
                let mut conn = sqlx::AnyConnection::connect(&url.replace("desk_service@", "desk@")).await.unwrap();
                conn.execute("SET session_replication_role = replica").await.unwrap();
                conn
            }
        }
    }

    /// The first email `pick` finds something in, and what it found, once the work the public
    /// pages start after answering has finished and the outbox has been delivered.
    pub async fn await_mail<T>(&self, what: &str, pick: impl Fn(&Value) -> Option<T>) -> T {
        self.running.state.after_answer.settled().await;
        self.mailbox().await.iter().find_map(&pick).unwrap_or_else(|| panic!("no email with {what}"))
    }

    /// The newest link of this kind ("reset" or "reset-answer") mailed to `to`, as a path.
    pub async fn link_for(&self, to: &str, kind: &str) -> String {
        let marker = format!("{}/{kind}/", self.running.url());
        self.await_mail(&format!("a {kind} link to {to}"), |m| {
            let rest = m["body"].as_str().filter(|_| m["to"] == to)?.split(&marker).nth(1)?;
            Some(format!("/{kind}/{}", rest.split_whitespace().next().unwrap()))
        })
        .await
    }

    /// Runs the queue's pass that applies approved changes whose cooling-off has ended, now
    /// rather than at the background tick; answers how many it applied.
    pub async fn apply_due(&self) -> usize {
        use desk_server::Clock;
        let state = &self.running.state;
        desk_server::domain::queue::lifecycle::apply_due(&state.db, &state.config, self.clock.now_ms()).await.unwrap()
    }

    /// The first email in the mailbox that `is` picks (to whom, which subject).
    pub async fn mail(&self, what: &str, is: impl Fn(&Value) -> bool) -> Value {
        self.mailbox().await.into_iter().find(|m| is(m)).unwrap_or_else(|| panic!("no email {what}"))
    }

    /// The link in `mail` whose path has `part` in it, as a path of this service.
    pub fn path_in(&self, mail: &Value, part: &str) -> String {
        let body = mail["body"].as_str().unwrap_or("");
        let url =
            body.split_whitespace().find(|w| w.contains(part)).unwrap_or_else(|| panic!("no {part} link: {body}"));
        url.replace(&self.running.url(), "")
    }

    /// A form post from a browser (redirects followed, as a browser does).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send(self.req(Method::POST, path).form(fields)).await
    }

    pub async fn page(&self, path: &str) -> Answer {
        self.send(self.req(Method::GET, path)).await
    }

    pub fn assert_problem(a: &Answer, status: u16, code: &str) {
        assert_eq!(a.status, status, "{}", a.text);
        assert_eq!(
            a.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{}",
            a.text
        );
        assert_eq!(a.body["code"], code, "{}", a.text);
        assert_eq!(a.body["status"], status);
        assert!(a.body["title"].is_string() && a.body["detail"].is_string());
    }
}

pub fn reset_body() -> Value {
    serde_json::json!({"reason": "forgot_password", "ticket": "SUP-1001"})
}

/// What an enrolment through the pages left the test with.
pub struct Enrolled {
    pub secret: String,
    pub backup_codes: Vec<String>,
}

/// The text between the first `start` and the next `end` after it.
pub fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.split_once(start)?.1;
    Some(rest.split_once(end)?.0)
}

impl TestApp {
    /// Invites a staff member as `admin_token` and answers the enrolment link's path.
    pub async fn invite(&self, admin_token: &str, email: &str, name: &str, role: &str) -> String {
        let a = self
            .send(self.req(Method::POST, "/v1/staff/invites").bearer_auth(admin_token).json(&serde_json::json!({
                "email": email, "name": name, "role": role, "reason": "new hire", "ticket": "HR-1"
            })))
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        self.link_for(email, "enrol").await
    }

    /// Goes through the enrolment pages as a person would: the password, the QR page (reading the
    /// key printed under the code), the first code, the backup codes.
    pub async fn enrol(&self, link: &str, password: &str) -> Enrolled {
        let first = self.page(link).await;
        assert_eq!(first.status, 200, "{}", first.text);
        let qr = self.post_form(link, &[("password", password), ("confirm", password)]).await;
        assert_eq!(qr.status, 200, "{}", qr.text);
        assert!(qr.text.contains("<svg"), "the QR page draws the code: {}", qr.text);
        let secret = between(&qr.text, "<code>", "</code>").expect("the key is printed").to_string();
        self.secrets.lock().unwrap().push(secret.clone());
        let done = self.post_form(&format!("{link}/confirm"), &[("code", &self.totp_now(&secret))]).await;
        assert_eq!(done.status, 200, "{}", done.text);
        let backup_codes: Vec<String> = done
            .text
            .split("<li><code>")
            .skip(1)
            .filter_map(|s| s.split_once("</code>").map(|p| p.0.to_string()))
            .collect();
        assert_eq!(backup_codes.len(), 10, "{}", done.text);
        self.secrets.lock().unwrap().extend(backup_codes.iter().cloned());
        Enrolled { secret, backup_codes }
    }

    pub async fn post_json(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(self.req(Method::POST, path).bearer_auth(token).json(&body)).await
    }
}

impl TestApp {
    /// A form post of one `code` field, owning its inputs (for many at once).
    pub async fn post_form_owned(&self, path: String, code: String) -> Answer {
        self.send(self.req(Method::POST, &path).form(&[("code", code)])).await
    }

    /// The enrolment after an authenticator reset: the current password, then a new
    /// authenticator. Answers the new secret.
    pub async fn enrol_with_current_password(&self, link: &str, password: &str) -> String {
        let qr = self.post_form(link, &[("password", password)]).await;
        assert_eq!(qr.status, 200, "{}", qr.text);
        let secret = between(&qr.text, "<code>", "</code>").expect("the key is printed").to_string();
        self.secrets.lock().unwrap().push(secret.clone());
        let done = self.post_form(&format!("{link}/confirm"), &[("code", &self.totp_now(&secret))]).await;
        assert_eq!(done.status, 200, "{}", done.text);
        secret
    }
}

/// Counts of each status in a list of answers, for reports: "5 × 401, 35 × 429".
pub fn tally(statuses: &[u16]) -> String {
    let mut counts: std::collections::BTreeMap<u16, usize> = Default::default();
    for s in statuses {
        *counts.entry(*s).or_default() += 1;
    }
    counts.iter().map(|(s, n)| format!("{n} × {s}")).collect::<Vec<_>>().join(", ")
}
