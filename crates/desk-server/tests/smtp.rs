//! Outbox delivery over real SMTP, and the mail provider's webhook.
//!
//! Each test starts a minimal RFC 5321 server on a loopback port (below), points the service's
//! `[smtp]` at it, makes the service queue a reset email through the real API, and watches both
//! ends: what the SMTP server received, and the outbox row. Retries are made due by moving the
//! service's manual clock, so backoff is checked exactly and nothing sleeps for a fixed time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use desk_server::config::SmtpConfig;
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use desk_server::test_support::{spawn_service_with, TestService};
use desk_server::{Clock, Config, ManualClock, Running};
use reqwest::Method;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);
const FROM: &str = "Recovery Desk <no-reply@desk.test>";
const SECRET: &str = "hook-secret-0123456789";

#[path = "support/pg.rs"]
#[allow(dead_code)]
mod pg;

#[path = "support/smtp.rs"]
#[allow(dead_code)]
mod smtp_server;
use smtp_server::{Fault, Received, SmtpServer};

// ---------------------------------------------------------------------------------------------
// The service under test.

struct App {
    running: Running,
    clock: Arc<ManualClock>,
    http: reqwest::Client,
    token: String,
    _dir: tempfile::TempDir,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct OutboxRow {
    status: String,
    attempts: i64,
    next_attempt_ms: i64,
    last_error: Option<String>,
    to_addr: String,
    subject: String,
    body: String,
}

impl App {
    async fn start(smtp: &SmtpServer, tweak: impl FnOnce(&mut Config)) -> Self {
        let postgres = pg::postgres_database().await;
        // Mid-way through a TOTP step, so a code computed for "now" stays valid.
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 10).unwrap()));
        let service = spawn_service_with(clock.clone(), |config| {
            if let Some(url) = postgres {
                config.db = url;
            }
            config.mail_backoff_ms = 1_000;
            config.smtp = Some(SmtpConfig {
                host: "127.0.0.1".into(),
                port: smtp.port,
                from: FROM.into(),
                starttls: false,
                tls: false,
                username: None,
                password: None,
                ca_file: None,
            });
            tweak(config);
        })
        .await;
        let TestService { running, dir, .. } = service;
        let mut app = App { running, clock, http: reqwest::Client::new(), token: String::new(), _dir: dir };
        let totp = desk_server::totp::code_at(AGENT_TOTP, app.clock.now().timestamp()).unwrap();
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/sessions",
                &[],
                Some(json!({"email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": totp})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        app.token = body["token"].as_str().unwrap().to_string();
        app
    }

    async fn call(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> (u16, Value) {
        let mut rb = self.http.request(method, format!("{}{path}", self.running.url()));
        if !self.token.is_empty() {
            rb = rb.bearer_auth(&self.token);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.expect("the service answers");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends a password reset for the account through the API; answers the outbox id.
    async fn reset(&self, account_id: i64) -> i64 {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/v1/accounts/{account_id}/password-reset"),
                &[("Idempotency-Key", &format!("smtp-test-{account_id}"))],
                Some(json!({"reason": "forgot_password", "ticket": "SUP-1"})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["email"]["id"].as_i64().unwrap()
    }

    async fn row(&self, id: i64) -> OutboxRow {
        sqlx::query_as(
            "SELECT status, attempts, next_attempt_ms, last_error, to_addr, subject, body FROM outbox WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.running.state.db.pool())
        .await
        .expect("the outbox row is still there")
    }

    /// Polls the row until `done` holds, for at most [`WAIT`].
    async fn wait_row(&self, id: i64, what: &str, done: impl Fn(&OutboxRow) -> bool) -> OutboxRow {
        let start = Instant::now();
        loop {
            let row = self.row(id).await;
            if done(&row) {
                return row;
            }
            assert!(start.elapsed() < WAIT, "timed out waiting for {what}: {row:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Moves the clock to the row's next attempt, so the sender takes it on its next tick.
    fn make_due(&self, row: &OutboxRow) {
        let wait = row.next_attempt_ms - self.clock.now_ms();
        assert!(wait > 0, "the retry should wait: {row:?}");
        self.clock.advance(chrono::Duration::milliseconds(wait));
    }

    /// Three whole passes of the sender, counted by the sender itself, to show that nothing more
    /// happens (a pass under way when this starts may have begun before the test's last change).
    async fn let_ticks_pass(&self) {
        let passes = &self.running.state.sender_passes;
        let from = passes.load(std::sync::atomic::Ordering::Acquire);
        let start = Instant::now();
        while passes.load(std::sync::atomic::Ordering::Acquire) < from + 3 {
            assert!(start.elapsed() < WAIT, "the sender stopped passing");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// The reset link in the queued body; the message on the wire must carry it.
fn link_of(body: &str) -> String {
    body.split_whitespace().find(|w| w.contains("/reset/")).expect("the body has a reset link").to_string()
}

/// The messages that carry `link` (quoted-printable soft breaks undone).
fn carrying(messages: &[Received], link: &str) -> usize {
    messages.iter().filter(|m| m.data.replace("=\r\n", "").contains(link)).count()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn delivered_over_smtp_with_the_link() {
    // The server holds its final reply for a while: ticks keep coming, but the row is in flight.
    let smtp = SmtpServer::start([], Duration::from_millis(300)).await;
    let app = App::start(&smtp, |_| {}).await;
    let id = app.reset(1).await;
    let queued = app.row(id).await;
    let link = link_of(&queued.body);

    let row = app.wait_row(id, "the email to be sent", |r| r.status == "sent").await;
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error, None);
    app.let_ticks_pass().await;

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "one message, sent once: {messages:?}");
    assert_eq!(smtp.connections(), 1, "an email in flight is not picked up again");
    let m = &messages[0];
    assert_eq!(carrying(&messages, &link), 1, "the message carries the reset link: {}", m.data);
    assert!(link.starts_with(&app.running.url()) && link.contains("/reset/"));
    assert_eq!(m.mail_from, "<no-reply@desk.test>");
    assert_eq!(m.rcpt_to, vec![format!("<{}>", queued.to_addr)]);
    assert!(m.data.contains(&format!("Subject: {}", queued.subject)), "{}", m.data);
    assert!(
        m.data.contains("From: \"Recovery Desk\" <no-reply@desk.test>")
            || m.data.contains("From: Recovery Desk <no-reply@desk.test>"),
        "{}",
        m.data
    );
    assert!(m.data.contains(&format!("To: {}", queued.to_addr)), "{}", m.data);
    assert!(m.data.to_ascii_lowercase().contains("content-type: text/plain"), "{}", m.data);
    let sent = app.row(id).await;
    assert_eq!(sent.status, "sent");
    assert!(!sent.body.contains(&link), "once the server has it, the link is not kept: {}", sent.body);
    app.running.stop().await;
}

#[tokio::test]
async fn a_refusing_server_is_retried_then_delivered_once() {
    let faults = [Fault::Refuse554AtGreeting, Fault::Refuse451AtMail, Fault::Refuse554AtGreeting];
    let n = faults.len() as i64;
    let smtp = SmtpServer::start(faults, Duration::ZERO).await;
    let app = App::start(&smtp, |c| c.mail_backoff_ms = 1_000).await;
    let id = app.reset(1).await;
    let link = link_of(&app.row(id).await.body);

    // Attempt 1: refused at the greeting. Retry due after the first backoff, not before.
    let row = app.wait_row(id, "the first attempt", |r| r.attempts == 1).await;
    assert_eq!(row.status, "queued");
    assert!(row.last_error.as_deref().unwrap().contains("554"), "{row:?}");
    assert_eq!(row.next_attempt_ms, app.clock.now_ms() + 1_000);
    app.let_ticks_pass().await;
    assert_eq!(app.row(id).await.attempts, 1, "no retry before the backoff has passed");
    assert_eq!(smtp.connections(), 1);

    // Attempt 2: 451 to MAIL FROM; the backoff doubles.
    app.make_due(&row);
    let row = app.wait_row(id, "the second attempt", |r| r.attempts == 2).await;
    assert_eq!(row.status, "queued");
    assert!(row.last_error.as_deref().unwrap().contains("451"), "{row:?}");
    assert_eq!(row.next_attempt_ms, app.clock.now_ms() + 2_000);

    // Attempt 3: refused again; backoff 4 s.
    app.make_due(&row);
    let row = app.wait_row(id, "the third attempt", |r| r.attempts == 3).await;
    assert_eq!(row.status, "queued");
    assert_eq!(row.next_attempt_ms, app.clock.now_ms() + 4_000);

    // Attempt 4: accepted.
    app.make_due(&row);
    let row = app.wait_row(id, "delivery", |r| r.status == "sent").await;
    app.let_ticks_pass().await;
    assert_eq!(row.attempts, n + 1);
    let last_error = row.last_error.expect("the last failure is kept");
    assert!(last_error.contains("554"), "{last_error}");
    assert!(!last_error.contains("/reset/"), "the error text never holds the body");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(carrying(&messages, &link), 1);
    assert_eq!(smtp.connections() as i64, n + 1);
    app.running.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_is_retried_and_never_delivered_twice() {
    let smtp = SmtpServer::start([Fault::DropInData, Fault::DropInData], Duration::ZERO).await;
    let app = App::start(&smtp, |_| {}).await;
    let id = app.reset(1).await;
    let link = link_of(&app.row(id).await.body);

    let row = app.wait_row(id, "the first attempt", |r| r.attempts == 1).await;
    assert_eq!(row.status, "queued", "a message cut off in DATA is not sent");
    assert!(row.last_error.is_some());
    assert!(smtp.messages().is_empty());

    app.make_due(&row);
    let row = app.wait_row(id, "the second attempt", |r| r.attempts == 2).await;
    assert_eq!(row.status, "queued");
    assert!(smtp.messages().is_empty());

    app.make_due(&row);
    let row = app.wait_row(id, "delivery", |r| r.status == "sent").await;
    assert_eq!(row.attempts, 3);
    // Later ticks, even far later, send nothing more.
    app.clock.advance(chrono::Duration::hours(1));
    app.let_ticks_pass().await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(carrying(&messages, &link), 1);
    assert_eq!(smtp.connections(), 3);
    assert_eq!(app.row(id).await.attempts, 3);
    app.running.stop().await;
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_marks_failed_without_losing_the_row() {
    let faults = [Fault::Refuse451AtMail, Fault::Refuse554AtGreeting, Fault::DropInData, Fault::Refuse451AtMail];
    let smtp = SmtpServer::start(faults, Duration::ZERO).await;
    let app = App::start(&smtp, |c| c.mail_max_attempts = 3).await;
    let id = app.reset(1).await;
    let queued = app.row(id).await;

    let mut row = app.wait_row(id, "the first attempt", |r| r.attempts == 1).await;
    for attempt in 2..=3 {
        assert_eq!(row.status, "queued");
        app.make_due(&row);
        row = app.wait_row(id, "the next attempt", |r| r.attempts == attempt).await;
    }
    assert_eq!(row.status, "failed");
    assert_eq!(row.attempts, 3);
    assert!(row.last_error.is_some(), "{row:?}");
    assert!(!row.last_error.as_deref().unwrap().contains("/reset/"));
    assert_eq!(
        (row.to_addr.as_str(), row.subject.as_str(), row.body.as_str()),
        (queued.to_addr.as_str(), queued.subject.as_str(), queued.body.as_str())
    );

    // A failed email is never tried again, and stays in the outbox.
    app.clock.advance(chrono::Duration::hours(2));
    app.let_ticks_pass().await;
    let row = app.row(id).await;
    assert_eq!((row.status.as_str(), row.attempts), ("failed", 3));
    assert_eq!(smtp.connections(), 3);
    assert!(smtp.messages().is_empty());
    let (status, detail) = app.call(Method::GET, "/v1/accounts/1", &[], None).await;
    assert_eq!(status, 200);
    let shown = detail["recent_emails"].as_array().unwrap().iter().find(|e| e["id"] == id).cloned();
    assert_eq!(shown.expect("the email is listed")["status"], "failed");
    app.running.stop().await;
}

async fn event(app: &App, secret: Option<&str>, body: Value) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = secret.map(|s| ("X-Webhook-Secret", s)).into_iter().collect();
    // The provider has no session: no bearer token either.
    let mut rb = app.http.post(format!("{}/v1/mail/events", app.running.url())).json(&body);
    for (k, v) in headers {
        rb = rb.header(k, v);
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    assert!(status == 200 || res.headers()["content-type"] == "application/problem+json");
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn webhook_marks_delivered_and_bounced_and_flags_the_address() {
    let smtp = SmtpServer::start([], Duration::ZERO).await;
    let app = App::start(&smtp, |c| c.mail_webhook_secret = Some(SECRET.into())).await;
    let bounced_id = app.reset(1).await;
    let delivered_id = app.reset(2).await;
    for id in [bounced_id, delivered_id] {
        app.wait_row(id, "the email to be sent", |r| r.status == "sent").await;
    }

    // The secret is required, and checked before the body is looked at.
    let ev = |id: i64, e: &str| json!({"email_id": id, "event": e});
    let (s, b) = event(&app, None, ev(delivered_id, "delivered")).await;
    assert_eq!((s, b["code"].as_str()), (401, Some("unauthorized")), "{b}");
    let (s, b) = event(&app, Some("hook-secret-0123456788"), ev(delivered_id, "delivered")).await;
    assert_eq!((s, b["code"].as_str()), (401, Some("unauthorized")), "{b}");
    let (s, b) = event(&app, Some("wrong"), json!({"nonsense": true})).await;
    assert_eq!((s, b["code"].as_str()), (401, Some("unauthorized")), "{b}");
    assert_eq!(app.row(delivered_id).await.status, "sent");

    // Bad bodies and unknown emails are problems, not changes.
    let (s, b) = event(&app, Some(SECRET), json!({"email_id": delivered_id, "event": "opened"})).await;
    assert_eq!((s, b["code"].as_str()), (400, Some("malformed_json")), "{b}");
    let (s, b) = event(&app, Some(SECRET), ev(999_999, "delivered")).await;
    assert_eq!((s, b["code"].as_str()), (404, Some("not_found")), "{b}");

    // delivered: sent -> delivered.
    let (s, b) = event(&app, Some(SECRET), ev(delivered_id, "delivered")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"id": delivered_id, "status": "delivered"}));
    assert_eq!(app.row(delivered_id).await.status, "delivered");

    // bounced: sent -> bounced, and the address is flagged on the account.
    let (s, b) = event(&app, Some(SECRET), ev(bounced_id, "bounced")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "bounced");
    assert_eq!(app.row(bounced_id).await.status, "bounced");

    // A report that does not fit the status is refused, and changes nothing.
    let (s, b) = event(&app, Some(SECRET), ev(bounced_id, "delivered")).await;
    assert_eq!((s, b["code"].as_str()), (409, Some("invalid_transition")), "{b}");
    assert_eq!(b["status"], 409);
    assert_eq!(app.row(bounced_id).await.status, "bounced");
    // The same report again (providers retry) changes nothing either.
    let (s, b) = event(&app, Some(SECRET), ev(bounced_id, "bounced")).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("bounced")), "{b}");

    let (_, one) = app.call(Method::GET, "/v1/accounts/1", &[], None).await;
    assert_eq!(one["emails"][0]["bounced"], true, "{one}");
    let (_, two) = app.call(Method::GET, "/v1/accounts/2", &[], None).await;
    assert_eq!(two["emails"][0]["bounced"], false, "{two}");
    let listed = one["recent_emails"].as_array().unwrap().iter().find(|e| e["id"] == bounced_id).cloned().unwrap();
    assert_eq!(listed["status"], "bounced");

    // Both changes are in the audit log, and the chain still verifies.
    let db = app.running.state.db.pool();
    let entries: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT target_type, target_id, outcome, client FROM audit_log WHERE action = 'mail_event' ORDER BY id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(
        (entries[0].0.as_str(), entries[0].1.clone(), entries[0].2.as_str()),
        ("email", delivered_id.to_string(), "delivered")
    );
    assert_eq!((entries[1].1.clone(), entries[1].2.as_str()), (bounced_id.to_string(), "bounced"));
    assert!(entries[0].3.starts_with("127.0.0.1"));
    let cp = app.running.state.config.audit_checkpoint_path();
    assert_eq!(
        desk_server::audit::first_broken(&app.running.state.db, &app.running.state.keys, cp.as_deref()).await.unwrap(),
        None
    );
    app.running.stop().await;
}

#[tokio::test]
async fn webhook_is_not_there_without_a_configured_secret() {
    let smtp = SmtpServer::start([], Duration::ZERO).await;
    let app = App::start(&smtp, |_| {}).await;
    let id = app.reset(1).await;
    app.wait_row(id, "the email to be sent", |r| r.status == "sent").await;
    for secret in [None, Some(""), Some(SECRET)] {
        let (s, b) = event(&app, secret, json!({"email_id": id, "event": "delivered"})).await;
        assert_eq!((s, b["code"].as_str()), (404, Some("not_found")), "{b}");
    }
    assert_eq!(app.row(id).await.status, "sent");
    app.running.stop().await;
}

#[tokio::test]
async fn text_messages_stay_in_the_local_mailbox_under_smtp() {
    // There is no SMS gateway: an `sms` row is addressed to a phone number, never to SMTP.
    let smtp = SmtpServer::start([], Duration::ZERO).await;
    let app = App::start(&smtp, |_| {}).await;
    let now = app.clock.now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (account_id, kind, to_addr, subject, body, status, created_ms, updated_ms) \
         VALUES (1, 'sms', '+1 555 0100', 'SMS', 'Your code is 123456', 'queued', $1, $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(app.running.state.db.pool())
    .await
    .unwrap();
    let row = app.wait_row(id, "the text to reach the local mailbox", |r| r.status == "sent").await;
    assert_eq!((row.attempts, row.last_error), (1, None));
    assert_eq!(smtp.connections(), 0);
    app.running.stop().await;
}

#[tokio::test]
async fn a_service_that_delivers_over_smtp_has_no_local_mailbox_page() {
    let smtp = SmtpServer::start([], Duration::ZERO).await;
    let app = App::start(&smtp, |_| {}).await;
    for path in ["/dev/mailbox", "/dev/mailbox.json"] {
        let res = reqwest::get(format!("{}{path}", app.running.url())).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    app.running.stop().await;
}

#[tokio::test]
async fn every_email_carries_a_message_id_and_says_it_was_sent_automatically() {
    let smtp = SmtpServer::start([], Duration::ZERO).await;
    let app = App::start(&smtp, |_| {}).await;
    let id = app.reset(1).await;
    app.wait_row(id, "the email to be sent", |r| r.status == "sent").await;
    let m = smtp.messages().pop().expect("a message");
    let header = |name: &str| {
        m.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
            .map(|l| l[name.len() + 1..].trim().to_string())
    };
    let mid = header("Message-ID").unwrap_or_else(|| panic!("no Message-ID: {}", m.data));
    assert!(mid.starts_with('<') && mid.ends_with("@desk.test>"), "{mid}");
    assert_eq!(header("Auto-Submitted").as_deref(), Some("auto-generated"), "{}", m.data);
    // Another email gets another id.
    let second = app.reset(2).await;
    app.wait_row(second, "the second email to be sent", |r| r.status == "sent").await;
    assert!(!smtp.messages().last().unwrap().data.contains(&mid));
    app.running.stop().await;
}

#[tokio::test]
async fn signs_in_to_the_relay_with_the_username_and_the_password_from_the_environment() {
    let smtp = SmtpServer::start_with_auth("desk-mailer", "relay-pass-7781").await;
    let app = App::start(&smtp, |c| {
        let s = c.smtp.as_mut().unwrap();
        s.username = Some("desk-mailer".into());
        s.password = Some(desk_api::SecretText::new("relay-pass-7781"));
    })
    .await;
    let id = app.reset(1).await;
    let row = app.wait_row(id, "the email to be sent", |r| r.status == "sent").await;
    assert_eq!(row.last_error, None);
    assert_eq!(smtp.logins(), vec![("desk-mailer".to_string(), "relay-pass-7781".to_string())]);
    assert_eq!(smtp.messages().len(), 1);
    assert!(!format!("{:?}", app.running.state.config).contains("relay-pass-7781"), "the password is never printed");
    app.running.stop().await;
}

#[tokio::test]
async fn a_relay_that_wants_a_password_gets_none_and_the_email_waits() {
    let smtp = SmtpServer::start_with_auth("desk-mailer", "relay-pass-7781").await;
    let app = App::start(&smtp, |_| {}).await;
    let id = app.reset(1).await;
    let row = app.wait_row(id, "the refused attempt", |r| r.attempts == 1).await;
    assert_eq!(row.status, "queued");
    assert!(row.last_error.unwrap_or_default().contains("530"));
    assert!(smtp.messages().is_empty());
    app.running.stop().await;
}

#[tokio::test]
async fn plain_smtp_to_a_host_across_the_network_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        db: dir.path().join("desk.db").display().to_string(),
        bind: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        demo_accounts: 10,
        smtp: Some(SmtpConfig {
            host: "smtp.example.com".into(),
            port: 25,
            from: FROM.into(),
            starttls: false,
            tls: false,
            username: None,
            password: None,
            ca_file: None,
        }),
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 10).unwrap()));
    let err = desk_server::start(config, clock).await.err().expect("the service must not start");
    let text = format!("{err:#}");
    assert!(text.contains("starttls") && text.contains("smtp.example.com"), "{text}");
}
