//! A staff session over the real sign-in, and a walk of the audit chain, for the test binaries
//! and benches that start a service of their own (the API suite has `TestApp`).

use desk_server::{Clock, SystemClock};

/// Signs in over HTTP with the current TOTP code and answers the session token.
pub async fn sign_in(http: &reqwest::Client, url: &str, email: &str, password: &str, secret: &str) -> String {
    let code = desk_server::totp::code_at(secret, SystemClock.now_ms() / 1000).unwrap();
    let v = answer(http.post(format!("{url}/v1/sessions")).json(&serde_json::json!({
        "email": email, "password": password, "totp": code
    })))
    .await;
    v["token"].as_str().unwrap_or_else(|| panic!("sign-in: {v}")).to_string()
}

/// Walks `/v1/audit/verify` to the end of the chain, page by page, as the console does; fails if
/// the chain is broken, and answers how many entries were checked.
#[allow(dead_code)]
pub async fn verify_chain(http: &reqwest::Client, url: &str, token: &str) -> u64 {
    let (mut after, mut checked) = (0i64, 0u64);
    loop {
        let page = [("after", after.to_string()), ("limit", "5000".into())];
        let v = answer(http.get(format!("{url}/v1/audit/verify")).query(&page).bearer_auth(token)).await;
        assert!(v["broken"].is_null(), "the chain is broken: {v}");
        checked += v["checked"].as_u64().unwrap();
        after = v["last_id"].as_i64().unwrap();
        if v["done"] == true {
            return checked;
        }
    }
}

/// Sends a request and reads its answer as JSON; any failure on the way fails the test.
pub async fn answer(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.expect("the service answers").json().await.expect("a JSON answer")
}
