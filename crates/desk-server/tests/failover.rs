//! Two `desk-server` processes on one database (PostgreSQL with `DESK_TEST_DB=postgres`, as a
//! deployment runs them; else two processes on one SQLite file), sending mail through the test's
//! SMTP server, with resets spread over both as a load balancer would:
//!
//! 1. 1,000 resets: every acknowledged one has one audit entry, one outbox row and exactly one
//!    email; the chain both appended to verifies.
//! 2. 1,000 more, and one instance is killed with SIGKILL in the middle: a client whose request
//!    got no answer retries it on the other with the same Idempotency-Key. No acknowledged reset
//!    is lost, none is done twice, every email arrives, and a copy the dead sender may have sent
//!    before marking its row carries the first copy's Message-ID.

#[path = "support/process.rs"]
mod process;
#[path = "support/session.rs"]
mod session;
use session::sign_in;

#[path = "support/pg.rs"]
#[allow(dead_code)]
mod pg;
#[path = "support/smtp.rs"]
#[allow(dead_code)]
mod smtp_server;

use process::Instance;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
use futures_util::StreamExt;
use serde_json::json;
use smtp_server::{Received, SmtpServer};

const PHASE: usize = 1000;

fn start(config: &std::path::Path, db: &str) -> Instance {
    let config = config.to_str().expect("a UTF-8 path");
    process::serve(&["--demo", "--config", config, "--db", db], &[])
}

/// Resets `accounts` through `urls` (alternating), 40 at a time. A request that got no answer
/// (its instance is gone) is retried on the next URL with the same key, as a client would.
/// Answers each account's final status, and how many requests got no answer.
async fn resets(
    http: &reqwest::Client,
    urls: Arc<Vec<String>>,
    token: &str,
    accounts: Vec<i64>,
    answered: Arc<AtomicUsize>,
) -> (HashMap<i64, u16>, usize) {
    futures_util::stream::iter(accounts)
        .map(|id| {
            let (http, urls, token, answered) = (http.clone(), urls.clone(), token.to_string(), answered.clone());
            async move {
                for attempt in 0..urls.len() * 3 {
                    let url = &urls[(id as usize + attempt) % urls.len()];
                    let sent = http
                        .post(format!("{url}/v1/accounts/{id}/password-reset"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("failover-{id}"))
                        .json(&json!({"reason": "forgot_password", "ticket": "SUP-2000"}))
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await;
                    match sent {
                        Ok(res) => {
                            answered.fetch_add(1, Ordering::SeqCst);
                            return (id, res.status().as_u16(), attempt);
                        }
                        Err(_) => continue,
                    }
                }
                panic!("no instance answered the reset of account {id}")
            }
        })
        .buffer_unordered(40)
        .fold((HashMap::new(), 0), |(mut statuses, unanswered), (id, status, retries)| async move {
            statuses.insert(id, status);
            (statuses, unanswered + retries)
        })
        .await
}

/// The Message-ID header of a message.
fn message_id(m: &Received) -> String {
    m.data
        .lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .map(|l| l[11..].trim().to_string())
        .unwrap_or_default()
}

/// Messages per recipient, once every one of `to` has at least one (or a minute has passed).
async fn delivered(smtp: &SmtpServer, to: &[String]) -> HashMap<String, Vec<Received>> {
    let started = Instant::now();
    loop {
        let mut by_to: HashMap<String, Vec<Received>> = HashMap::new();
        for m in smtp.messages() {
            for r in &m.rcpt_to {
                by_to.entry(r.trim_matches(['<', '>']).to_string()).or_default().push(m.clone());
            }
        }
        if to.iter().all(|t| by_to.contains_key(t)) || started.elapsed() > Duration::from_secs(90) {
            return by_to;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The primary address each acknowledged reset was sent to, from the outbox.
async fn recipients(db: &desk_server::store::Db, accounts: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    for id in accounts {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT to_addr FROM outbox WHERE account_id = $1 AND kind = 'password_reset'")
                .bind(id)
                .fetch_all(db.pool())
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "account {id} has {} reset emails queued", rows.len());
        out.extend(rows);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_the_work_and_a_killed_one_loses_no_acknowledged_reset() {
    let dir = tempfile::tempdir().unwrap();
    let db = match pg::backend() {
        pg::Backend::Postgres => pg::fresh_database().await,
        pg::Backend::Sqlite => dir.path().join("desk.db").display().to_string(),
    };
    let smtp = SmtpServer::start([], Duration::ZERO).await;
    let config = dir.path().join("desk.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\ndemo_accounts = {}\ndemo_requests = 0\nagent_hourly_cap = 100000\nmail_poll_ms = 50\n\
             mail_lease_secs = 3\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"Recovery Desk <no-reply@desk.test>\"\n\
             starttls = false\n",
            dir.path().display(),
            2 * PHASE + 100,
            smtp.port
        ),
    )
    .unwrap();
    // The first seeds; the second finds the data and the key file in the shared folder.
    let first = start(&config, &db);
    let mut second = start(&config, &db);
    let http = reqwest::Client::new();
    let agent = sign_in(&http, &first.url, AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    let both = Arc::new(vec![first.url.clone(), second.url.clone()]);
    let owner = desk_server::store::Db::open(&db.replace("desk_service@", "desk@"), 2).await.unwrap();

    // 1. Both instances up: exactly one email per acknowledged reset.
    let counter = Arc::new(AtomicUsize::new(0));
    let (answers, unanswered) = resets(&http, both.clone(), &agent, (1..=PHASE as i64).collect(), counter).await;
    assert_eq!(unanswered, 0);
    let acked: Vec<i64> = answers.iter().filter(|(_, s)| **s == 202).map(|(id, _)| *id).collect();
    assert!(answers.values().all(|s| [202, 409].contains(s)), "{answers:?}");
    assert!(acked.len() > PHASE * 9 / 10, "only {} of {PHASE} resets were taken", acked.len());
    let to = recipients(&owner, &acked).await;
    let got = delivered(&smtp, &to).await;
    for t in &to {
        assert_eq!(got.get(t).map(Vec::len), Some(1), "{t} got {:?} emails", got.get(t).map(Vec::len));
    }
    assert_eq!(smtp.messages().len(), to.len(), "an email nobody asked for was sent");

    // 2. The second instance is killed while resets are being answered.
    let accounts: Vec<i64> = (PHASE as i64 + 1..=2 * PHASE as i64).collect();
    let answered = Arc::new(AtomicUsize::new(0));
    let killer = {
        let answered = answered.clone();
        async move {
            // A third of the way through this phase's resets, with the senders busy too.
            while answered.load(Ordering::SeqCst) < PHASE / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            second.process.kill().expect("SIGKILL the second instance");
            second
        }
    };
    let ((answers, unanswered), _dead) = tokio::join!(resets(&http, both.clone(), &agent, accounts, answered), killer);
    assert!(unanswered > 0, "the instance was killed only after the last reset: nothing was in flight");
    assert!(answers.values().all(|s| [202, 409].contains(s)), "{answers:?}");
    let acked2: Vec<i64> = answers.iter().filter(|(_, s)| **s == 202).map(|(id, _)| *id).collect();
    assert!(acked2.len() > PHASE * 9 / 10, "only {} of {PHASE} resets were taken", acked2.len());
    let to2 = recipients(&owner, &acked2).await;
    let got = delivered(&smtp, &to2).await;
    let mut copies = 0;
    for t in &to2 {
        let msgs = got.get(t).unwrap_or_else(|| panic!("the reset email to {t} was lost"));
        let first_id = message_id(&msgs[0]);
        assert!(!first_id.is_empty());
        assert!(msgs.iter().all(|m| message_id(m) == first_id), "{t}: copies under other Message-IDs");
        copies += msgs.len() - 1;
    }
    // Only what the dead sender had in flight can arrive twice: at most one pass of its batch.
    assert!(copies <= 100, "{copies} emails arrived twice");
    eprintln!(
        "after the kill: {} resets acknowledged, {unanswered} requests found the instance dead and were retried on the other, {copies} emails sent twice",
        acked2.len()
    );

    // Every acknowledged reset once in the log, and the chain both appended to verifies.
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'password_reset'")
        .fetch_one(owner.pool())
        .await
        .unwrap();
    assert_eq!(audited as usize, acked.len() + acked2.len(), "a reset was lost or done twice");
    let lead = sign_in(&http, &first.url, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP).await;
    assert!(session::verify_chain(&http, &first.url, &lead).await >= audited as u64);
    owner.pool().close().await;
}
