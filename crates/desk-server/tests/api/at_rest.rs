//! What the database holds, read as someone with a copy of the file would: TOTP secrets sealed
//! with a key kept elsewhere, codes as keyed hashes; how the service starts (or refuses to)
//! without that key; and the demo mailbox, which exists only for a demo on loopback.

use chrono::{TimeZone, Utc};
use desk_api::SecretText;
use desk_server::crypto::{sha256_hex, Keys};
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, MARIA_BACKUP_CODES, MARIA_TOTP};
use desk_server::{Clock, Config, ManualClock};
use reqwest::Method;

use crate::helpers::{reset_body, TestApp};

async fn one(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar(sql).fetch_one(app.running.state.db.pool()).await.unwrap()
}

#[tokio::test]
async fn totp_secrets_are_sealed_and_codes_are_keyed_hashes_in_the_database() {
    let app = TestApp::spawn().await;
    let agent = one(&app, "SELECT totp_secret FROM agents WHERE email = 'agent@demo.test'").await;
    let maria =
        one(&app, "SELECT secret FROM two_factor_methods WHERE account_id = 1 AND kind = 'authenticator_app'").await;
    let backup = one(&app, "SELECT code_hash FROM backup_codes WHERE account_id = 1 ORDER BY id LIMIT 1").await;
    println!("stored: agent TOTP {}…, user TOTP {}…, backup code {}…", &agent[..12], &maria[..12], &backup[..12]);
    assert!(!agent.contains(AGENT_TOTP) && agent.starts_with("v1:"), "{agent}");
    assert!(!maria.contains(MARIA_TOTP) && maria.starts_with("v1:"), "{maria}");
    let plain = sha256_hex(MARIA_BACKUP_CODES[0].replace('-', "").as_bytes());
    assert!(backup != plain && backup.starts_with("k1:"), "{backup}");

    // SMS and contact codes too.
    let t = app.agent_token().await;
    let a = app
        .send(
            app.req(Method::POST, "/v1/accounts/3/password-reset")
                .bearer_auth(&t)
                .header("Idempotency-Key", "sms")
                .json(&reset_body()),
        )
        .await;
    assert_eq!(a.status, 202);
    let link = app.link_for("aiko@example.com", "reset").await;
    app.post_form(&format!("{link}/sms"), &[]).await;
    let code = app.sms_codes().await[0].clone();
    let sms = one(&app, "SELECT code_hash FROM sms_codes").await;
    assert!(sms != sha256_hex(code.as_bytes()) && sms.starts_with("k1:"), "{sms}");
    let form = reqwest::multipart::Form::new()
        .text("identifier", "jsmith")
        .text("contact", "james.smith@example.com")
        .text("change", "reset_security_question")
        .text("full_name", "James Smith")
        .text("country", "GB")
        .text("statement", "I forgot the answer to my security question entirely.");
    app.send(app.req(Method::POST, "/security-details").multipart(form)).await;
    let mail = app.mailbox().await.into_iter().find(|m| m["subject"] == "Confirm your request").unwrap();
    let contact_code = mail["body"].as_str().unwrap().split(" is ").nth(1).unwrap()[..6].to_string();
    let stored = one(&app, "SELECT contact_code_hash FROM security_requests").await;
    assert!(stored != sha256_hex(contact_code.as_bytes()) && stored.starts_with("k1:"), "{stored}");

    // And everything still works from the outside.
    assert!(app
        .post_form(&format!("{link}/verify"), &[("method", "sms"), ("code", &code)])
        .await
        .text
        .contains("Choose a new password"));
}

#[tokio::test]
async fn a_copy_of_the_database_opens_nothing_without_the_key() {
    let app = TestApp::spawn().await;
    let copy = match crate::pg::backend() {
        crate::pg::Backend::Sqlite => {
            let copy = app.dir.path().join("stolen.db");
            // A consistent copy of the file, as a backup or a thief would have it.
            let vacuum = format!("VACUUM INTO '{}'", copy.display());
            sqlx::query(&vacuum).execute(app.running.state.db.pool()).await.unwrap();
            copy.display().to_string()
        }
        // The thief reaches the database itself, with every row, but not the service's key.
        crate::pg::Backend::Postgres => app.config.db.clone(),
    };
    let thief = TestApp::spawn_with(|c| {
        c.db = copy.clone();
        c.demo = false;
        c.secret_key = Some(SecretText::new(Keys::generate()));
    })
    .await;
    let a = thief.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    TestApp::assert_problem(&a, 401, "invalid_credentials");
    // With the key, the same copy works.
    let key = std::fs::read_to_string(app.config.demo_key_path()).unwrap();
    let owner = TestApp::spawn_with(|c| {
        c.db = copy;
        c.demo = false;
        c.secret_key = Some(SecretText::new(key.trim()));
    })
    .await;
    assert_eq!(owner.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await.status, 201);
}

#[tokio::test]
async fn secrets_stored_before_the_key_existed_are_sealed_at_the_next_start() {
    let app = TestApp::spawn().await;
    // Rows as the service wrote them before secrets were sealed: plain base32, plain SHA-256.
    let db = app.running.state.db.pool();
    sqlx::query("UPDATE agents SET totp_secret = $1 WHERE email = $2")
        .bind(AGENT_TOTP)
        .bind(AGENT_EMAIL)
        .execute(db)
        .await
        .unwrap();
    sqlx::query("UPDATE two_factor_methods SET secret = $1 WHERE account_id = 1 AND kind = 'authenticator_app'")
        .bind(MARIA_TOTP)
        .execute(db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE backup_codes SET code_hash = $1 WHERE id = (SELECT MIN(id) FROM backup_codes WHERE account_id = 1)",
    )
    .bind(sha256_hex(b"11112222"))
    .execute(db)
    .await
    .unwrap();
    let app = app.restart().await;
    let agent = one(&app, "SELECT totp_secret FROM agents WHERE email = 'agent@demo.test'").await;
    let maria =
        one(&app, "SELECT secret FROM two_factor_methods WHERE account_id = 1 AND kind = 'authenticator_app'").await;
    let backup = one(&app, "SELECT code_hash FROM backup_codes WHERE account_id = 1 ORDER BY id LIMIT 1").await;
    assert!(
        agent.starts_with("v1:") && maria.starts_with("v1:") && backup.starts_with("k1:"),
        "{agent} {maria} {backup}"
    );
    // The upgraded rows still do their job.
    let t = app.agent_token().await;
    let a = app.password_reset(&t, 1, "after-upgrade", reset_body()).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let link = app.link_for("maria.lopez@example.com", "reset").await;
    let ok = app.post_form(&format!("{link}/verify"), &[("method", "backup_codes"), ("code", "1111-2222")]).await;
    assert!(ok.text.contains("Choose a new password"), "{}", ok.text);
}

#[tokio::test]
async fn a_start_without_a_key_is_refused_with_a_clear_message_and_keygen_prints_one() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 10).unwrap()));
    let config = Config {
        db: dir.path().join("desk.db").display().to_string(),
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let err = desk_server::start(config.clone(), clock.clone()).await.err().expect("no key, no start");
    let text = format!("{err:#}");
    println!("without a key: {text}");
    assert!(
        text.contains("desk-server keygen") && text.contains("secret_key_file") && text.contains("DESK_SECRET_KEY")
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_desk-server")).arg("keygen").output().unwrap();
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_desk-server")).arg("keygen").output().unwrap();
    assert_ne!(String::from_utf8(again.stdout).unwrap().trim(), key, "a new key each time");
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(&key).unwrap().len(), 32);

    let key_file = dir.path().join("secret.key");
    std::fs::write(&key_file, &key).unwrap();
    let running = desk_server::start(Config { secret_key_file: Some(key_file), ..config }, clock).await.unwrap();
    assert!(!dir.path().join("desk.db.key").exists(), "only a demo makes its own key");
    running.stop().await;
}

#[tokio::test]
async fn the_mailbox_exists_only_for_a_demo_on_loopback() {
    let demo = TestApp::spawn().await;
    assert_eq!(demo.page("/dev/mailbox.json").await.status, 200, "a demo on loopback shows what it sent");

    let production = TestApp::spawn_with(|c| {
        c.demo = false;
        c.secret_key = Some(SecretText::new(Keys::generate()));
    })
    .await;
    for path in ["/dev/mailbox", "/dev/mailbox.json"] {
        let a = production.page(path).await;
        println!("non-demo start without SMTP: GET {path} -> {}", a.status);
        TestApp::assert_problem(&a, 404, "not_found");
    }

    let exposed = TestApp::spawn_with(|c| c.bind = "0.0.0.0:0".parse().unwrap()).await;
    let port = exposed.running.addr.port();
    for path in ["/dev/mailbox", "/dev/mailbox.json"] {
        let res = reqwest::get(format!("http://127.0.0.1:{port}{path}")).await.unwrap();
        assert_eq!(res.status(), 404, "a demo bound beyond loopback keeps mail to itself: {path}");
    }
    // Its mail is held in the outbox, not marked sent to nowhere.
    let t = {
        exposed.clock.advance(chrono::Duration::seconds(30));
        let body =
            serde_json::json!({"email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": exposed.totp_now(AGENT_TOTP)});
        let res = exposed.http.post(format!("http://127.0.0.1:{port}/v1/sessions")).json(&body).send().await.unwrap();
        res.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    };
    let res = exposed
        .http
        .post(format!("http://127.0.0.1:{port}/v1/accounts/2/password-reset"))
        .bearer_auth(&t)
        .header("Idempotency-Key", "held")
        .json(&reset_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let held = desk_server::mail::deliver_due(
        &exposed.running.state,
        &desk_server::mail::Transport::from_config(&exposed.running.state.config).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(held, 0);
    let status: String =
        sqlx::query_scalar("SELECT status FROM outbox").fetch_one(exposed.running.state.db.pool()).await.unwrap();
    assert_eq!(status, "queued");
    let _ = exposed.clock.now_ms();
}
