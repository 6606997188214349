//! `make bench`: figures of the service over real HTTP on a real SQLite file. Prints, never asserts.
//!
//! Seeding, search latency by kind of query, password-reset throughput, audit verify and export rates.

mod common;
#[path = "../tests/support/session.rs"]
mod session;
use session::sign_in as token;

use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
use desk_server::{Clock, Config, SystemClock};

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let accounts: usize = std::env::var("BENCH_ACCOUNTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        db: dir.path().join("bench.db").display().to_string(),
        bind: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        demo_accounts: accounts,
        reset_cooldown_secs: 0,
        agent_hourly_cap: 1_000_000,
        account_daily_cap: 1_000_000,
        demo_requests: 0,
        // The sign-in flood below comes from many clients behind this (loopback) proxy.
        trusted_proxies: vec!["127.0.0.1/32".into()],
        ..Config::default()
    };
    let t = Instant::now();
    let running = desk_server::start(config, Arc::new(SystemClock)).await.unwrap();
    println!("seed + start: {accounts} accounts in {:.2} s", t.elapsed().as_secs_f64());
    let url = running.url();
    let http = reqwest::Client::new();
    let agent = token(&http, &url, AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;

    for (kind, queries) in [
        ("username prefix", vec!["maria", "james", "aiko", "olusegun", "priya"]),
        ("exact address", vec!["maria.lopez@example.com", "m.lopez.work@mail.test", "JAMES.SMITH@example.com"]),
        ("display name", vec!["Maria Lopez", "Chen Wang", "Elena Rossi"]),
        ("account id", vec!["42", "4242", "199999"]),
    ] {
        let mut times = Vec::new();
        for i in 0..200 {
            let q = queries[i % queries.len()];
            let t = Instant::now();
            let r = http
                .get(format!("{url}/v1/accounts"))
                .query(&[("q", q), ("limit", "25")])
                .bearer_auth(&agent)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            r.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        println!(
            "search ({kind}), 200 requests: p50 {:.2} ms, p95 {:.2} ms",
            pct(times.clone(), 0.5),
            pct(times, 0.95)
        );
    }

    let n = 500;
    let t = Instant::now();
    for i in 0..n {
        let r = http
            .post(format!("{url}/v1/accounts/{}/password-reset", i + 1))
            .bearer_auth(&agent)
            .header("Idempotency-Key", format!("bench-{i}"))
            .json(&serde_json::json!({"reason": "forgot_password", "ticket": "SUP-BENCH"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "password reset (action + token + outbox + audit in one transaction): {n} in {secs:.2} s, {:.0}/s",
        n as f64 / secs
    );

    // The queue: 5,000 open requests, 20 callers claiming concurrently.
    common::insert_requests(&running.state.db, 5_000, "BENCH").await;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (http, url, agent) = (http.clone(), url.clone(), agent.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u32;
            while http.post(format!("{url}/v1/requests/claim-next")).bearer_auth(&agent).send().await.unwrap().status()
                == 200
            {
                n += 1;
            }
            n
        }));
    }
    let mut claims = 0;
    for task in tasks {
        claims += task.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "queue claim-next, 20 concurrent callers: {claims} claims in {secs:.2} s, {:.0} claims/s",
        claims as f64 / secs
    );

    // A flood of sign-ins, each for its own address from its own client (no limit applies): the
    // argon2 gate answers what it cannot take at once with 503, so the flood is over quickly.
    {
        let n = 200;
        let t = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (http, url) = (http.clone(), url.clone());
                tokio::spawn(async move {
                    let body = serde_json::json!({"email": format!("nobody{i}@demo.test"), "password": "guess", "totp": "000000"});
                    let res = http
                        .post(format!("{url}/v1/sessions"))
                        .header("X-Forwarded-For", format!("10.9.{}.{}", i / 250, i % 250 + 1))
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    res.status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        let secs = t.elapsed().as_secs_f64();
        let count = |s: u16| statuses.iter().filter(|x| **x == s).count();
        println!(
            "sign-in flood: {n} concurrent sign-ins answered in {secs:.2} s: {} × 401, {} × 503 (busy); at most {} argon2 at once",
            count(401),
            count(503),
            running.state.argon.peak()
        );
    }

    // Grow the log to 100k entries, then verify and export it as a lead would.
    {
        let mut tx = running.state.db.write().await.unwrap();
        let actor = desk_server::audit::Actor::anonymous("bench");
        for _ in 0..100_000 {
            let e = desk_server::audit::Entry::new(desk_server::audit::AuditAction::SignIn, "failure");
            desk_server::audit::record(&mut tx, SystemClock.now_ms(), &actor, e).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let lead = token(&http, &url, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP).await;
    let t = Instant::now();
    let total = session::verify_chain(&http, &url, &lead).await;
    let secs = t.elapsed().as_secs_f64();
    println!("audit verify over HTTP: {total} entries in {secs:.2} s, {:.0} entries/s", total as f64 / secs);

    let t = Instant::now();
    let mut r = http.get(format!("{url}/v1/audit/export?format=ndjson")).bearer_auth(&lead).send().await.unwrap();
    let mut bytes = 0usize;
    while let Some(c) = r.chunk().await.unwrap() {
        bytes += c.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "audit export (NDJSON): {:.1} MiB in {secs:.2} s, {:.1} MiB/s",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / secs
    );
    running.stop().await;
}
