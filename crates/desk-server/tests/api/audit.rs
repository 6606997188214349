use chrono::{Duration, TimeZone, Utc};
use desk_server::audit::{self, Actor, Entry};
use desk_server::Clock;
use reqwest::Method;
use serde_json::json;
use sqlx::Executor;

use crate::helpers::{reset_body, TestApp};

/// A few real entries: sign-ins and resets.
async fn some_history(app: &TestApp) -> String {
    let t = app.agent_token().await;
    for id in 1..=4 {
        assert_eq!(app.password_reset(&t, id, &format!("k{id}"), reset_body()).await.status, 202);
    }
    t
}

async fn tamper(app: &TestApp, sql: &str) {
    let mut raw = app.raw().await;
    if crate::pg::backend() == crate::pg::Backend::Sqlite {
        raw.execute("DROP TRIGGER IF EXISTS audit_log_no_update").await.unwrap();
        raw.execute("DROP TRIGGER IF EXISTS audit_log_no_delete").await.unwrap();
    }
    // On PostgreSQL the superuser's session skips the triggers (`TestApp::raw`).
    raw.execute(sql).await.unwrap();
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    assert_eq!(app.verify().await, None);
}

#[tokio::test]
async fn verify_catches_a_changed_entry() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    tamper(&app, "UPDATE audit_log SET ticket = 'SUP-0000' WHERE id = 3").await;
    let broken = app.verify().await.expect("the change is caught");
    assert_eq!(broken.id, 3);
    assert!(broken.reason.contains("content"), "{}", broken.reason);
}

#[tokio::test]
async fn verify_catches_a_changed_entry_whose_hash_was_recomputed() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    // A careful forger fixes the entry's own hash; the next entry's link still gives it away.
    tamper(&app, "UPDATE audit_log SET outcome = 'failure', hash = 'f00d' || substr(hash, 5) WHERE id = 2").await;
    let broken = app.verify().await.expect("caught");
    assert!(broken.id == 2 || broken.id == 3, "{broken:?}");
}

#[tokio::test]
async fn verify_catches_a_deleted_entry() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    tamper(&app, "DELETE FROM audit_log WHERE id = 3").await;
    let broken = app.verify().await.expect("caught");
    assert_eq!(broken.id, 3);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

#[tokio::test]
async fn verify_catches_reordered_entries() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    // Swap the ids of entries 2 and 3.
    tamper(&app, "UPDATE audit_log SET id = -2 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 3; UPDATE audit_log SET id = 3 WHERE id = -2").await;
    let broken = app.verify().await.expect("caught");
    assert_eq!(broken.id, 2);
}

#[tokio::test]
async fn verify_catches_a_cut_off_tail_through_the_checkpoints() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let path = app.running.state.config.audit_checkpoint_path().unwrap();
    let state = &app.running.state;
    assert!(audit::checkpoints::write(&state.db, &state.keys, &path, app.clock.now_ms()).await.unwrap());
    let head: i64 =
        sqlx::query_scalar("SELECT MAX(id) FROM audit_log").fetch_one(app.running.state.db.pool()).await.unwrap();
    tamper(&app, &format!("DELETE FROM audit_log WHERE id > {}", head - 2)).await;
    let broken = app.verify().await.expect("the cut is caught");
    assert_eq!(broken.id, head - 1);
    assert!(broken.reason.contains("cut off"), "{}", broken.reason);
}

#[tokio::test]
async fn lead_walks_the_chain_over_http_in_stretches() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let lead = app.lead_token().await;
    let (mut after, mut checked, mut rounds) = (0, 0, 0);
    loop {
        let a = app.get(&lead, &format!("/v1/audit/verify?after={after}&limit=2")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert!(a.body["broken"].is_null(), "{}", a.text);
        checked += a.body["checked"].as_u64().unwrap();
        after = a.body["last_id"].as_i64().unwrap();
        rounds += 1;
        if a.body["done"] == true {
            assert_eq!(checked, a.body["total"].as_u64().unwrap());
            assert_eq!(a.body["verdict"], "intact", "a walk from the start in stretches is whole: {}", a.text);
            break;
        }
        assert_eq!(a.body["verdict"], "in_progress");
    }
    assert!(rounds > 2);
    // The verification itself is on record.
    let last: String = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(last, "audit_verify");
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(outcome, "intact");
}

#[tokio::test]
async fn filters_narrow_the_log_and_pages_never_repeat() {
    let app = TestApp::spawn().await;
    let agent_t = some_history(&app).await;
    let _ = agent_t;
    let lead = app.lead_token().await;
    let agent_id = 1;

    let a = app.get(&lead, &format!("/v1/audit?agent={agent_id}&action=password_reset")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|e| e["action"] == "password_reset" && e["actor_id"] == agent_id));
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");

    let a = app.get(&lead, "/v1/audit?account=3").await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(a.body["items"][0]["target_id"], "3");

    let a = app.get(&lead, "/v1/audit?outcome=success&action=sign_in").await;
    assert_eq!(a.body["items"].as_array().unwrap().len(), 2, "the agent's and the lead's sign-in");

    let future = (app.clock.now() + Duration::hours(1)).to_rfc3339();
    let a = app.get(&lead, &format!("/v1/audit?from={}", urlencode(&future))).await;
    assert!(a.body["items"].as_array().unwrap().is_empty());

    // Every entry once, page by page.
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(app.running.state.db.pool()).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let a = app.get(&lead, &format!("/v1/audit?limit=2&cursor={cursor}")).await;
        seen.extend(a.body["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()));
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let expected: Vec<i64> = (1..=total).rev().collect();
    assert_eq!(seen, expected);

    TestApp::assert_problem(&app.get(&lead, "/v1/audit?agent=x").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&lead, "/v1/audit?from=yesterday").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&lead, "/v1/audit?action=a%20b").await, 422, "invalid_input");
    TestApp::assert_problem(&app.get(&lead, "/v1/audit?cursor=zz").await, 422, "invalid_input");
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn export_streams_csv_and_ndjson_of_the_filtered_log_and_is_itself_audited() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let lead = app.lead_token().await;
    let csv =
        app.send(app.req(Method::GET, "/v1/audit/export?format=csv&action=password_reset").bearer_auth(&lead)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], desk_server::audit::query::CSV_HEADER.trim_end());
    assert_eq!(lines.len(), 5, "{}", csv.text);
    assert!(lines[1].contains(",password_reset,account,1,forgot_password,SUP-1001,success,"));

    let nd = app.send(app.req(Method::GET, "/v1/audit/export?format=ndjson").bearer_auth(&lead)).await;
    let entries: Vec<serde_json::Value> = nd.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(app.running.state.db.pool()).await.unwrap();
    // Everything up to and including the export's own entry.
    assert_eq!(entries.len() as i64, count);
    assert_eq!(entries.last().unwrap()["action"], "audit_export");
    assert!(entries.windows(2).all(|w| w[1]["prev_hash"] == w[0]["hash"]), "the export carries the chain");
    TestApp::assert_problem(&app.get(&lead, "/v1/audit/export?format=xml").await, 422, "invalid_input");
}

async fn record_as(
    app: &TestApp,
    agent_id: i64,
    email: &str,
    at: chrono::DateTime<Utc>,
    action: &str,
    target: Option<i64>,
) -> i64 {
    let mut tx = app.running.state.db.write().await.unwrap();
    let actor = Actor {
        id: Some(agent_id),
        email: Some(email.into()),
        role: Some(desk_api::Role::Agent),
        client: "test".into(),
    };
    let id = audit::record(
        &mut tx,
        at.timestamp_millis(),
        &actor,
        Entry {
            target_type: target.map(|_| "account"),
            target_id: target.map(|t| t.to_string()),
            detail: json!({}),
            ..Entry::new(audit::AuditAction::parse(action).expect("a real action name"), "success")
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn figures_count_each_agents_work_and_flag_anomalies() {
    let app = TestApp::spawn().await;
    let lead = app.lead_token().await;
    let day = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
    // History: the agent works 09:00-17:00 for the 10 days before the period.
    for d in 1..=10 {
        for h in 9..17 {
            record_as(&app, 1, "agent@demo.test", day - Duration::days(d) + Duration::hours(h), "sign_in", None).await;
        }
    }
    // In the period: a burst of 30 resets, one at 03:00; resets on 3 accounts changed the day before;
    // 5 reveals. The lead does 2 things.
    for account in 10..13 {
        record_as(&app, 2, "lead@demo.test", day - Duration::hours(20), "password_changed", Some(account)).await;
    }
    let mut reset_ids = Vec::new();
    for i in 0..30 {
        let target = if i < 3 { 10 + i } else { 100 + i };
        reset_ids.push(
            record_as(
                &app,
                1,
                "agent@demo.test",
                day + Duration::hours(10) + Duration::minutes(i),
                "password_reset",
                Some(target),
            )
            .await,
        );
    }
    let night = record_as(&app, 1, "agent@demo.test", day + Duration::hours(3), "password_reset", Some(200)).await;
    for i in 0..5 {
        record_as(
            &app,
            1,
            "agent@demo.test",
            day + Duration::hours(11) + Duration::minutes(i),
            "address_reveal",
            Some(300 + i),
        )
        .await;
    }
    record_as(&app, 2, "lead@demo.test", day + Duration::hours(12), "sign_in", None).await;
    record_as(&app, 2, "lead@demo.test", day + Duration::hours(13), "sign_in", None).await;

    let from = day.to_rfc3339();
    let to = (day + Duration::days(1)).to_rfc3339();
    let a = app.get(&lead, &format!("/v1/audit/figures?from={}&to={}", urlencode(&from), urlencode(&to))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let agents = a.body["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 3, "every agent is listed, even with nothing done");
    let agent = agents.iter().find(|g| g["agent_id"] == 1).unwrap();
    assert_eq!(agent["actions"], 36);
    assert_eq!(agent["resets_sent"], 31);
    assert_eq!(agent["by_hour"][3], 1);
    assert_eq!(agent["by_hour"][10], 30);
    assert!(agent["by_action"].as_array().unwrap().contains(&json!({"action": "address_reveal", "count": 5})));

    let flags = a.body["anomalies"].as_array().unwrap();
    let kinds: Vec<&str> = flags.iter().filter(|f| f["agent_id"] == 1).map(|f| f["kind"].as_str().unwrap()).collect();
    for k in ["high_rate", "outside_usual_hours", "resets_on_recently_changed_accounts", "repeated_reveals"] {
        assert!(kinds.contains(&k), "{k} not flagged: {kinds:?}");
    }
    let odd = flags.iter().find(|f| f["kind"] == "outside_usual_hours").unwrap();
    assert_eq!(odd["entry_ids"], json!([night]));
    let changed = flags.iter().find(|f| f["kind"] == "resets_on_recently_changed_accounts").unwrap();
    assert_eq!(changed["entry_ids"], json!(reset_ids[..3]));
    assert!(flags.iter().all(|f| f["agent_id"] != 2), "the lead did nothing unusual");
}

/// Rewrites entry `from` onwards so that every hash and link is right again, as a forger with
/// write access to the database (but not the key) would.
async fn rechain_from(app: &TestApp, from: i64) {
    use desk_server::audit::{entry_hash, CanonicalRow};
    let mut raw = app.raw().await;
    let rows: Vec<CanonicalRow> = sqlx::query_as(
        "SELECT id, at_ms, actor_id, actor_email, actor_role, action, target_type, target_id, reason, ticket, outcome, \
         client, detail, prev_hash FROM audit_log ORDER BY id",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    let mut prev = desk_server::audit::GENESIS.to_string();
    for mut row in rows {
        if row.id >= from {
            row.prev_hash = prev.clone();
            let hash = entry_hash(&row);
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
                .bind(&row.prev_hash)
                .bind(&hash)
                .bind(row.id)
                .execute(&mut raw)
                .await
                .unwrap();
            prev = hash;
        } else {
            prev = entry_hash(&row);
        }
    }
}

#[tokio::test]
async fn a_rewritten_log_with_recomputed_hashes_and_a_rewritten_checkpoint_file_is_caught() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let state = &app.running.state;
    let path = state.config.audit_checkpoint_path().unwrap();
    desk_server::audit::checkpoints::write(&state.db, &state.keys, &path, app.clock.now_ms()).await.unwrap();
    // The forger changes an entry, recomputes the whole chain after it…
    tamper(&app, "UPDATE audit_log SET ticket = 'SUP-0000' WHERE id = 3").await;
    rechain_from(&app, 3).await;
    // …and rewrites the checkpoint file to match, without the key.
    let hashes: std::collections::HashMap<i64, String> = sqlx::query_as("SELECT id, hash FROM audit_log")
        .fetch_all(state.db.pool())
        .await
        .unwrap()
        .into_iter()
        .collect();
    let forged: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut cp: serde_json::Value = serde_json::from_str(l).unwrap();
            let id = cp["head_id"].as_i64().unwrap();
            if let Some(h) = hashes.get(&id) {
                cp["head_hash"] = h.clone().into();
            }
            if cp.get("mac").is_some() {
                cp["mac"] = desk_server::crypto::sha256_hex(cp.to_string().as_bytes()).into();
            }
            format!("{cp}\n")
        })
        .collect();
    std::fs::write(&path, forged).unwrap();
    let broken = app.verify().await;
    println!("rewritten log + rewritten checkpoints: {broken:?}");
    let broken = broken.expect("the forgery is caught");
    assert!(broken.reason.contains("not signed with the service's key"), "{}", broken.reason);
}

#[tokio::test]
async fn a_missing_cut_or_unreadable_checkpoint_file_leaves_the_log_unverifiable_never_intact() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let lead = app.lead_token().await;
    let state = &app.running.state;
    let path = state.config.audit_checkpoint_path().unwrap();
    desk_server::audit::checkpoints::write(&state.db, &state.keys, &path, app.clock.now_ms()).await.unwrap();
    let good = std::fs::read_to_string(&path).unwrap();
    let intact = app.get(&lead, "/v1/audit/verify?limit=20000").await;
    assert_eq!(intact.body["verdict"], "intact", "{}", intact.text);

    let cut = good[..good.len() - 20].to_string();
    for (what, content) in
        [("missing", None), ("cut short", Some(cut)), ("unreadable", Some(format!("{good}not json\n")))]
    {
        match &content {
            None => std::fs::remove_file(&path).unwrap(),
            Some(c) => std::fs::write(&path, c).unwrap(),
        }
        let a = app.get(&lead, "/v1/audit/verify?limit=20000").await;
        println!("checkpoint file {what}: verdict {}, broken {}", a.body["verdict"], a.body["broken"]);
        assert_eq!(a.body["verdict"], "unverifiable", "{what}: {}", a.text);
        assert!(!a.body["broken"].is_null(), "a client reading only `broken` is not told it is intact");
        let outcome: String =
            sqlx::query_scalar("SELECT outcome FROM audit_log WHERE action = 'audit_verify' ORDER BY id DESC LIMIT 1")
                .fetch_one(state.db.pool())
                .await
                .unwrap();
        assert_eq!(outcome, "unverifiable");
    }
}

#[tokio::test]
async fn a_verification_from_the_middle_is_recorded_as_partial() {
    let app = TestApp::spawn().await;
    some_history(&app).await;
    let lead = app.lead_token().await;
    let a = app.get(&lead, "/v1/audit/verify?after=3").await;
    assert_eq!(a.status, 200, "{}", a.text);
    println!("verify from entry 3: verdict {}", a.body["verdict"]);
    assert_eq!(a.body["verdict"], "partial");
    let (outcome, detail): (String, String) =
        sqlx::query_as("SELECT outcome, detail FROM audit_log WHERE action = 'audit_verify' ORDER BY id DESC LIMIT 1")
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(outcome, "partial");
    assert!(detail.contains("\"after\":3"), "{detail}");
    // Continuing another session's walk does not make it whole either.
    let other = app.lead_token().await;
    let first = app.get(&lead, "/v1/audit/verify?after=0&limit=2").await;
    let rest = app.get(&other, &format!("/v1/audit/verify?after={}&limit=20000", first.body["last_id"])).await;
    assert_eq!(rest.body["verdict"], "partial", "{}", rest.text);
}

#[tokio::test]
async fn the_log_names_targets_as_people_know_them_but_exports_the_entries_as_written() {
    let app = TestApp::spawn().await;
    let agent = some_history(&app).await;
    crate::queue::bulk_open(&app, 1).await;
    let claimed = app.send(app.req(Method::POST, "/v1/requests/claim-next").bearer_auth(&agent)).await;
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    let lead = app.lead_token().await;
    let resets = app.get(&lead, "/v1/audit?action=password_reset").await;
    let labels: Vec<(&str, &str)> = resets.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["target_id"].as_str().unwrap(), e["target_label"].as_str().unwrap()))
        .collect();
    assert!(labels.contains(&("1", "maria.lopez")), "{labels:?}");
    assert!(labels.contains(&("2", "jsmith")), "{labels:?}");
    let claims = app.get(&lead, "/v1/audit?action=request_claim").await;
    assert_eq!(claims.body["items"][0]["target_label"], "SD-B0000000", "{}", claims.text);
    // Sign-ins name their target by address: nothing to look up, no label.
    let sign_ins = app.get(&lead, "/v1/audit?action=sign_in").await;
    assert!(sign_ins.body["items"][0].get("target_label").is_none(), "{}", sign_ins.text);
    // The export is the log as written (and as hashed): no label in it.
    let nd = app.send(app.req(Method::GET, "/v1/audit/export?format=ndjson").bearer_auth(&lead)).await;
    assert!(!nd.text.contains("target_label"));
}
