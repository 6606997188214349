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
    assert_eq!(a.body["items"][0]["primary_email"], "m***z@example.com");
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

/// After the prefix matches: the accounts whose username, display name or an address's local
/// part contains `text` (three characters or more), in id order.
async fn expected_contains_order(app: &TestApp, text: &str, shown: &[i64]) -> Vec<i64> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, username_lc, display_name_lc FROM accounts")
        .fetch_all(app.running.state.db.pool())
        .await
        .unwrap();
    let emails: Vec<(i64, String)> = sqlx::query_as("SELECT account_id, email_norm FROM account_emails")
        .fetch_all(app.running.state.db.pool())
        .await
        .unwrap();
    let local_has = |id: i64| emails.iter().any(|(a, e)| *a == id && e.split('@').next().unwrap().contains(text));
    let mut ids: Vec<i64> = rows
        .into_iter()
        .filter(|(id, u, d)| !shown.contains(id) && (u.contains(text) || d.contains(text) || local_has(*id)))
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    ids
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
    // "mar" starts Maria's names and is inside Omar's, Amara's and Martin's.
    let (seen, pages) = all_pages(&app, &t, "mar", 20).await;
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was served twice");
    let mut expected = expected_prefix_order(&app, "mar").await;
    let contains = expected_contains_order(&app, "mar", &expected).await;
    assert!(expected.len() > 40 && contains.len() > 40, "several pages of each: {} {}", expected.len(), contains.len());
    assert!(pages > 4, "the test should span several pages");
    expected.extend(contains);
    assert_eq!(seen, expected, "pages skipped or reordered rows (prefixes, then the rest that contains it)");
}

#[tokio::test]
async fn a_part_of_a_name_username_or_address_finds_the_account_after_the_prefix_matches() {
    let app = TestApp::spawn().await;
    let t = app.agent_token().await;
    let pool = app.running.state.db.pool();
    // (id, username, display name, addresses): a prefix match, a name, a username and a local
    // part that contain "zyxw", and one whose address has it only in the domain.
    let people: [(i64, &str, &str, &[&str]); 5] = [
        (90_001, "zyxwfan", "Quinn Q", &["q1@mail.test"]),
        (90_002, "qq2", "Ana Zyxwvut", &["q2@mail.test"]),
        (90_003, "q.zyxwv", "Bo B", &[]),
        (90_004, "qq4", "Cy C", &["cy@mail.test", "cy.zyxw.work@mail.test"]),
        (90_005, "qq5", "Di D", &["di@zyxw.example"]),
    ];
    for (id, user, name, addresses) in people {
        sqlx::query(
            "INSERT INTO accounts (id, username, username_lc, display_name, display_name_lc, status, country, created_ms) \
             VALUES ($1, $2, $3, $4, $5, 'active', 'US', 0)",
        )
        .bind(id)
        .bind(user)
        .bind(user.to_lowercase())
        .bind(name)
        .bind(name.to_lowercase())
        .execute(pool)
        .await
        .unwrap();
        for (n, e) in addresses.iter().enumerate() {
            sqlx::query(
                "INSERT INTO account_emails (account_id, email, email_norm, email_canon, is_primary, verified) \
                 VALUES ($1, $2, $2, $2, $3, 1)",
            )
            .bind(id)
            .bind(*e)
            .bind(i64::from(n == 0))
            .execute(pool)
            .await
            .unwrap();
        }
    }
    let a = app.get(&t, "/v1/accounts?q=ZyXw").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(ids(&a), vec![90_001, 90_002, 90_003, 90_004], "the prefix match first, then by id; not the domain");
    // Page by page, across the change from prefixes to the rest, each once.
    let (seen, pages) = all_pages(&app, &t, "zyxw", 1).await;
    assert_eq!((seen, pages), (vec![90_001, 90_002, 90_003, 90_004], 4));
    // An address changed later is found by its new local part (and no longer by the old one).
    sqlx::query("UPDATE account_emails SET email = 'di.zyxw@mail.test', email_norm = 'di.zyxw@mail.test' WHERE account_id = 90005")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(ids(&app.get(&t, "/v1/accounts?q=zyxw").await), vec![90_001, 90_002, 90_003, 90_004, 90_005]);
    sqlx::query("DELETE FROM account_emails WHERE account_id = 90004").execute(pool).await.unwrap();
    assert_eq!(ids(&app.get(&t, "/v1/accounts?q=zyxw").await), vec![90_001, 90_002, 90_003, 90_005]);
    // Two letters are prefixes only; the wildcards and quotes of either backend are plain text.
    assert_eq!(ids(&app.get(&t, "/v1/accounts?q=yx").await), Vec::<i64>::new());
    for q in ["%25%25%25", "___", "y_x", "%22zyxw", "zy%22xw%22", "*zyx", "zyxw%20OR%20a"] {
        let a = app.get(&t, &format!("/v1/accounts?q={q}")).await;
        assert_eq!(a.status, 200, "{q}: {}", a.text);
        assert_eq!(ids(&a), Vec::<i64>::new(), "{q} is text, not a pattern");
    }
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
