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
