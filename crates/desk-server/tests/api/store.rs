//! The store's typed rows: a stored value that is not what its column must hold is an error that
//! names where it is, never a plausible default.

use desk_server::store;
use reqwest::Method;

use crate::helpers::TestApp;
use crate::queue::{call, file_and_confirm, form};

#[tokio::test]
async fn a_corrupt_request_state_is_an_error_naming_table_and_column_not_an_open_request() {
    let app = TestApp::spawn().await;
    let id = file_and_confirm(&app, form("jsmith", "j.s@mail.test", "phone", "+44 7700 900999"), "j.s@mail.test").await;
    sqlx::query("UPDATE security_requests SET state = 'half_done' WHERE id = $1")
        .bind(id)
        .execute(app.running.state.db.pool())
        .await
        .unwrap();

    let token = app.agent_token().await;
    let a = call(&app, &token, Method::GET, &format!("/v1/requests/{id}"), None).await;
    TestApp::assert_problem(&a, 500, "internal");
    assert!(
        !a.text.contains("half_done") && !a.text.contains("security_requests"),
        "the cause stays in the log: {}",
        a.text
    );

    let mut conn = app.running.state.db.acquire().await.unwrap();
    let e = store::requests::get(&mut conn, id).await.unwrap_err();
    let chain = format!("{:#}", anyhow::Error::from(e));
    assert!(chain.contains("security_requests") && chain.contains("state") && chain.contains("half_done"), "{chain}");
}

#[tokio::test]
async fn a_flag_that_is_neither_0_nor_1_is_an_error_not_true() {
    let app = TestApp::spawn().await;
    sqlx::query("UPDATE account_emails SET verified = 7 WHERE account_id = 2 AND is_primary = 1")
        .execute(app.running.state.db.pool())
        .await
        .unwrap();
    let token = app.agent_token().await;
    let a = app.get(&token, "/v1/accounts/2").await;
    TestApp::assert_problem(&a, 500, "internal");
    let mut conn = app.running.state.db.acquire().await.unwrap();
    let e = store::accounts::emails(&mut conn, 2).await.unwrap_err();
    let chain = format!("{:#}", anyhow::Error::from(e));
    assert!(chain.contains("account_emails") && chain.contains("verified") && chain.contains("0/1"), "{chain}");
}

/// Every line the service logs at error level, from every test of this binary (a subscriber is
/// process-wide; a test looks for its own line).
fn error_log() -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    use std::sync::{Arc, Mutex, OnceLock};
    struct Into(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Into {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::Layer;
        // Spans of every level (they are the context a line names), events at error only.
        let errors = tracing_subscriber::filter::filter_fn(|m| {
            m.target().starts_with("desk_server") && (m.is_span() || *m.level() == tracing::Level::ERROR)
        });
        let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || Into(sink.clone()));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer.with_filter(errors)))
            .expect("the only subscriber of this test binary");
        log
    })
    .clone()
}

#[tokio::test]
async fn a_failed_database_step_is_logged_with_its_route_entry_point_and_ids_and_answered_without_them() {
    use sqlx::Executor;
    let log = error_log();
    let app = TestApp::spawn().await;
    let token = app.agent_token().await;
    app.raw().await.execute("ALTER TABLE outbox RENAME TO outbox_gone").await.unwrap();

    let a = app.password_reset(&token, 3, "broken-outbox-1", crate::helpers::reset_body()).await;
    TestApp::assert_problem(&a, 500, "internal");
    assert!(!a.text.contains("outbox"), "the cause stays in the log: {}", a.text);

    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("internal error") && l.contains("(outbox)") && l.contains("account=3"))
        .unwrap_or_else(|| panic!("no line names the failed step and the account:\n{text}"));
    for part in ["route=/v1/accounts/{id}/password-reset", "recovery.send{", "agent=", "password_reset"] {
        assert!(line.contains(part), "{part} missing from: {line}");
    }
    assert!(!line.contains(&token), "the session token reached the log");
}

/// The "contains" stage reads a window of ids in id order before it turns to the trigram indexes
/// (PostgreSQL); where the window ends must not change which accounts come, or in what order.
#[tokio::test]
async fn the_contains_stage_answers_the_same_whatever_its_window() {
    let app = TestApp::spawn_with(|c| c.demo_accounts = 2000).await;
    let pool = app.running.state.db.pool();
    let names: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, username_lc, display_name_lc FROM accounts").fetch_all(pool).await.unwrap();
    let emails: Vec<(i64, String)> =
        sqlx::query_as("SELECT account_id, email_norm FROM account_emails").fetch_all(pool).await.unwrap();
    let mut conn = app.running.state.db.acquire().await.unwrap();
    // "mar" is common and also a prefix (left out here); "lopez" is inside names and addresses;
    // "qqz" is nowhere.
    for text in ["mar", "lopez", "qqz"] {
        let upper = format!("{text}\u{10FFFF}");
        let in_prefix = |k: &str| k >= text && k < upper.as_str();
        let mut expected: Vec<i64> = names
            .iter()
            .filter(|(_, u, d)| !in_prefix(u) && !in_prefix(d))
            .filter(|(id, u, d)| {
                u.contains(text)
                    || d.contains(text)
                    || emails.iter().any(|(a, e)| a == id && e.split('@').next().unwrap().contains(text))
            })
            .map(|(id, _, _)| *id)
            .collect();
        expected.sort();
        for window in [1, 37, store::accounts::CONTAINS_WINDOW, i64::MAX] {
            let (mut seen, mut after) = (Vec::new(), 0);
            loop {
                let page = store::accounts::by_substring_windowed(&mut conn, text, (text, &upper), after, 9, window)
                    .await
                    .unwrap();
                seen.extend(page.iter().map(|r| r.id));
                match page.last() {
                    Some(last) if page.len() == 9 => after = last.id,
                    _ => break,
                }
            }
            assert_eq!(seen, expected, "{text:?} with a window of {window} ids");
        }
        if text != "qqz" {
            assert!(expected.len() > 18, "{text:?} spans several pages: {}", expected.len());
        }
    }
}
