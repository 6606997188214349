//! The app's commands on Tauri's mock runtime, against a real service: what the webview can call,
//! and what it gets back (never a token).

use std::sync::Arc;

use desk_client::{MemoryStore, TokenStore};
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP};
use desk_server::test_support::{agent_sign_in, sign_in_form, spawn_service, totp_now as code_now, TestService};
use desk_server::Config;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

fn invoke(webview: &tauri::WebviewWindow<tauri::test::MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|b| b.deserialize::<Value>().unwrap())
}

/// The app on Tauri's mock runtime with its main webview, as every command test needs it.
fn console(
    store: Arc<dyn TokenStore>,
    server_url: String,
) -> (tauri::App<tauri::test::MockRuntime>, tauri::WebviewWindow<tauri::test::MockRuntime>) {
    let app = recovery_desk_lib::build(mock_builder(), store, server_url).build(mock_context(noop_assets())).unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    (app, webview)
}

/// A real service on a fresh demo database, on a free port; `tweak` changes its settings. The
/// folder must live as long as the service.
fn service(rt: &tokio::runtime::Runtime, tweak: impl FnOnce(&mut Config)) -> (desk_server::Running, tempfile::TempDir) {
    let TestService { running, dir, .. } = rt.block_on(spawn_service(tweak));
    (running, dir)
}

fn totp_now() -> String {
    code_now(AGENT_TOTP)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn commands_drive_sign_in_search_and_reset_and_never_hand_out_the_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, _dir) = service(&rt, |c| c.demo_accounts = 100);
    let url = running.url();

    let store = Arc::new(MemoryStore::default());
    let (_app, webview) = console(store.clone(), url.clone());

    // Every command's answer is recorded, to be scanned for the token once it is known.
    let answers = std::cell::RefCell::new(Vec::<(String, String)>::new());
    let call = |cmd: &str, args: Value| {
        let answer = invoke(&webview, cmd, args);
        let text = match &answer {
            Ok(v) | Err(v) => v.to_string(),
        };
        answers.borrow_mut().push((cmd.to_string(), text));
        answer
    };
    let status = call("session_status", json!({})).unwrap();
    assert_eq!(status["signed_in"], false);
    assert_eq!(status["server_url"], url.as_str(), "the default server URL is offered");
    assert_eq!(status["idle_lock_secs"], 15 * 60, "the idle lock's default reaches the UI");

    let err = call("search_accounts", json!({"q": "maria", "cursor": null})).unwrap_err();
    assert_eq!(err["code"], "not_signed_in");

    let form = |password: &str| json!({"form": {"server_url": url, "email": AGENT_EMAIL, "password": password, "totp": totp_now(), "stay_signed_in": true}});
    let err = call("sign_in", form("wrong")).unwrap_err();
    assert_eq!(err["code"], "invalid_credentials");
    assert!(err["message"].is_string());

    let status = call("sign_in", form(AGENT_PASSWORD)).unwrap();
    assert_eq!(status["signed_in"], true);
    assert_eq!(status["agent"]["email"], AGENT_EMAIL);
    let token = store.load().unwrap().expect("stay signed in saved the session").token;

    let page = call("search_accounts", json!({"q": "maria.lopez", "cursor": null})).unwrap();
    assert_eq!(page["items"][0]["username"], "maria.lopez");
    let id = page["items"][0]["id"].as_i64().unwrap();

    let detail = call("get_account", json!({"id": id})).unwrap();
    assert_eq!(detail["username"], "maria.lopez");

    let args =
        json!({"id": id, "request": {"reason": "forgot_password", "ticket": "SUP-9"}, "idempotencyKey": "cmd-test-1"});
    let sent = call("send_password_reset", args.clone()).unwrap();
    assert_eq!(sent["email"]["status"], "queued");
    let replay = call("send_password_reset", args).unwrap();
    assert_eq!(replay, sent, "the same key answers the first result");

    let again =
        json!({"id": id, "request": {"reason": "forgot_password", "ticket": "SUP-9"}, "idempotencyKey": "cmd-test-2"});
    let err = call("send_password_reset", again).unwrap_err();
    assert_eq!(err["code"], "cooldown");
    assert!(err["retry_after"].as_u64().unwrap() > 0);

    let bad = json!({"id": id, "request": {"reason": "forgot_password", "ticket": ""}, "idempotencyKey": "cmd-test-3"});
    let err = call("send_password_reset", bad).unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(err["field"], "ticket");

    let status = call("sign_out", json!({})).unwrap();
    assert_eq!(status["signed_in"], false);
    assert!(store.load().unwrap().is_none(), "sign-out deletes the saved session");

    // Every answer any command gave the webview, success or error, is free of the token.
    let answers = answers.into_inner();
    assert!(answers.len() >= 10, "{} answers recorded", answers.len());
    for (cmd, answer) in &answers {
        assert!(!answer.contains(token.expose()), "{cmd} handed the token to the webview: {answer}");
    }

    rt.block_on(running.stop());
}

#[test]
fn only_registered_commands_exist() {
    let (_app, webview) = console(Arc::new(MemoryStore::default()), "http://127.0.0.1:9".into());
    // The registered list, read from the app's source: each one is there, whatever its arguments.
    let source = include_str!("../src/lib.rs");
    let handler =
        source.split("generate_handler![").nth(1).and_then(|s| s.split(']').next()).expect("the handler list");
    let registered: Vec<&str> =
        handler.split(',').filter_map(|e| e.trim().rsplit("::").next()).filter(|n| !n.is_empty()).collect();
    assert!(registered.len() > 40, "read {} commands from the handler list", registered.len());
    let not_found = |cmd: &str| match invoke(&webview, cmd, json!({})) {
        Ok(_) => false,
        Err(e) => e.as_str().is_some_and(|t| t.contains("not found")),
    };
    for cmd in &registered {
        assert!(!not_found(cmd), "{cmd} is registered but not found");
    }
    // Anything else is not found: other names, near misses, a module path, plugin commands.
    for cmd in [
        "read_file",
        "SIGN_IN",
        "sign_in ",
        "signIn",
        "commands::sign_in",
        "plugin:fs|read_file",
        "plugin:shell|execute",
        "__cmd__",
        "",
    ] {
        assert!(not_found(cmd), "{cmd:?} answered as if it were a command");
    }
}

#[test]
fn audit_commands_serve_leads_and_refuse_agents() {
    use desk_server::demo::{LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
    use tauri::Manager;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, _dir) = service(&rt, |_| {});
    let url = running.url();
    let app = recovery_desk_lib::build(mock_builder(), Arc::new(MemoryStore::default()), url.clone())
        .build(mock_context(noop_assets()))
        .unwrap();
    let exports = tempfile::tempdir().unwrap();
    app.manage(recovery_desk_lib::save::SavePath(Arc::new(recovery_desk_lib::save::IntoDir(exports.path().into()))));
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();

    let agent = json!({"form": agent_sign_in(&url, false)});
    invoke(&webview, "sign_in", agent).unwrap();
    let err = invoke(&webview, "audit_query", json!({"filter": {}, "cursor": null})).unwrap_err();
    assert_eq!(err["code"], "forbidden");
    assert_eq!(invoke(&webview, "list_agents", json!({})).unwrap_err()["code"], "forbidden");
    invoke(&webview, "sign_out", json!({})).unwrap();

    let lead = json!({"form": sign_in_form(&url, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP, false)});
    invoke(&webview, "sign_in", lead).unwrap();
    let page = invoke(&webview, "audit_query", json!({"filter": {"action": "sign_in"}, "cursor": null})).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "the agent's and the lead's sign-ins: {page}");
    let agents = invoke(&webview, "list_agents", json!({})).unwrap();
    let names: Vec<&str> = agents.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3, "the demo's agent, lead and admin: {agents}");
    // A period over a year is cut to the year before `to`, and the answer says so.
    let figures =
        invoke(&webview, "audit_figures", json!({"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}))
            .unwrap();
    assert_eq!(
        (figures["from"].as_str(), figures["to"].as_str()),
        (Some("2098-12-31T00:00:00Z"), Some("2100-01-01T00:00:00Z"))
    );
    let now = chrono::Utc::now();
    let figures = invoke(&webview, "audit_figures", json!({"from": (now - chrono::Duration::days(1)).to_rfc3339(), "to": (now + chrono::Duration::minutes(1)).to_rfc3339()})).unwrap();
    assert_eq!(figures["agents"].as_array().unwrap().len(), 3);

    // Channels need a callback id on the mock runtime: ids the test makes up.
    let verify = invoke(&webview, "audit_verify", json!({"onProgress": "__CHANNEL__:7"})).unwrap();
    assert_eq!(verify["ok"], true, "{verify}");
    let exported =
        invoke(&webview, "audit_export", json!({"format": "ndjson", "filter": {}, "onProgress": "__CHANNEL__:8"}))
            .unwrap();
    let path = exported["path"].as_str().unwrap();
    assert!(path.starts_with(exports.path().to_str().unwrap()));
    let lines = std::fs::read_to_string(path).unwrap().lines().count() as u64;
    assert_eq!(exported["entries"].as_u64().unwrap(), lines);
    rt.block_on(running.stop());
}

#[test]
fn recovery_commands_reach_the_service() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The reveal without a caller verification first; `account_action_commands…` verifies.
    let (running, _dir) = service(&rt, |c| {
        c.caller_verification_required = vec![];
    });
    let url = running.url();
    let (_app, webview) = console(Arc::new(MemoryStore::default()), url.clone());
    let form = json!({"form": agent_sign_in(&url, false)});
    invoke(&webview, "sign_in", form).unwrap();

    let sent = invoke(
        &webview,
        "send_answer_reset",
        json!({"id": 2, "request": {"reason": "forgot_password", "ticket": "SUP-3"}, "idempotencyKey": "ans-1"}),
    )
    .unwrap();
    assert_eq!(sent["email"]["status"], "queued");
    let activity = invoke(&webview, "account_activity", json!({"id": 2, "cursor": null})).unwrap();
    assert_eq!(activity["items"][0]["kind"], "agent_sent");
    let check = invoke(&webview, "check_address", json!({"id": 2, "address": "JAMES.SMITH@example.com"})).unwrap();
    assert_eq!(check["matches"], true);
    let err = invoke(&webview, "check_address", json!({"id": 2, "address": "nope"})).unwrap_err();
    assert_eq!(err["field"], "address");
    let detail = invoke(&webview, "get_account", json!({"id": 2})).unwrap();
    let email_id = detail["emails"][0]["id"].as_i64().unwrap();
    let revealed = invoke(
        &webview,
        "reveal_address",
        json!({"id": 2, "emailId": email_id, "request": {"reason": "the user spells it out", "ticket": "SUP-3"}}),
    )
    .unwrap();
    assert_eq!(revealed["address"], "james.smith@example.com");
    rt.block_on(running.stop());
}

#[test]
fn queue_commands_claim_decide_and_release() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, _dir) = service(&rt, |c| c.demo_requests = 0);
    let url = running.url();
    let now = unix_now() * 1000;
    for i in 0..2 {
        rt.block_on(
            sqlx::query(
                "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, new_value, \
                 identifier, contact_email, full_name, country, statement, facts, submitted_ms, sla_due_ms, \
                 updated_ms, account_id) \
                 VALUES ($1, 'open', 'low', '[\"The contact address is on the account\"]', 'phone', \
                 '+1 555 0100 777', 'jsmith', 'james.smith@example.com', 'James Smith', 'GB', 'lost my phone', \
                 '[]', $2, $2, $2, 2)",
            )
            .bind(format!("SD-CMD0000{i}"))
            .bind(now + i)
            .execute(running.state.db.pool()),
        )
        .unwrap();
    }
    let (_app, webview) = console(Arc::new(MemoryStore::default()), url.clone());
    invoke(&webview, "sign_in", json!({"form": agent_sign_in(&url, false)})).unwrap();

    let counts = invoke(&webview, "queue_counts", json!({})).unwrap();
    assert!(counts.as_array().unwrap().iter().any(|c| c["state"] == "open" && c["count"] == 2), "{counts}");
    let list = invoke(&webview, "queue_list", json!({"filter": {"state": "open"}, "cursor": null})).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let claimed = invoke(&webview, "queue_claim_next", json!({})).unwrap();
    let id = claimed["item"]["id"].as_i64().unwrap();
    assert_eq!(claimed["item"]["reference"], "SD-CMD00000", "the one due first");
    assert_eq!(invoke(&webview, "request_renew", json!({"id": id})).unwrap()["item"]["state"], "claimed");
    let noted = invoke(&webview, "request_note", json!({"id": id, "text": "called the user"})).unwrap();
    assert_eq!(noted["notes"][0]["text"], "called the user");
    let err = invoke(
        &webview,
        "request_decide",
        json!({"id": id, "decision": {"decision": "approve", "checklist": [], "note": "ok"}, "idempotencyKey": "cmd-1"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "checklist_incomplete");
    let checklist = claimed["checklist"].clone();
    let approve = json!({"id": id, "decision": {"decision": "approve", "checklist": checklist, "note": "facts match"},
                         "idempotencyKey": "cmd-2"});
    let done = invoke(&webview, "request_decide", approve.clone()).unwrap();
    assert_eq!(done["item"]["state"], "approved");
    // The same action again (a retry under its key) decides nothing twice: it answers the request.
    let again = invoke(&webview, "request_decide", approve).unwrap();
    assert_eq!(again["item"]["state"], "approved");
    assert_eq!(again["steps"].as_array().unwrap().len(), done["steps"].as_array().unwrap().len());
    let err = invoke(&webview, "request_second_approval", json!({"id": id, "note": "x", "idempotencyKey": "cmd-3"}))
        .unwrap_err();
    assert_eq!(err["code"], "forbidden");
    let other = invoke(&webview, "queue_claim_next", json!({})).unwrap();
    let other_id = other["item"]["id"].as_i64().unwrap();
    invoke(&webview, "request_release", json!({"id": other_id})).unwrap();
    assert_eq!(invoke(&webview, "request_detail", json!({"id": other_id})).unwrap()["item"]["state"], "open");
    let err = invoke(&webview, "request_evidence", json!({"id": other_id, "fileId": 1})).unwrap_err();
    assert_eq!(err["code"], "not_found");
    rt.block_on(running.stop());
}

#[test]
fn account_action_commands_verify_the_caller_then_unlock_end_sessions_and_send_a_verification() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, _dir) = service(&rt, |_| {});
    let db = running.state.db.pool().clone();
    rt.block_on(sqlx::query("UPDATE accounts SET status = 'locked' WHERE id = 1").execute(&db)).unwrap();
    let url = running.url();
    let (_app, webview) = console(Arc::new(MemoryStore::default()), url.clone());
    let form = json!({"form": agent_sign_in(&url, false)});
    invoke(&webview, "sign_in", form).unwrap();
    let req = json!({"reason": "locked_out", "ticket": "SUP-5"});

    let err =
        invoke(&webview, "unlock_account", json!({"id": 1, "request": req, "idempotencyKey": "u-1"})).unwrap_err();
    assert_eq!(err["code"], "caller_verification_required");
    let challenge = invoke(&webview, "caller_challenge", json!({"id": 1, "method": "email"})).unwrap();
    assert!(!challenge.to_string().contains('@'), "the webview never learns the address: {challenge}");
    let body: String = rt
        .block_on(
            sqlx::query_scalar("SELECT body FROM outbox WHERE kind = 'caller_code' ORDER BY id DESC LIMIT 1")
                .fetch_one(&db),
        )
        .unwrap();
    let code = body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_string();
    let wrong =
        invoke(&webview, "caller_check", json!({"id": 1, "challengeId": challenge["id"], "code": "x"})).unwrap_err();
    assert_eq!(wrong["code"], "wrong_code");
    let ok = invoke(&webview, "caller_check", json!({"id": 1, "challengeId": challenge["id"], "code": code})).unwrap();
    assert_eq!(ok["by"], "Alex Agent");

    let done = invoke(&webview, "unlock_account", json!({"id": 1, "request": req, "idempotencyKey": "u-1"})).unwrap();
    assert_eq!(done["emails"].as_array().unwrap().len(), 2);
    let ended = invoke(
        &webview,
        "end_sessions",
        json!({"id": 1, "request": {"reason": "suspected_compromise", "ticket": "SUP-5"}, "idempotencyKey": "e-1"}),
    )
    .unwrap();
    assert_eq!(ended["sessions_ended"], 2);
    let sent = invoke(
        &webview,
        "send_verification_email",
        json!({"id": 2, "emailId": 4, "request": {"reason": "email_not_received", "ticket": "SUP-6"}, "idempotencyKey": "v-1"}),
    )
    .unwrap();
    assert_eq!(sent["emails"].as_array().unwrap().len(), 1);
    let detail = invoke(&webview, "get_account", json!({"id": 1})).unwrap();
    assert_eq!(detail["status"], "active");
    assert_eq!(detail["caller_verified"]["method"], "email");
    // An agent has no staff administration.
    assert_eq!(invoke(&webview, "staff_list", json!({})).unwrap_err()["code"], "forbidden");
    rt.block_on(running.stop());
}

#[test]
fn staff_commands_invite_change_roles_and_disable() {
    use desk_server::demo::{ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOTP};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, _dir) = service(&rt, |_| {});
    let url = running.url();
    let (_app, webview) = console(Arc::new(MemoryStore::default()), url.clone());
    let form = json!({"form": sign_in_form(&url, ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOTP, false)});
    invoke(&webview, "sign_in", form).unwrap();
    let why = json!({"reason": "new hire", "ticket": "HR-1"});
    let sent = invoke(
        &webview,
        "staff_invite",
        json!({"request": {"email": "nia@corp.test", "name": "Nia New", "role": "agent", "reason": "new hire", "ticket": "HR-1"}}),
    )
    .unwrap();
    assert_eq!(sent["member"]["status"], "invited");
    let id = sent["member"]["id"].as_i64().unwrap();
    let lead = invoke(
        &webview,
        "staff_set_role",
        json!({"id": id, "change": {"role": "lead", "reason": "x y z", "ticket": "HR-2"}}),
    )
    .unwrap();
    assert_eq!(lead["role"], "lead");
    let off = invoke(&webview, "staff_disable", json!({"id": id, "change": why})).unwrap();
    assert_eq!(off["status"], "disabled");
    let on = invoke(&webview, "staff_enable", json!({"id": id, "change": why})).unwrap();
    assert_eq!(on["status"], "invited");
    let agent = invoke(&webview, "staff_list", json!({})).unwrap();
    let agent_id =
        agent.as_array().unwrap().iter().find(|m| m["email"] == AGENT_EMAIL).unwrap()["id"].as_i64().unwrap();
    let asked = invoke(&webview, "staff_mfa_reset", json!({"id": agent_id, "change": why})).unwrap();
    let reset_id = asked["pending_mfa_reset"]["id"].as_i64().unwrap();
    let own = invoke(&webview, "staff_approve_mfa_reset", json!({"resetId": reset_id, "change": why})).unwrap_err();
    assert_eq!(own["code"], "own_change");
    let sso = invoke(&webview, "sso_settings", json!({})).unwrap();
    assert_eq!(sso["configured"], false);
    let refused = invoke(
        &webview,
        "set_sso_required",
        json!({"change": {"required": true, "reason": "policy", "ticket": "SEC-1"}}),
    )
    .unwrap_err();
    assert_eq!(refused["code"], "invalid_state");
    rt.block_on(running.stop());
}

#[test]
fn about_answers_both_versions_and_holds_no_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (running, _dir) = service(&rt, |_| {});
    let url = running.url();
    let store = Arc::new(MemoryStore::default());
    let (_app, webview) = console(store.clone(), url.clone());
    let form = json!({"form": agent_sign_in(&url, true)});
    invoke(&webview, "sign_in", form).unwrap();
    let token = store.load().unwrap().unwrap().token;

    let about = invoke(&webview, "about", json!({})).unwrap();
    assert_eq!(about["service"]["version"], env!("CARGO_PKG_VERSION"), "{about}");
    assert_eq!(about["server_url"], url.as_str());
    assert!(about["diagnostics"].as_str().unwrap().contains(env!("CARGO_PKG_VERSION")));
    assert!(!about.to_string().contains(token.expose()), "the token reached the About box");
    rt.block_on(running.stop());
}

#[test]
fn the_agent_chooses_updates_for_the_next_start_unless_the_deployment_decides() {
    use desk_client::settings::Switch;
    use tauri::Manager;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config").join("preferences.json");
    let (app, webview) = console(Arc::new(MemoryStore::default()), "http://127.0.0.1:9".into());
    let facts =
        |updates: Switch| desk_client::AppFacts { updates, user_file: Some(file.clone()), ..Default::default() };
    let facts_state = app.state::<recovery_desk_lib::desktop::Facts>();
    facts_state.set(facts(Switch { on: true, why: "default".into(), managed: false }));

    let about = invoke(&webview, "about", json!({})).unwrap();
    assert_eq!(about["updates"], json!({"on": true, "decided_by": "default", "agent_may_change": true}));
    let about = invoke(&webview, "choose_updates", json!({"on": false})).unwrap();
    assert_eq!(about["updates"], json!({"on": false, "decided_by": "your choice", "agent_may_change": true}));
    assert!(about["diagnostics"].as_str().unwrap().contains("Setting updates: off (your choice)"), "{about}");
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(kept, json!({"updates": false}), "the file holds the choice and nothing else");
    assert_eq!(invoke(&webview, "about", json!({})).unwrap()["updates"]["on"], false, "the About box keeps it");

    facts_state.set(facts(Switch { on: false, why: "RECOVERY_DESK_UPDATES".into(), managed: true }));
    let about = invoke(&webview, "about", json!({})).unwrap();
    assert_eq!(about["updates"]["agent_may_change"], false);
    let refused = invoke(&webview, "choose_updates", json!({"on": true})).unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\n  \"updates\": false\n}");
    let malformed = invoke(&webview, "choose_updates", json!({"on": "yes"})).unwrap_err();
    assert!(malformed.to_string().contains("on"), "{malformed}");
}

#[test]
fn links_reach_the_ui_once_and_bad_ones_only_as_a_message() {
    let (app, webview) = console(Arc::new(MemoryStore::default()), "http://127.0.0.1:9".into());
    assert_eq!(invoke(&webview, "take_links", json!({})).unwrap(), json!([]));

    let args = ["recovery-desk", "--flag", "recovery-desk://account/42?ticket=T-123", "recovery-desk://request/x"];
    recovery_desk_lib::desktop::take_link_args(app.handle(), &args.map(String::from));
    let links = invoke(&webview, "take_links", json!({})).unwrap();
    assert_eq!(links[0]["link"], json!({"target": "account", "id": 42, "ticket": "T-123"}));
    assert_eq!(links[1]["link"], Value::Null);
    assert!(links[1]["error"].as_str().unwrap().starts_with("This link cannot be opened"), "{links}");
    assert_eq!(invoke(&webview, "take_links", json!({})).unwrap(), json!([]), "each link is handed over once");
}
