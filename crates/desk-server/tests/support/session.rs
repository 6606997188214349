//! A staff session over the real sign-in, for the test binaries and benches that start a service
//! of their own (the API suite has `TestApp`).

use desk_server::{Clock, SystemClock};

/// Signs in over HTTP with the current TOTP code and answers the session token.
pub async fn sign_in(http: &reqwest::Client, url: &str, email: &str, password: &str, secret: &str) -> String {
    let code = desk_server::totp::code_at(secret, SystemClock.now_ms() / 1000).unwrap();
    let v: serde_json::Value = http
        .post(format!("{url}/v1/sessions"))
        .json(&serde_json::json!({"email": email, "password": password, "totp": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap_or_else(|| panic!("sign-in: {v}")).to_string()
}
