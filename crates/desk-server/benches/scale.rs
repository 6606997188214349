//! `make bench`, the scale-out figures: for each backend (`BENCH_BACKENDS`, default
//! `sqlite,postgres`) and each size (`BENCH_ACCOUNTS`, default `10000,1000000`), the service over
//! real HTTP beside a baseline in the same process:
//!
//! - search p50/p99 by kind, and page 1 against page 50, beside the same store calls run directly;
//! - claim-next with 50 concurrent claimers beside a bare claim loop (pick + mark, no audit);
//! - chained audit append beside a plain insert of the same rows;
//! - audit verify over HTTP beside `sha256sum` of the export.
//!
//! Prints a Markdown table; `BENCH_OUT=docs/benchmarks.md` also writes it there. Figures, never
//! assertions.

mod common;
#[path = "../tests/support/pg.rs"]
#[allow(dead_code)]
mod pg;

#[path = "../tests/support/session.rs"]
mod session;
use session::sign_in as token;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
use desk_server::domain::accounts::SearchQuery;
use desk_server::domain::search::SearchCursor;
use desk_server::store::Db;
use desk_server::{Clock, Config, SystemClock};

const SAMPLES: usize = 200;
/// A search kind that takes seconds (a "contains" search over millions of trigram matches) stops
/// sampling after this long, with at least `MIN_SAMPLES`; its row says how many it took.
const BUDGET: Duration = Duration::from_secs(20);
const MIN_SAMPLES: usize = 10;

/// Times `f` up to `SAMPLES` times, or fewer once `BUDGET` has passed.
async fn sample<F: std::future::Future<Output = ()>>(mut f: impl FnMut() -> F) -> Vec<Duration> {
    let started = Instant::now();
    let mut times = Vec::with_capacity(SAMPLES);
    while times.len() < SAMPLES && (times.len() < MIN_SAMPLES || started.elapsed() < BUDGET) {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(v: &[Duration], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    ms(v[((v.len() - 1) as f64 * p).round() as usize])
}

struct Search {
    kind: &'static str,
    q: &'static str,
    /// Pages to follow before timing (page 50 is 49 pages in).
    skip_pages: usize,
}

const SEARCHES: &[Search] = &[
    Search { kind: "common prefix, page 1", q: "maria", skip_pages: 0 },
    Search { kind: "common prefix, page 50", q: "maria", skip_pages: 49 },
    Search { kind: "one-letter prefix, page 1", q: "m", skip_pages: 0 },
    Search { kind: "one-letter prefix, page 50", q: "m", skip_pages: 49 },
    Search { kind: "exact address", q: "maria.lopez@example.com", skip_pages: 0 },
    Search { kind: "name", q: "maria lopez", skip_pages: 0 },
    Search { kind: "account id", q: "42", skip_pages: 0 },
    // A last name: no username or name starts with it, so every row comes from the contains stage.
    Search { kind: "contains (a last name), page 1", q: "lopez", skip_pages: 0 },
    Search { kind: "contains (a last name), page 50", q: "lopez", skip_pages: 49 },
];

async fn page(http: &reqwest::Client, url: &str, token: &str, q: &str, cursor: &str) -> serde_json::Value {
    let query = [("q", q), ("limit", "25"), ("cursor", cursor)];
    session::answer(http.get(format!("{url}/v1/accounts")).query(&query).bearer_auth(token)).await
}

/// Service and direct timings of each search; rows of the table.
async fn searches(db: &Db, http: &reqwest::Client, url: &str, token: &str, out: &mut Vec<String>, label: &str) {
    for s in SEARCHES {
        let mut cursor = String::new();
        for _ in 0..s.skip_pages {
            match page(http, url, token, s.q, &cursor).await["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        let service = sample(|| async {
            let v = page(http, url, token, s.q, &cursor).await;
            assert!(v["items"].is_array(), "{v}");
        })
        .await;
        let query = SearchQuery::parse(s.q).unwrap();
        let at = SearchCursor::decode(Some(&cursor)).unwrap();
        let direct = sample(|| async {
            desk_server::domain::accounts::search(db, &query, &at, 25).await.unwrap();
        })
        .await;
        let n = match service.len().min(direct.len()) {
            SAMPLES => String::new(),
            n => format!(" ({n} samples)"),
        };
        let (s50, s99, d50) = (pct(&service, 0.5), pct(&service, 0.99), pct(&direct, 0.5));
        out.push(format!(
            "| {label} | search: {}{n} | {s50:.2} ms / {s99:.2} ms | {d50:.2} ms | {:.2}× |",
            s.kind,
            s50 / d50
        ));
    }
}

/// 50 claimers over HTTP until the queue is empty, then 50 bare loops (pick + mark in one
/// transaction) over a second batch: claims per second each, and double claims.
async fn claims(db: &Db, http: &reqwest::Client, url: &str, token: &str, out: &mut Vec<String>, label: &str) {
    const N: i64 = 3000;
    // A database kept from an earlier run (`BENCH_DB`) holds that run's references already.
    let run = format!("{:x}", SystemClock.now_ms());
    common::insert_requests(db, N, &format!("BENCH{run}-")).await;
    let t = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (http, url, token) = (http.clone(), url.to_string(), token.to_string());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                loop {
                    let r =
                        http.post(format!("{url}/v1/requests/claim-next")).bearer_auth(&token).send().await.unwrap();
                    if r.status() != 200 {
                        break ids;
                    }
                    let v: serde_json::Value = r.json().await.unwrap();
                    ids.push(v["item"]["id"].as_i64().unwrap());
                }
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    let service = ids.len() as f64 / t.elapsed().as_secs_f64();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    let doubles = ids.len() - unique.len();

    common::insert_requests(db, N, &format!("BARE{run}-")).await;
    let t = Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                loop {
                    let now = SystemClock.now_ms();
                    let mut tx = db.write().await.unwrap();
                    let Some(row) = desk_server::store::requests::next_to_claim(&mut tx, now, false).await.unwrap()
                    else {
                        break n;
                    };
                    desk_server::store::requests::set_claimed(&mut tx, row.id, 1, now + 600_000, now).await.unwrap();
                    tx.commit().await.unwrap();
                    n += 1;
                }
            })
        })
        .collect();
    let mut bare_n = 0;
    for task in tasks {
        bare_n += task.await.unwrap();
    }
    let bare = bare_n as f64 / t.elapsed().as_secs_f64();
    out.push(format!(
        "| {label} | claim-next, 50 claimers ({} claims, {doubles} double) | {service:.0}/s | {bare:.0}/s | {:.2}× |",
        ids.len(),
        service / bare
    ));
}

/// Chained appends (one transaction each, as actions do) beside plain inserts of the same rows.
async fn appends(db: &Db, owner_url: &str, out: &mut Vec<String>, label: &str) {
    const N: usize = 5000;
    let actor = desk_server::audit::Actor::anonymous("bench");
    let t = Instant::now();
    for _ in 0..N {
        let mut tx = db.write().await.unwrap();
        let e = desk_server::audit::Entry::new(desk_server::audit::AuditAction::SignIn, "failure");
        desk_server::audit::record(&mut tx, SystemClock.now_ms(), &actor, e).await.unwrap();
        tx.commit().await.unwrap();
    }
    let chained = N as f64 / t.elapsed().as_secs_f64();
    // A table of the audit row's shape beside it, with the log's four indexes, so that the ratio
    // is the chain's cost (its lock, the head read, the hash) and not the cost of the indexes the
    // audit screens need. Made by the tables' owner (on PostgreSQL the service's role may not
    // create tables).
    let owner = Db::open(owner_url, 1).await.unwrap();
    for ddl in [
        // Left by an earlier run on a kept database (`BENCH_DB`).
        "DROP TABLE IF EXISTS bench_plain",
        "CREATE TABLE bench_plain (id BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, actor_id BIGINT, actor_email TEXT, \
         action TEXT NOT NULL, target_type TEXT, target_id BIGINT, outcome TEXT NOT NULL, detail TEXT NOT NULL, \
         prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        "CREATE INDEX bench_plain_actor ON bench_plain (actor_id, id)",
        "CREATE INDEX bench_plain_target ON bench_plain (target_type, target_id, id)",
        "CREATE INDEX bench_plain_action ON bench_plain (action, id)",
        "CREATE INDEX bench_plain_at ON bench_plain (at_ms)",
    ] {
        sqlx::query(ddl).execute(owner.pool()).await.unwrap();
    }
    if owner_url.starts_with("postgres") {
        sqlx::query("GRANT INSERT ON bench_plain TO desk_service").execute(owner.pool()).await.unwrap();
    }
    owner.pool().close().await;
    let t = Instant::now();
    for i in 0..N as i64 {
        let mut tx = db.write().await.unwrap();
        sqlx::query("INSERT INTO bench_plain (id, at_ms, actor_email, action, outcome, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(i + 1)
            .bind(SystemClock.now_ms())
            .bind("bench")
            .bind("sign_in")
            .bind("failure")
            .bind("{}")
            .bind("0".repeat(64))
            .bind("1".repeat(64))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let plain = N as f64 / t.elapsed().as_secs_f64();
    out.push(format!(
        "| {label} | audit append, {N} one per transaction | {chained:.0}/s | {plain:.0}/s plain insert, same indexes | {:.2}× |",
        chained / plain
    ));
}

/// Verify over HTTP beside `sha256sum` of the NDJSON export, in entries per second.
async fn verify(http: &reqwest::Client, url: &str, lead: &str, out: &mut Vec<String>, label: &str) {
    let t = Instant::now();
    let total = session::verify_chain(http, url, lead).await;
    let verify = total as f64 / t.elapsed().as_secs_f64();
    let export = http.get(format!("{url}/v1/audit/export?format=ndjson")).bearer_auth(lead).send().await.unwrap();
    let bytes = export.bytes().await.unwrap();
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    let t = Instant::now();
    let ok = std::process::Command::new("sha256sum").arg(file.path()).output().unwrap().status.success();
    assert!(ok);
    let sha = lines as f64 / t.elapsed().as_secs_f64();
    out.push(format!(
        "| {label} | audit verify over HTTP, {total} entries | {verify:.0}/s | {sha:.0}/s sha256sum | {:.3}× |",
        verify / sha
    ));
}

/// A seeded service, waiting for its turn to be measured.
struct Seeded {
    label: String,
    running: desk_server::Running,
    owner_url: String,
    _dir: tempfile::TempDir,
}

/// `BENCH_DB` (with its key folder `BENCH_DATA_DIR`): a database seeded by an earlier run, kept
/// to be measured again without an hour of seeding. Otherwise a fresh one.
async fn seed(backend: String, accounts: usize) -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let kept = std::env::var("BENCH_DB").ok();
    if let Ok(from) = std::env::var("BENCH_DATA_DIR") {
        for f in std::fs::read_dir(from).expect("BENCH_DATA_DIR is a folder") {
            let f = f.unwrap();
            std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
        }
    }
    let db = match (kept, backend.as_str()) {
        (Some(db), _) => db,
        (None, "postgres") => pg::fresh_database().await,
        (None, _) => dir.path().join("bench.db").display().to_string(),
    };
    // The owner of the tables: on PostgreSQL `desk`, which migrated them; SQLite has one.
    let owner_url = db.replace("postgres://desk_service@", "postgres://desk@");
    let config = Config {
        db,
        // The key and checkpoint files go here for PostgreSQL too, not into the working folder.
        data_dir: Some(dir.path().to_path_buf()),
        bind: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        demo_accounts: accounts,
        demo_requests: 0,
        reset_cooldown_secs: 0,
        ..Config::default()
    };
    let t = Instant::now();
    let running = desk_server::start(config, Arc::new(SystemClock)).await.unwrap();
    let label = format!("{backend}, {accounts} accounts");
    eprintln!("{label}: seeded and started in {:.1} s (beside the other seeds)", t.elapsed().as_secs_f64());
    Seeded { label, running, owner_url, _dir: dir }
}

async fn measure(s: Seeded, out: &mut Vec<String>) {
    let (label, running) = (&s.label, s.running);
    let url = running.url();
    let http = reqwest::Client::new();
    let agent = token(&http, &url, AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    let db = running.state.db.clone();
    searches(&db, &http, &url, &agent, out, label).await;
    claims(&db, &http, &url, &agent, out, label).await;
    appends(&db, &s.owner_url, out, label).await;
    let lead = token(&http, &url, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP).await;
    verify(&http, &url, &lead, out, label).await;
    running.stop().await;
}

#[tokio::main]
async fn main() {
    let list = |var: &str, default: &str| -> Vec<String> {
        std::env::var(var).unwrap_or_else(|_| default.into()).split(',').map(|s| s.trim().to_string()).collect()
    };
    // Every database is seeded at once (seeding ten million accounts takes most of an hour, and
    // its database works on a core of its own), then each is measured alone while the others sit idle.
    let mut seeds = Vec::new();
    for backend in list("BENCH_BACKENDS", "sqlite,postgres") {
        for accounts in list("BENCH_ACCOUNTS", "10000,1000000") {
            let accounts = accounts.parse().expect("BENCH_ACCOUNTS is a list of numbers");
            seeds.push(seed(backend.clone(), accounts));
        }
    }
    let mut rows = Vec::new();
    for s in futures_util::future::join_all(seeds).await {
        let before = rows.len();
        measure(s, &mut rows).await;
        // Each size's rows as soon as they are made.
        for r in &rows[before..] {
            eprintln!("{r}");
        }
    }
    let mut table = String::new();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    writeln!(table, "Machine: {cpus} CPUs ({cpu}), release build, service and database on one machine.\n").unwrap();
    writeln!(
        table,
        "| backend, size | measure | service (p50 / p99, or rate) | baseline in the same process | ratio |"
    )
    .unwrap();
    writeln!(table, "| --- | --- | --- | --- | --- |").unwrap();
    for r in rows {
        writeln!(table, "{r}").unwrap();
    }
    print!("{table}");
    if let Ok(path) = std::env::var("BENCH_OUT") {
        let doc = format!(
            "# Benchmarks\n\n`make bench` (crates/desk-server/benches/scale.rs) wrote this table. Search baselines are the same store \
             queries and merge called in-process; claim-next's is a bare pick-and-mark loop (no audit entry, no step); \
             the audit append's a plain insert of a row of the same shape, one transaction each; verify's `sha256sum` \
             of the NDJSON export.\n\n{table}"
        );
        std::fs::write(path, doc).unwrap();
    }
}
