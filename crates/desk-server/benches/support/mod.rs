//! What both benches need: a staff session over the real sign-in.

use desk_server::{Clock, SystemClock};

/// Signs in over HTTP with the current TOTP code and answers the session token.
pub async fn token(http: &reqwest::Client, url: &str, email: &str, pw: &str, secret: &str) -> String {
    let code = desk_server::totp::code_at(secret, SystemClock.now_ms() / 1000).unwrap();
    let v: serde_json::Value = http
        .post(format!("{url}/v1/sessions"))
        .json(&serde_json::json!({"email": email, "password": pw, "totp": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().expect("signed in").to_string()
}
