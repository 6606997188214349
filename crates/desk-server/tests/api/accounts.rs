use std::collections::HashSet;

use crate::helpers::TestApp;

fn ids(a: &crate::helpers::Answer) -> Vec<i64> {
    a.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn search_finds_an_account_by_username() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, "/v1/accounts?q=maria.lopez").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["items"][0]["username"], "maria.lopez");
    assert_eq!(a.body["items"][0]["display_name"], "Maria Lopez");
    assert_eq!(a.body["items"][0]["primary_email"], "m***@example.com");
}

#[tokio::test]
async fn search_finds_an_account_by_a_secondary_address() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, "/v1/accounts?q=m.lopez.work@mail.test").await;
    assert_eq!(ids(&a), vec![1]);
}

#[tokio::test]
async fn search_by_address_ignores_case_and_spaces() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, "/v1/accounts?q=%20JAMES.Smith@EXAMPLE.com%20").await;
    assert_eq!(ids(&a), vec![2]);
}

#[tokio::test]
async fn search_finds_accounts_by_display_name() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, "/v1/accounts?q=Aiko%20Tanaka").await;
    assert!(ids(&a).contains(&3), "{}", a.text);
    for item in a.body["items"].as_array().unwrap() {
        assert!(item["display_name"].as_str().unwrap().to_lowercase().starts_with("aiko tanaka"));
    }
}

#[tokio::test]
async fn search_finds_an_account_by_id() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    assert!(ids(&app.get(&t, "/v1/accounts?q=42").await).contains(&42));
}

#[tokio::test]
async fn pagination_never_repeats_or_skips() {
    let app = TestApp::spawn_with(|c| c.demo_accounts = 2000).await;
    let t = app.agent_token().await;
    // Every account named Maria, page by page.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/accounts?q=maria&limit=7&cursor={c}"),
            None => "/v1/accounts?q=maria&limit=7".to_string(),
        };
        let a = app.get(&t, &path).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let page = ids(&a);
        assert!(page.len() <= 7);
        seen.extend(page);
        pages += 1;
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was served twice");
    let expected: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE username_lc LIKE 'maria%' OR display_name_lc LIKE 'maria%' ORDER BY id",
    )
    .fetch_all(app.running.state.db.pool())
    .await
    .unwrap();
    assert!(pages > 3, "the test should span several pages");
    assert_eq!(seen, expected, "pages skipped or reordered rows");
}

#[tokio::test]
async fn account_detail_is_masked_and_complete() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, "/v1/accounts/1").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["username"], "maria.lopez");
    assert_eq!(a.body["emails"].as_array().unwrap().len(), 2);
    assert_eq!(a.body["emails"][0]["primary"], true);
    assert_eq!(a.body["two_factor"][0]["kind"], "authenticator_app");
    assert_eq!(a.body["security_question_set"], true);
    assert!(!a.text.contains("maria.lopez@example.com"), "full address leaked: {}", a.text);
    assert!(!a.text.contains("m.lopez.work@mail.test"));
    assert!(!a.text.contains("555 0100"), "full phone leaked");
    assert!(!a.text.contains("argon2"), "a hash leaked");
}

#[tokio::test]
async fn unknown_account_is_not_found() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    TestApp::assert_problem(&app.get(&t, "/v1/accounts/999999").await, 404, "not_found");
}

#[tokio::test]
async fn short_queries_match_only_exactly() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    // "ma" is a prefix of hundreds of usernames; under three characters only an exact match counts.
    let a = app.get(&t, "/v1/accounts?q=ma").await;
    assert_eq!(a.status, 200);
    assert!(ids(&a).is_empty(), "{}", a.text);
    assert!(!ids(&app.get(&t, "/v1/accounts?q=mar").await).is_empty());
}
