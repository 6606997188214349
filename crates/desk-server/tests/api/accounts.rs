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

/// Every page of `q` at `limit` a page, followed through its cursors.
async fn all_pages(app: &TestApp, t: &str, q: &str, limit: usize) -> (Vec<i64>, usize) {
    let (mut seen, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let mut path = format!("/v1/accounts?q={q}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let a = app.get(t, &path).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let page = ids(&a);
        assert!(page.len() <= limit);
        seen.extend(page);
        pages += 1;
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (seen, pages),
        }
    }
}

/// The accounts whose username or display name starts with `prefix`, in the order search
/// promises: by the text that matched (the smaller of the two when both do; the username on a
/// tie), then by id.
async fn expected_prefix_order(app: &TestApp, prefix: &str) -> Vec<i64> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, username_lc, display_name_lc FROM accounts")
        .fetch_all(app.running.state.db.pool())
        .await
        .unwrap();
    let mut keyed: Vec<(String, u8, i64)> = rows
        .into_iter()
        .filter_map(|(id, u, d)| match (u.starts_with(prefix), d.starts_with(prefix)) {
            (true, true) if d < u => Some((d, 1, id)),
            (true, _) => Some((u, 0, id)),
            (false, true) => Some((d, 1, id)),
            (false, false) => None,
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, id)| id).collect()
}

#[tokio::test]
async fn search_finds_an_account_by_its_phone_number_however_it_is_written() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    for q in ["%2B1%20415%20555%200100", "%2B1%20(415)%20555-0100", "14155550100"] {
        let a = app.get(&t, &format!("/v1/accounts?q={q}")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(ids(&a).first(), Some(&1), "{q}: {}", a.text);
    }
    // A part of the number finds nothing: a phone number matches on all its digits.
    assert!(ids(&app.get(&t, "/v1/accounts?q=555%200100").await).is_empty());
}

#[tokio::test]
async fn pagination_never_repeats_or_skips() {
    let app = TestApp::spawn_with(|c| c.demo_accounts = 2000).await;
    let t = app.agent_token().await;
    let (seen, pages) = all_pages(&app, &t, "maria", 7).await;
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was served twice");
    assert!(pages > 3, "the test should span several pages");
    assert_eq!(seen, expected_prefix_order(&app, "maria").await, "pages skipped or reordered rows");
}

#[tokio::test]
async fn one_letter_finds_every_account_it_starts_page_by_page_each_once() {
    let app = TestApp::spawn_with(|c| c.demo_accounts = 1500).await;
    let t = app.agent_token().await;
    // "m" starts hundreds of usernames and names, often both for one account ("maria.lopez",
    // "Maria Lopez"): each is served once, in order, across pages of 40.
    let (seen, pages) = all_pages(&app, &t, "M", 40).await;
    let expected = expected_prefix_order(&app, "m").await;
    assert!(expected.len() > 150, "the demo data should hold many m's: {}", expected.len());
    assert!(pages >= expected.len() / 40, "{pages} pages for {}", expected.len());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn an_exact_username_comes_before_longer_ones() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let a = app.get(&t, "/v1/accounts?q=jsmith&limit=3").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["items"][0]["username"], "jsmith", "{}", a.text);
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
async fn short_prefixes_find_accounts_again() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    // Before the search read one page per branch, "ma" matched only a username of exactly "ma".
    let a = app.get(&t, "/v1/accounts?q=ma&limit=25").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 25, "{}", a.text);
    for i in items {
        let (u, d) = (i["username"].as_str().unwrap(), i["display_name"].as_str().unwrap());
        assert!(u.starts_with("ma") || d.to_lowercase().starts_with("ma"), "{u} / {d}");
    }
    assert!(a.body["next_cursor"].is_string());
}
