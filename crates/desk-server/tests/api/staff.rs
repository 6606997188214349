//! Staff administration: invites and enrolment through the pages, roles, disabling, authenticator
//! resets with a second admin's approval, backup codes, single sign-on required.

use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{between, TestApp};

const PASSWORD: &str = "plum orchard seven lanterns";

fn why() -> serde_json::Value {
    json!({"reason": "left the company", "ticket": "HR-7"})
}

async fn agent_id(app: &TestApp, admin: &str, email: &str) -> i64 {
    let list = app.get(admin, "/v1/staff").await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body.as_array().unwrap().iter().find(|m| m["email"] == email).unwrap()["id"].as_i64().unwrap()
}

/// Invites a second admin, who enrols and signs in; answers their session token.
async fn second_admin(app: &TestApp, admin: &str, email: &str) -> String {
    let link = app.invite(admin, email, "Sam Second", "admin").await;
    let enrolled = app.enrol(&link, PASSWORD).await;
    let a = app.sign_in_as(email, PASSWORD, &enrolled.secret).await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_invited_agent_enrols_through_the_link_and_signs_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let link = app.invite(&admin, "new.agent@corp.test", "Nia New", "agent").await;
    let listed = app.get(&admin, "/v1/staff").await;
    let row = listed.body.as_array().unwrap().iter().find(|m| m["email"] == "new.agent@corp.test").unwrap().clone();
    assert_eq!(row["status"], "invited");
    assert_eq!(row["enrolment"], "pending");
    assert!(row["enrolment_link_expires_at"].is_string());

    let e = app.enrol(&link, PASSWORD).await;
    let a = app.sign_in_as("new.agent@corp.test", PASSWORD, &e.secret).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["agent"]["role"], "agent");
    let listed = app.get(&admin, "/v1/staff").await;
    let row = listed.body.as_array().unwrap().iter().find(|m| m["email"] == "new.agent@corp.test").unwrap().clone();
    assert_eq!(row["status"], "active");
    assert_eq!(row["enrolment"], "enrolled");
    assert!(row["last_sign_in_at"].is_string());
    // The link is spent.
    assert_eq!(app.page(&link).await.status, 410);
}

#[tokio::test]
async fn the_enrolment_link_expires_after_48_hours() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let link = app.invite(&admin, "late@corp.test", "Lou Late", "lead").await;
    app.clock.advance(chrono::Duration::hours(48));
    let a = app.page(&link).await;
    assert_eq!(a.status, 410);
    assert!(a.text.contains("expired"));
}

#[tokio::test]
async fn short_and_common_passwords_are_refused_on_the_enrolment_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let link = app.invite(&admin, "pw@corp.test", "Pat Word", "agent").await;
    for bad in ["short-one", "qwerty123456", "Iloveyou2024!", "1q2w3e4r5t6y"] {
        let a = app.post_form(&link, &[("password", bad), ("confirm", bad)]).await;
        assert_eq!(a.status, 422, "{bad} was accepted: {}", a.text);
        assert!(a.text.contains("class=\"error\""));
    }
    let a = app.post_form(&link, &[("password", PASSWORD), ("confirm", "something else entirely")]).await;
    assert_eq!(a.status, 422);
    assert!(a.text.contains("differ"));
}

#[tokio::test]
async fn the_secret_is_shown_once_and_a_half_enrolled_member_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let link = app.invite(&admin, "half@corp.test", "Hal Half", "agent").await;
    let qr = app.post_form(&link, &[("password", PASSWORD), ("confirm", PASSWORD)]).await;
    let secret = between(&qr.text, "<code>", "</code>").unwrap().to_string();
    assert!(qr.text.contains("otpauth://totp/Recovery%20Desk:half@corp.test?secret="));
    app.secrets.lock().unwrap().push(secret.clone());
    // Reloading the link shows no secret again.
    let again = app.page(&link).await;
    assert_eq!(again.status, 200);
    assert!(!again.text.contains(&secret) && !again.text.contains("otpauth"));
    // Password and a right code, but the authenticator is not confirmed: no session.
    let a = app.sign_in_as("half@corp.test", PASSWORD, &secret).await;
    TestApp::assert_problem(&a, 401, "invalid_credentials");
    // A wrong first code is refused; the right one finishes.
    let wrong = app.post_form(&format!("{link}/confirm"), &[("code", "000000")]).await;
    assert_eq!(wrong.status, 422);
    let done = app.post_form(&format!("{link}/confirm"), &[("code", &app.totp_now(&secret))]).await;
    assert_eq!(done.status, 200, "{}", done.text);
    // The confirming code cannot sign in a second time.
    let replay = app
        .send(app.req(Method::POST, "/v1/sessions").json(&json!({
            "email": "half@corp.test", "password": PASSWORD, "totp": app.totp_now(&secret)
        })))
        .await;
    TestApp::assert_problem(&replay, 401, "invalid_credentials");
}

#[tokio::test]
async fn the_enrolment_link_completes_once_under_concurrent_confirmations() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let link = app.invite(&admin, "race@corp.test", "Rae Race", "agent").await;
    let qr = app.post_form(&link, &[("password", PASSWORD), ("confirm", PASSWORD)]).await;
    let secret = between(&qr.text, "<code>", "</code>").unwrap().to_string();
    app.secrets.lock().unwrap().push(secret.clone());
    let code = app.totp_now(&secret);
    let tries = (0..24).map(|_| app.post_form_owned(format!("{link}/confirm"), code.clone()));
    let answers = futures_util::future::join_all(tries).await;
    let enrolled = answers.iter().filter(|a| a.status == 200 && a.text.contains("You are enrolled")).count();
    assert_eq!(enrolled, 1, "statuses: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_backup_codes WHERE used_ms IS NULL")
        .fetch_one(app.running.state.db.pool())
        .await
        .unwrap();
    assert_eq!(codes, 10, "one set of backup codes, not one per racer");
}

#[tokio::test]
async fn a_backup_code_signs_in_once_even_when_raced() {
    let app = TestApp::spawn_with(|c| {
        c.sign_in_max_failures = 1000;
        c.sign_in_account_max_failures = 1000;
        c.sign_in_client_max_failures = 1000;
    })
    .await;
    let admin = app.admin_token().await;
    let link = app.invite(&admin, "backup@corp.test", "Bea Backup", "agent").await;
    let e = app.enrol(&link, PASSWORD).await;
    let code = e.backup_codes[0].clone();
    let tries = (0..20).map(|_| {
        app.send(app.req(Method::POST, "/v1/sessions").json(&json!({
            "email": "backup@corp.test", "password": PASSWORD, "totp": code.to_uppercase()
        })))
    });
    let answers = futures_util::future::join_all(tries).await;
    let ok = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(ok, 1, "statuses: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    // Another backup code still works; a wrong password with a good code does not spend it.
    let wrong = app
        .send(app.req(Method::POST, "/v1/sessions").json(&json!({
            "email": "backup@corp.test", "password": "not the password", "totp": e.backup_codes[1]
        })))
        .await;
    assert_eq!(wrong.status, 401);
    let next = app
        .send(app.req(Method::POST, "/v1/sessions").json(&json!({
            "email": "backup@corp.test", "password": PASSWORD, "totp": e.backup_codes[1]
        })))
        .await;
    assert_eq!(next.status, 201, "{}", next.text);
}

#[tokio::test]
async fn disabling_ends_every_session_at_once_and_re_enabling_lets_them_back() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let t1 = app.agent_token().await;
    let t2 = app.agent_token().await;
    let id = agent_id(&app, &admin, AGENT_EMAIL).await;
    let a = app.post_json(&admin, &format!("/v1/staff/{id}/disable"), why()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["status"], "disabled");
    for t in [&t1, &t2] {
        TestApp::assert_problem(&app.get(t, "/v1/me").await, 401, "session_expired");
    }
    let revoked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM agent_sessions WHERE agent_id = $1 AND revoked_ms IS NULL")
            .bind(id)
            .fetch_one(app.running.state.db.pool())
            .await
            .unwrap();
    assert_eq!(revoked, 0, "every session row is revoked, not only refused");
    TestApp::assert_problem(&app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await, 401, "invalid_credentials");
    TestApp::assert_problem(
        &app.post_json(&admin, &format!("/v1/staff/{id}/disable"), why()).await,
        409,
        "invalid_state",
    );
    let a = app.post_json(&admin, &format!("/v1/staff/{id}/enable"), why()).await;
    assert_eq!(a.status, 200);
    assert_eq!(app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await.status, 201);
    // Both changes are on record with reason and ticket.
    let audit = app.get(&admin, "/v1/audit?action=staff_disable").await;
    let e = &audit.body["items"][0];
    assert_eq!(e["reason"], "left the company");
    assert_eq!(e["ticket"], "HR-7");
    assert_eq!(e["target_id"], id.to_string());
}

#[tokio::test]
async fn roles_change_but_the_last_admin_stays_and_nobody_disables_themselves() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let id = agent_id(&app, &admin, AGENT_EMAIL).await;
    let a = app
        .post_json(
            &admin,
            &format!("/v1/staff/{id}/role"),
            json!({"role": "lead", "reason": "promoted", "ticket": "HR-2"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["role"], "lead");
    // The agent, now a lead, reads the audit log.
    let t = app.agent_token().await;
    assert_eq!(app.get(&t, "/v1/audit").await.status, 200);

    let me = agent_id(&app, &admin, desk_server::demo::ADMIN_EMAIL).await;
    let a = app
        .post_json(
            &admin,
            &format!("/v1/staff/{me}/role"),
            json!({"role": "lead", "reason": "stepping down", "ticket": "HR-3"}),
        )
        .await;
    TestApp::assert_problem(&a, 409, "last_admin");
    let a = app.post_json(&admin, &format!("/v1/staff/{me}/disable"), why()).await;
    TestApp::assert_problem(&a, 403, "own_change");
    let a = app
        .post_json(&admin, "/v1/staff/9999/role", json!({"role": "lead", "reason": "x y z", "ticket": "HR-3"}))
        .await;
    TestApp::assert_problem(&a, 404, "not_found");
    let a = app
        .post_json(&admin, &format!("/v1/staff/{id}/role"), json!({"role": "lead", "reason": "", "ticket": "HR-3"}))
        .await;
    TestApp::assert_problem(&a, 422, "invalid_input");
}

#[tokio::test]
async fn an_invite_of_an_enrolled_address_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let a = app
        .post_json(
            &admin,
            "/v1/staff/invites",
            json!({"email": AGENT_EMAIL, "name": "X", "role": "agent", "reason": "again", "ticket": "HR-1"}),
        )
        .await;
    TestApp::assert_problem(&a, 409, "staff_exists");
    let a = app
        .post_json(
            &admin,
            "/v1/staff/invites",
            json!({"email": "not-an-address", "name": "X", "role": "agent", "reason": "again", "ticket": "HR-1"}),
        )
        .await;
    TestApp::assert_problem(&a, 422, "invalid_input");
}

#[tokio::test]
async fn an_authenticator_reset_needs_a_second_admin_and_then_a_new_enrolment() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let admin2 = second_admin(&app, &admin, "second.admin@corp.test").await;
    let agent_token = app.agent_token().await;
    let id = agent_id(&app, &admin, AGENT_EMAIL).await;

    let a = app
        .post_json(&admin, &format!("/v1/staff/{id}/mfa-reset"), json!({"reason": "lost phone", "ticket": "IT-9"}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let reset = a.body["pending_mfa_reset"]["id"].as_i64().unwrap();
    assert_eq!(a.body["pending_mfa_reset"]["requested_by"], "Ada Admin");
    TestApp::assert_problem(
        &app.post_json(&admin, &format!("/v1/staff/{id}/mfa-reset"), json!({"reason": "lost phone", "ticket": "IT-9"}))
            .await,
        409,
        "invalid_state",
    );
    // The maker cannot be the checker.
    let own = app
        .post_json(
            &admin,
            &format!("/v1/staff/mfa-resets/{reset}/approve"),
            json!({"reason": "approved", "ticket": "IT-9"}),
        )
        .await;
    TestApp::assert_problem(&own, 403, "own_change");
    // Until approved, nothing changed.
    assert_eq!(app.get(&agent_token, "/v1/me").await.status, 200);

    // Dozens of approvals at once: exactly one takes effect.
    let path = format!("/v1/staff/mfa-resets/{reset}/approve");
    let tries =
        (0..20).map(|_| app.post_json(&admin2, &path, json!({"reason": "verified by video call", "ticket": "IT-9"})));
    let answers = futures_util::future::join_all(tries).await;
    assert_eq!(answers.iter().filter(|a| a.status == 200).count(), 1);
    assert!(answers.iter().filter(|a| a.status != 200).all(|a| a.status == 409 && a.body["code"] == "invalid_state"));
    let after = answers.iter().find(|a| a.status == 200).unwrap();
    assert_eq!(after.body["enrolment"], "authenticator_reset");
    assert!(after.body["pending_mfa_reset"].is_null());

    // The old authenticator and every session are gone.
    TestApp::assert_problem(&app.get(&agent_token, "/v1/me").await, 401, "session_expired");
    TestApp::assert_problem(&app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await, 401, "invalid_credentials");

    // The mailed link asks for the current password, then a new authenticator.
    let link = app.link_for(AGENT_EMAIL, "enrol").await;
    let wrong = app.post_form(&link, &[("password", "not my password")]).await;
    assert_eq!(wrong.status, 422);
    let e = app.enrol_with_current_password(&link, AGENT_PASSWORD).await;
    assert_eq!(app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, &e).await.status, 201);
}

#[tokio::test]
async fn an_admin_cannot_approve_a_reset_of_their_own_authenticator() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let admin2 = second_admin(&app, &admin, "second.admin@corp.test").await;
    let me = agent_id(&app, &admin, desk_server::demo::ADMIN_EMAIL).await;
    let a = app
        .post_json(&admin2, &format!("/v1/staff/{me}/mfa-reset"), json!({"reason": "lost phone", "ticket": "IT-9"}))
        .await;
    let reset = a.body["pending_mfa_reset"]["id"].as_i64().unwrap();
    let own = app
        .post_json(
            &admin,
            &format!("/v1/staff/mfa-resets/{reset}/approve"),
            json!({"reason": "approved", "ticket": "IT-9"}),
        )
        .await;
    TestApp::assert_problem(&own, 403, "own_change");
}

#[tokio::test]
async fn when_single_sign_on_is_required_password_sign_in_is_refused() {
    let app = TestApp::spawn_with(|c| {
        c.oidc = Some(desk_server::config::OidcConfig {
            issuer: "http://127.0.0.1:9/".into(),
            client_id: "desk-console".into(),
            user_claim: "email".into(),
            groups_claim: "groups".into(),
            role_groups: Default::default(),
            scopes: "openid email".into(),
        })
    })
    .await;
    let admin = app.admin_token().await;
    let a = app
        .send(
            app.req(Method::PUT, "/v1/settings/sso")
                .bearer_auth(&admin)
                .json(&json!({"required": true, "reason": "company policy", "ticket": "SEC-1"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["required"], true);
    let refused = app.sign_in_as(AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP).await;
    TestApp::assert_problem(&refused, 403, "sso_required");
    // A wrong password still says only that the credentials are wrong.
    TestApp::assert_problem(
        &app.sign_in_as(AGENT_EMAIL, "wrong password", AGENT_TOTP).await,
        401,
        "invalid_credentials",
    );
}

#[tokio::test]
async fn single_sign_on_cannot_be_required_without_a_provider() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let a = app
        .send(
            app.req(Method::PUT, "/v1/settings/sso")
                .bearer_auth(&admin)
                .json(&json!({"required": true, "reason": "company policy", "ticket": "SEC-1"})),
        )
        .await;
    TestApp::assert_problem(&a, 409, "invalid_state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let ada = app.admin_token().await;
    let bea = second_admin(&app, &ada, "bea@corp.test").await;
    let ada_id = agent_id(&app, &ada, desk_server::demo::ADMIN_EMAIL).await;
    let bea_id = agent_id(&app, &ada, "bea@corp.test").await;
    // Twenty requests at once: half of them Ada demoting Bea, half Bea demoting Ada.
    let pairs = std::sync::Arc::new([(ada, bea_id), (bea, ada_id)]);
    let answers = app
        .concurrently(20, move |app, i| {
            let pairs = pairs.clone();
            async move {
                let (token, target) = &pairs[i % 2];
                let body = json!({"role": "lead", "reason": "reorganised", "ticket": "HR-9"});
                app.post_json(token, &format!("/v1/staff/{target}/role"), body).await
            }
        })
        .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    // 200 for the one demotion that went through; the demoted admin's own requests are then
    // forbidden (403), and a demotion that would leave no admin is refused (409).
    assert!(statuses.iter().all(|s| [200, 403, 409].contains(s)), "{statuses:?}");
    let admins: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agents WHERE role = 'admin' AND disabled = 0 AND enrolled_ms IS NOT NULL",
    )
    .fetch_one(app.running.state.db.pool())
    .await
    .unwrap();
    assert_eq!(admins, 1, "{statuses:?}");
}
