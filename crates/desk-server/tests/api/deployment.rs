//! A deployment from nothing, as its admins would set it up: no demo data, the first admin from
//! the command line, then an agent and a lead invited, each enrolled, each signed in.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Method;

use crate::helpers::TestApp;

const BIN: &str = env!("CARGO_BIN_EXE_desk-server");

/// The master key, kept outside the database (`desk-server keygen`), in the deployment's folder.
fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("desk.key");
    if !path.exists() {
        let key = Command::new(BIN).arg("keygen").output().expect("desk-server keygen");
        assert!(key.status.success());
        std::fs::write(&path, &key.stdout).unwrap();
    }
    path
}

fn admin_create_command(db: &str, dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["admin", "create", "--db", db])
        .arg("--secret-key-file")
        .arg(key_file(dir))
        .args(["--public-url", "https://desk.example.test"])
        .args(extra)
        .env_remove("DESK_CONFIG");
    // On PostgreSQL the checkpoint file lives in the folder the instances share: the test's
    // service has this one (a SQLite deployment keeps it beside the file).
    if crate::pg::backend() == crate::pg::Backend::Postgres {
        c.env("DESK_DATA_DIR", dir);
    }
    c
}

fn admin_create(db: &str, dir: &Path, extra: &[&str]) -> std::process::Output {
    admin_create_command(db, dir, extra).output().expect("desk-server runs")
}

/// The service of the deployment, without demo data, on its database, folder and key.
async fn deployment_service(db: &str, dir: &Path) -> TestApp {
    let key_file = key_file(dir);
    TestApp::spawn_with(|c| {
        c.demo = false;
        c.db = db.to_string();
        c.data_dir = Some(dir.to_path_buf());
        c.secret_key_file = Some(key_file);
    })
    .await
}

fn link_path(stdout: &str) -> String {
    let url = stdout.split_whitespace().find(|w| w.starts_with("http")).expect("the command prints a link");
    assert!(url.starts_with("https://desk.example.test/enrol/"), "{url}");
    url.trim_start_matches("https://desk.example.test").to_string()
}

/// Invites by email and reads the link from the outbox: outside the loopback demo there is no
/// local mailbox, and the outbox is what the SMTP sender would deliver.
async fn invite(app: &TestApp, admin: &str, email: &str, name: &str, role: &str) -> String {
    let a = app
        .post_json(
            admin,
            "/v1/staff/invites",
            serde_json::json!({
                "email": email, "name": name, "role": role, "reason": "new hire", "ticket": "HR-1"
            }),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let body: String = sqlx::query_scalar(
        "SELECT body FROM outbox WHERE to_addr = $1 AND kind = 'staff_invite' ORDER BY id DESC LIMIT 1",
    )
    .bind(email)
    .fetch_one(app.running.state.db.pool())
    .await
    .unwrap();
    let url = body.split_whitespace().find(|w| w.contains("/enrol/")).expect("the mailed link").to_string();
    let token = url.rsplit('/').next().unwrap().to_string();
    app.secrets.lock().unwrap().push(token.clone());
    format!("/enrol/{token}")
}

#[tokio::test]
async fn a_new_deployment_goes_from_nothing_to_a_working_team() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::pg::test_database(dir.path()).await;

    // 1. The first admin, from the command line.
    let out = admin_create(&db, dir.path(), &["--email", "ada@corp.test", "--name", "Ada Admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin_link = link_path(&String::from_utf8_lossy(&out.stdout));
    // A second run is refused: an admin exists.
    let again = admin_create(&db, dir.path(), &["--email", "eve@corp.test", "--name", "Eve"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("an admin exists already"));

    // 2. The service, without --demo, on that database, with the same key.
    let app = deployment_service(&db, dir.path()).await;
    let accounts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(app.running.state.db.pool()).await.unwrap();
    assert_eq!(accounts, 0, "no demo data");

    // 3. The admin enrols through the link and signs in.
    let admin = app.enrol(&admin_link, "granite fox under the pier").await;
    let a = app.sign_in_as("ada@corp.test", "granite fox under the pier", &admin.secret).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["agent"]["role"], "admin");
    let admin_token = a.body["token"].as_str().unwrap().to_string();

    // 4. An agent and a lead, invited by email, enrol and sign in.
    let mut team = Vec::new();
    for (email, name, role, password) in [
        ("ana@corp.test", "Ana Agent", "agent", "violet kettle on a tuesday"),
        ("leo@corp.test", "Leo Lead", "lead", "seven quiet harbours north"),
    ] {
        let link = invite(&app, &admin_token, email, name, role).await;
        let enrolled = app.enrol(&link, password).await;
        let s = app.sign_in_as(email, password, &enrolled.secret).await;
        assert_eq!(s.status, 201, "{}", s.text);
        assert_eq!(s.body["agent"]["role"], role);
        team.push(s.body["token"].as_str().unwrap().to_string());
    }
    // Each can do their job, and only that.
    assert_eq!(app.get(&team[0], "/v1/requests/counts").await.status, 200);
    assert_eq!(app.get(&team[0], "/v1/audit").await.status, 403);
    assert_eq!(app.get(&team[1], "/v1/audit").await.status, 200);
    assert_eq!(app.get(&team[1], "/v1/staff").await.status, 403);

    let staff = app.get(&admin_token, "/v1/staff").await;
    let rows = staff.body.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|m| m["status"] == "active" && m["enrolment"] == "enrolled"), "{}", staff.text);
    assert!(rows.iter().all(|m| m["last_sign_in_at"].is_string()));
    let broken = app.verify().await;
    assert!(broken.is_none(), "the audit chain verifies: {broken:?}");
    let created = app.get(&admin_token, "/v1/audit?action=admin_create").await;
    assert_eq!(created.body["items"].as_array().unwrap().len(), 1);
    let _ = app.send(app.req(Method::GET, "/v1/me").bearer_auth(&admin_token)).await;
}

#[tokio::test]
async fn a_forced_second_admin_from_the_command_line_is_audited_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::pg::test_database(dir.path()).await;
    assert!(admin_create(&db, dir.path(), &["--email", "ada@corp.test", "--name", "Ada Admin"]).status.success());
    let no_reason = admin_create(&db, dir.path(), &["--email", "bob@corp.test", "--name", "Bob", "--force"]);
    assert!(!no_reason.status.success(), "--force needs --reason");
    let forced = admin_create(
        &db,
        dir.path(),
        &["--email", "bob@corp.test", "--name", "Bob", "--force", "--reason", "Ada is on leave, INC-42"],
    );
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    let app = deployment_service(&db, dir.path()).await;
    let row: (String, String) = sqlx::query_as(
        "SELECT reason, detail FROM audit_log WHERE action = 'admin_create' AND target_id = \
         (SELECT CAST(id AS TEXT) FROM agents WHERE email = 'bob@corp.test')",
    )
    .fetch_one(app.running.state.db.pool())
    .await
    .unwrap();
    assert_eq!(row.0, "Ada is on leave, INC-42");
    assert!(row.1.contains("\"forced\":true"));
}

#[tokio::test]
async fn twenty_first_admins_created_at_once_make_exactly_one_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::pg::test_database(dir.path()).await;
    key_file(dir.path());
    // Twenty operators run the command at the same moment, each with another address.
    let children: Vec<_> = (0..20)
        .map(|i| {
            let (email, name) = (format!("admin{i}@corp.test"), format!("Admin {i}"));
            admin_create_command(&db, dir.path(), &["--email", &email, "--name", &name])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("desk-server runs")
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let created = outputs.iter().filter(|o| o.status.success()).count();
    let refused: Vec<_> = outputs.iter().filter(|o| !o.status.success()).collect();
    assert_eq!(created, 1, "exactly one run creates the first admin");
    for r in &refused {
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("an admin exists already"), "a run failed otherwise: {err}");
    }
    let app = deployment_service(&db, dir.path()).await;
    let pool = app.running.state.db.pool();
    let admins: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM agents WHERE role = 'admin'").fetch_one(pool).await.unwrap();
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'admin_create'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!((admins, audited), (1, 1));
}
