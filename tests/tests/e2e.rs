//! The real app binary, in a real WebKit window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, against the real `desk-server` binary with demo data.
//!
//! `make test` builds both binaries first and runs this under xvfb-run and a session bus with
//! gnome-keyring (the app reads the OS keychain on start).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use desk_e2e::keys::Tally;
use desk_e2e::{choose, console_for, find, gone, shot, start_service, totp_now, WAIT};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn agent_sends_a_reset_and_a_lead_finds_verifies_and_exports_it() -> Result<()> {
    desk_e2e::require_display()?;
    // Approved changes apply at once here, so the test sees the whole queue flow through.
    let service = start_service(
        "cooling_off_low_secs = 0\ncooling_off_medium_secs = 0\ncooling_off_high_secs = 0\nqueue_tick_ms = 200\n\
         ticket_pattern = 'SUP-\\d+'\n",
    )
    .await?;
    let exports = tempfile::tempdir()?;
    let (home, _env, console) = console_for(&service, &[("RECOVERY_DESK_SAVE_DIR", exports.path().into())]).await?;
    let c = &console.client;
    let service_url = service.url.as_str();
    let outcome = async {
        drive(c, service_url).await?;
        call_actions_as_agent(c, service_url).await?;
        queue_as_agent(c, service_url).await?;
        audit_as_lead(c, exports.path()).await?;
        second_approval_as_lead(c, service_url).await
    }
    .await;
    let _ = shot(c, "zz-last-state").await;
    console.close().await;
    outcome?;

    // After the whole run: the console's log file is there, says what happened, and holds no secret.
    let log = home.read_logs();
    assert!(log.contains("Recovery Desk") && log.contains("starting"), "no log in {}: {log}", home.log_dir().display());
    let leaked =
        desk_e2e::secrets_in_log(&log, &service.dir.path().join("desk.db"), &["violet otter climbs 42 stairs"]).await?;
    assert!(leaked.is_empty(), "the log holds {leaked:?}");
    Ok(())
}

async fn drive(c: &Client, service_url: &str) -> Result<()> {
    // Sign-in: the server URL comes prefilled from the app's configuration.
    let server = find(c, "#server-url").await?;
    assert_eq!(server.prop("value").await?.as_deref(), Some(service_url));
    find(c, "#email").await?.send_keys("agent@demo.test").await?;
    find(c, "#password").await?.send_keys("demo-agent-pass").await?;
    find(c, "#totp").await?.send_keys(&totp_now("JBSWY3DPEHPK3PXP")).await?;
    // Every `shot` below is also axe-core's check of that screen; first, that it checks at all.
    desk_e2e::axe::sees_a_known_violation(c).await?;
    shot(c, "01-sign-in").await?;
    find(c, "#sign-in").await?.click().await?;

    // Lookup: the search box has the focus; the keyboard does the rest.
    let search = find(c, "#search").await?;
    assert!(find(c, "#agent-name").await?.text().await?.contains("Alex Agent"));
    search.send_keys("maria.lopez").await?;
    search.send_keys(&Key::Enter.to_string()).await?;
    find(c, "#results [data-testid=result][data-id='1']").await?;
    search.send_keys(&Key::Down.to_string()).await?;
    search.send_keys(&Key::Enter.to_string()).await?;
    let username = find(c, "#account-detail #account-username").await?;
    assert_eq!(username.text().await?.trim(), "maria.lopez");
    shot(c, "02-lookup-account").await?;

    // I copies the account id for the help-desk ticket: a real key press (WebDriver input, not a
    // synthetic event), as the clipboard only takes one from the user.
    c.execute("document.activeElement && document.activeElement.blur()", vec![]).await?;
    let press_i =
        KeyActions::new("copy".into()).then(KeyAction::Down { value: 'i' }).then(KeyAction::Up { value: 'i' });
    c.perform_actions(press_i).await?;
    assert_eq!(find(c, "#copy-status").await?.text().await?.trim(), "Copied the account id: 1");

    // The reset dialog: reason, ticket, confirm.
    find(c, "#action-password-reset").await?.click().await?;
    find(c, "#reset-dialog").await?;
    choose(c, "#reset-reason", "email_not_received").await?;
    // The desk's ticket form is said beside the field, and a reference that misses it is marked.
    let ticket = find(c, "#reset-ticket").await?;
    ticket.send_keys("T-1").await?;
    let shape = find(c, "#reset-ticket-shape.error").await?.text().await?;
    assert!(shape.contains(r"SUP-\d+"), "{shape}");
    ticket.clear().await?;
    ticket.send_keys("SUP-4242").await?;
    gone(c, "#reset-ticket-shape.error").await?;
    shot(c, "03-reset-dialog").await?;
    find(c, "#reset-confirm").await?.click().await?;
    let result = find(c, "#reset-result").await?;
    let status = result.attr("data-status").await?.unwrap_or_default();
    assert!(["queued", "sent"].contains(&status.as_str()), "email status shown: {status}");
    assert!(result.text().await?.to_lowercase().contains("email"));
    shot(c, "04-reset-sent").await?;

    // The email arrived in the service's mailbox, with the link.
    let mut arrived = Value::Null;
    for _ in 0..50 {
        let mail: Value = reqwest::get(format!("{service_url}/dev/mailbox.json")).await?.json().await?;
        if let Some(m) = mail.as_array().and_then(|a| a.first()) {
            arrived = m.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(arrived["to"], "maria.lopez@example.com", "{arrived}");
    assert_eq!(arrived["subject"], "Reset your password");
    assert!(arrived["body"].as_str().unwrap_or("").contains(&format!("{service_url}/reset/")));

    // The account view now shows the email, and the button counts the cooldown down.
    find(c, "#dialog-close, #reset-cancel").await?.click().await?;
    let recent = find(c, "#recent-emails").await?;
    assert!(recent.text().await?.to_lowercase().contains("password"));
    assert_eq!(find(c, "#action-password-reset").await?.prop("disabled").await?.as_deref(), Some("true"));
    shot(c, "05-account-after-reset").await?;

    // The user follows the link: two-step verification first, then the new password.
    let body = arrived["body"].as_str().unwrap_or("");
    let link = body
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{service_url}/reset/")))
        .context("the link")?
        .to_string();
    let http = reqwest::Client::new();
    let page = http.get(&link).send().await?.text().await?;
    assert!(page.contains("Verify it"), "{page}");
    let code = totp_now("GEZDGNBVGY3TQOJQ");
    let page = http
        .post(format!("{link}/verify"))
        .form(&[("method", "authenticator_app"), ("code", code.as_str())])
        .send()
        .await?
        .text()
        .await?;
    assert!(page.contains("Choose a new password"), "{page}");
    let pw = "violet otter climbs 42 stairs";
    let page = http.post(&link).form(&[("password", pw), ("confirm", pw)]).send().await?.text().await?;
    assert!(page.contains("password has been changed"), "{page}");

    // The console's timeline follows on its own: the link used, the change, the notices.
    find(c, "#activity [data-testid=activity][data-kind=password_changed]").await?;
    find(c, "#activity [data-testid=activity][data-kind=notice_sent]").await?;
    let start = Instant::now();
    loop {
        let recent = find(c, "#recent-emails").await?.prop("textContent").await?.unwrap_or_default().to_lowercase();
        if recent.contains("used") {
            break;
        }
        if start.elapsed() > WAIT {
            bail!("the recent emails never showed the link as used: {recent}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    c.execute("document.getElementById('activity').scrollIntoView()", vec![]).await?;
    shot(c, "05b-timeline-after-user-reset").await?;
    c.execute("document.getElementById('troubleshooting').scrollIntoView()", vec![]).await?;
    shot(c, "05c-duplicates-address-check-troubleshooting").await?;

    // The shortcuts help, from the keyboard.
    let key = |k: &str| {
        format!("document.activeElement && document.activeElement.blur(); document.body.dispatchEvent(new KeyboardEvent('keydown', {{key: '{k}', bubbles: true}}))")
    };
    c.execute(&key("?"), vec![]).await?;
    let help = find(c, "#shortcuts-help").await?.prop("textContent").await?.unwrap_or_default();
    for listed in ["Send password reset", "Claim the next request", "Copy the account id", "Back and forward"] {
        assert!(help.contains(listed), "the shortcuts help does not list \"{listed}\": {help}");
    }
    shot(c, "05d-shortcuts-help").await?;
    c.execute(
        "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))",
        vec![],
    )
    .await?;
    gone(c, "#shortcuts-help").await?;
    settings(c).await
}

/// Settings: both versions and the service, the shortcuts, and a theme that holds on every
/// screen; the dark theme passes axe-core's contrast rules too.
async fn settings(c: &Client) -> Result<()> {
    find(c, "#nav-settings").await?.click().await?;
    find(c, "#settings-view").await?;
    let start = Instant::now();
    loop {
        let version = find(c, "#settings-service-version").await?.text().await?;
        if version.contains("(API v1)") {
            break;
        }
        if start.elapsed() > WAIT {
            bail!("Settings never showed the service's version: {version}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!c.find_all(Locator::Css("#settings-view [data-testid=shortcut]")).await?.is_empty());
    // The test's environment turns updates off, as an IT department would: no switch for the agent.
    assert_eq!(find(c, "#settings-updates").await?.text().await?.trim(), "off (RECOVERY_DESK_UPDATES)");
    assert!(c.find_all(Locator::Css("#settings-updates-on")).await?.is_empty(), "a managed setting has a switch");
    shot(c, "05h-settings").await?;
    find(c, "#settings-theme-dark").await?.click().await?;
    let theme = c.execute("return document.documentElement.dataset.theme", vec![]).await?;
    assert_eq!(theme, json!("dark"));
    shot(c, "05i-settings-dark").await?;
    find(c, "#nav-lookup").await?.click().await?;
    shot(c, "05j-lookup-dark").await?;
    find(c, "#nav-settings").await?.click().await?;
    find(c, "#settings-theme-system").await?.click().await?;
    find(c, "#nav-lookup").await?.click().await?;
    Ok(())
}

/// The agent does not see the audit view; a lead does, and finds, verifies and exports the reset.
async fn audit_as_lead(c: &Client, exports: &Path) -> Result<()> {
    find(c, "#nav-lookup").await?;
    assert!(c.find_all(Locator::Css("#nav-audit")).await?.is_empty(), "an agent must not see the audit view");
    find(c, "#sign-out").await?.click().await?;

    find(c, "#email").await?.send_keys("lead@demo.test").await?;
    find(c, "#password").await?.send_keys("demo-lead-pass").await?;
    find(c, "#totp").await?.send_keys(&totp_now("KRSXG5CTMVRXEZLU")).await?;
    find(c, "#sign-in").await?.click().await?;
    find(c, "#nav-audit").await?.click().await?;
    find(c, "#audit-view").await?;
    shot(c, "06-audit-log").await?;

    // Filter to the demo agent's password resets.
    find(c, "#audit-filter-agent option[value='1']").await?;
    choose(c, "#audit-filter-agent", "1").await?;
    choose(c, "#audit-filter-action", "password_reset").await?;
    find(c, "#audit-apply").await?.click().await?;
    let start = Instant::now();
    let rows = loop {
        let rows = c.find_all(Locator::Css("#audit-table [data-testid=audit-row]")).await?;
        let mut texts = Vec::new();
        for r in &rows {
            // textContent: WebKitWebDriver's rendered text of a grid row returns only its last cell.
            texts.push(r.prop("textContent").await?.unwrap_or_default());
        }
        if texts.len() == 1 && texts[0].contains("SUP-4242") {
            break texts;
        }
        if start.elapsed() > WAIT {
            bail!("the filtered log shows {texts:?}, not the one reset");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(rows[0].contains("agent@demo.test"), "{rows:?}");
    shot(c, "07-audit-filtered").await?;

    // Verify and export by keyboard alone, counted, from where applying the filter left the focus.
    let mut tally = Tally::new("a lead's verify of the chain and export of the filtered log");
    tally.tab_to(c, "#audit-verify").await?;
    tally.key(c, Key::Enter).await?;
    let result = find(c, "#verify-result[data-ok]").await?;
    assert_eq!(result.attr("data-ok").await?.as_deref(), Some("true"), "{}", result.text().await?);
    shot(c, "08-audit-verified").await?;

    tally.tab_to(c, "#audit-export-csv").await?;
    tally.key(c, Key::Enter).await?;
    let exported = find(c, "#export-result[data-path]").await?;
    tally.report()?;
    let path = exported.attr("data-path").await?.unwrap_or_default();
    assert!(Path::new(&path).starts_with(exports), "{path}");
    let csv = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    assert_eq!(csv.lines().count(), 2, "header and the one reset: {csv}");
    assert!(csv.contains("password_reset") && csv.contains("SUP-4242") && csv.contains("email_not_received"));
    shot(c, "09-audit-exported").await?;

    // At the smallest window (900×600), an open entry leaves every column of the log on screen
    // and no time clipped.
    let (x, y, w, h) = c.get_window_rect().await?;
    c.set_window_rect(x as u32, y as u32, 900, 600).await?;
    find(c, "#audit-table [data-testid=audit-row]").await?.click().await?;
    find(c, "#audit-detail-title").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let layout: Value = c
        .execute(
            "const grid = document.querySelector('#audit-table').getBoundingClientRect();
             const heads = [...document.querySelectorAll('#audit-table [role=columnheader]')];
             const hidden = heads.filter((e) => { const r = e.getBoundingClientRect();
               return r.width < 24 || r.right > grid.right + 1 || r.left < grid.left - 1; }).map((e) => e.textContent);
             const clipped = [...document.querySelectorAll('#audit-table [role=row] > :first-child')]
               .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent);
             return { hidden, clipped, width: window.innerWidth, height: window.innerHeight };",
            vec![],
        )
        .await?;
    assert_eq!(layout["hidden"], json!([]), "columns off screen with an entry open: {layout}");
    assert_eq!(layout["clipped"], json!([]), "times clipped: {layout}");
    shot(c, "09b-audit-entry-open-at-900x600").await?;
    c.set_window_rect(x as u32, y as u32, w as u32, h as u32).await?;

    // The per-agent figures count the agent's reset.
    find(c, "#audit-tab-agents").await?.click().await?;
    let card = find(c, "[data-testid=agent-figures][data-agent-id='1']").await?;
    assert!(card.prop("textContent").await?.unwrap_or_default().contains("Alex Agent"));
    let resets =
        find(c, "[data-testid=agent-figures][data-agent-id='1'] [data-figure=resets_sent]").await?.text().await?;
    assert!(resets.trim().parse::<u32>().is_ok_and(|n| n >= 1), "the agent's reset is not counted: {resets}");
    shot(c, "10-audit-agents").await?;
    Ok(())
}

async fn mail_to(service_url: &str, to: &str, subject: &str) -> Result<Value> {
    let start = Instant::now();
    loop {
        let mail: Value = reqwest::get(format!("{service_url}/dev/mailbox.json")).await?.json().await?;
        if let Some(m) = mail.as_array().and_then(|a| a.iter().find(|m| m["to"] == to && m["subject"] == subject)) {
            return Ok(m.clone());
        }
        if start.elapsed() > WAIT {
            bail!("no \"{subject}\" mail to {to}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A user files the security-details form over HTTP; the agent claims it and approves it in the app.
async fn queue_as_agent(c: &Client, service_url: &str) -> Result<()> {
    let http = reqwest::Client::new();
    let form = reqwest::multipart::Form::new()
        .text("identifier", "maria.lopez")
        .text("contact", "maria.lopez@example.com")
        .text("change", "remove_two_factor")
        .text("new_value", "")
        .text("full_name", "Maria Lopez")
        .text("country", "US")
        .text("account_age_years", "2")
        .text("statement", "My phone with the authenticator app was stolen and my backup codes are gone.")
        .part(
            "evidence",
            reqwest::multipart::Part::bytes(
                include_bytes!("../../crates/desk-client/tests/fixtures/id-card.pdf").as_slice(),
            )
            .file_name("id-card.pdf")
            .mime_str("application/pdf")?,
        );
    let page = http.post(format!("{service_url}/security-details")).multipart(form).send().await?.text().await?;
    let reference = page
        .split("request <strong>")
        .nth(1)
        .context("the confirm page")?
        .split("</strong>")
        .next()
        .unwrap_or("")
        .to_string();
    let mail = mail_to(service_url, "maria.lopez@example.com", "Confirm your request").await?;
    let code: String = mail["body"].as_str().unwrap_or("").split(" is ").nth(1).unwrap_or("").chars().take(6).collect();
    let done = http
        .post(format!("{service_url}/security-details/{reference}/confirm"))
        .form(&[("code", code.as_str())])
        .send()
        .await?
        .text()
        .await?;
    assert!(done.contains("We have your request"), "{done}");

    find(c, "#nav-queue").await?.click().await?;
    find(c, "#queue-view").await?;
    // The list says when a load is done; items found before that may be replaced under the click.
    find(c, "#queue-list[aria-busy=false][data-filter=all] [data-testid=queue-item][data-state=open]").await?;
    shot(c, "11-queue").await?;
    // The demo queue has other requests due sooner: open the user's one and claim it.
    let mut opened = false;
    for item in c.find_all(Locator::Css("#queue-list [data-testid=queue-item]")).await? {
        if item.prop("textContent").await?.unwrap_or_default().contains(&reference) {
            item.click().await?;
            opened = true;
            break;
        }
    }
    if !opened {
        bail!("{reference} is not in the queue list");
    }
    find(c, "#request-claim").await?.click().await?;
    find(c, "#request-release").await?;
    let view = find(c, "#request-view").await?;
    assert!(view.prop("textContent").await?.unwrap_or_default().contains(&reference));
    find(c, "#request-compare").await?;
    shot(c, "12-request-view").await?;
    // The user's PDF, as the page the console drew in Rust (the webview never gets the PDF).
    find(c, "[data-testid=evidence-file]").await?.click().await?;
    let page = find(c, "#evidence-view [data-testid=evidence-page][data-page='1']").await?;
    let drawn: Value = c
        .execute(
            "const i = arguments[0]; i.scrollIntoView({ block: 'nearest' }); return i.complete && i.naturalWidth === 450 && i.naturalHeight === 300;",
            vec![serde_json::to_value(&page)?],
        )
        .await?;
    assert_eq!(drawn, Value::Bool(true), "the PDF's page was not drawn at 450×300");
    shot(c, "12b-evidence-pdf-page").await?;
    // Scrolled to the end of the request, the header with Claim next is still on screen.
    let header_stays: Value = c
        .execute(
            "const body = document.querySelector('#queue-body'); body.scrollTop = body.scrollHeight; \
             const r = document.querySelector('#queue-claim-next').getBoundingClientRect(); \
             return body.scrollTop > 0 && r.top >= 0 && r.bottom <= window.innerHeight;",
            vec![],
        )
        .await?;
    assert_eq!(header_stays, Value::Bool(true), "the queue's header scrolled away with the request");
    c.execute("document.querySelector('#queue-body').scrollTop = 0", vec![]).await?;
    for item in c.find_all(Locator::Css("#request-checklist [data-testid=checklist-item] input[type=checkbox]")).await?
    {
        item.click().await?;
    }
    find(c, "#decision-note").await?.send_keys("Facts match; theft statement is consistent with the timeline.").await?;
    find(c, "#decide-approve").await?.click().await?;
    find(c, "#decide-confirm").await?.click().await?;
    let start = Instant::now();
    loop {
        let text = find(c, "#request-view").await?.prop("textContent").await?.unwrap_or_default().to_lowercase();
        if text.contains("now awaiting 2nd approval") {
            break;
        }
        if let Ok(e) = c.find(Locator::Css("#decision-error")).await {
            bail!("the approval was refused: {}", e.prop("textContent").await?.unwrap_or_default());
        }
        if start.elapsed() > WAIT {
            bail!("the request never reached second approval: {text}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(c, "13-awaiting-second-approval").await?;
    claim_next_and_approve_by_keyboard(c).await?;
    find(c, "#nav-lookup").await?.click().await?;
    Ok(())
}

/// Claim next, tick the checklist and approve a low-risk request, by keyboard alone, counted.
async fn claim_next_and_approve_by_keyboard(c: &Client) -> Result<()> {
    let mut tally = Tally::new("claim next, tick the checklist and approve a low-risk request");
    c.execute("document.activeElement && document.activeElement.blur()", vec![]).await?;
    tally.key(c, 'n').await?;
    find(c, "#request-view #request-release").await?;
    let risk = find(c, "#request-view [data-testid=risk]").await?.attr("data-risk").await?;
    assert_eq!(risk.as_deref(), Some("low"), "claim next hands out a low-risk request first");
    let items = c.find_all(Locator::Css("#request-checklist input[type=checkbox]")).await?.len();
    assert!(items > 0, "a checklist to tick");
    tally.tab_to(c, "#request-checklist input[type=checkbox]").await?;
    for i in 0..items {
        if i > 0 {
            tally.key(c, Key::Tab).await?;
        }
        tally.key(c, ' ').await?;
    }
    let ticked = c.find_all(Locator::Css("#request-checklist input[type=checkbox]:checked")).await?.len();
    assert_eq!(ticked, items, "Space ticked every item");
    tally.tab_to(c, "#decision-note").await?;
    tally.type_text(c, "Checked against the account.").await?;
    tally.tab_to(c, "#decide-approve").await?;
    tally.key(c, Key::Enter).await?;
    find(c, "#decide-confirm").await?;
    tally.tab_to(c, "#decide-confirm").await?;
    tally.key(c, Key::Enter).await?;
    let result = find(c, "#decision-result").await?;
    let state = result.attr("data-state").await?.unwrap_or_default();
    assert!(["approved", "applied"].contains(&state.as_str()), "the decision went through: {state}");
    tally.report()?;
    shot(c, "13b-low-risk-approved-by-keyboard").await?;
    Ok(())
}

/// The lead gives the second approval; the change applies and every address is told.
async fn second_approval_as_lead(c: &Client, service_url: &str) -> Result<()> {
    find(c, "#nav-queue").await?.click().await?;
    find(c, "#queue-filter-second-approval").await?.click().await?;
    // Wait for the filtered list itself, not for an item of the list it replaces.
    find(c, "#queue-list[aria-busy=false][data-filter=second_approval] [data-testid=queue-item][data-state=awaiting_second_approval]")
        .await?
        .click()
        .await?;
    find(c, "#second-approve-note").await?;
    let view = find(c, "#request-view[aria-busy=false]").await?.prop("textContent").await?.unwrap_or_default();
    assert!(view.contains("Remove two-step verification") || view.to_lowercase().contains("two-step"), "{view}");
    find(c, "#second-approve-note").await?.send_keys("Second look: agreed.").await?;
    shot(c, "14-second-approval").await?;
    find(c, "#second-approve").await?.click().await?;
    gone(c, "#second-approve").await?;
    for to in ["maria.lopez@example.com", "m.lopez.work@mail.test"] {
        let notice = mail_to(service_url, to, "Your security details were changed").await?;
        assert!(notice["body"].as_str().unwrap_or("").contains("Two-step verification was removed"));
    }
    find(c, "#request-back").await?.click().await?;
    shot(c, "15-queue-after-apply").await?;
    Ok(())
}

/// The code the newest message to `to` carries (what the caller reads off their phone or inbox).
async fn code_sent_to(service_url: &str, to: &str) -> Result<String> {
    for _ in 0..100 {
        let mail: Value = reqwest::get(format!("{service_url}/dev/mailbox.json")).await?.json().await?;
        if let Some(m) = mail.as_array().and_then(|a| a.iter().find(|m| m["to"] == to)) {
            let body = m["body"].as_str().unwrap_or("");
            if let Some(code) = body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6) {
                return Ok(code.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no code reached {to}")
}

async fn open_account(c: &Client, username: &str, id: i64) -> Result<()> {
    let search = find(c, "#search").await?;
    search.clear().await?;
    search.send_keys(username).await?;
    search.send_keys(&Key::Enter.to_string()).await?;
    find(c, &format!("#results [data-testid=result][data-id='{id}']")).await?;
    search.send_keys(&Key::Down.to_string()).await?;
    search.send_keys(&Key::Enter.to_string()).await?;
    let start = Instant::now();
    while find(c, "#account-detail #account-username").await?.text().await?.trim() != username {
        if start.elapsed() > WAIT {
            bail!("{username} never opened");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Verify the caller (authenticator code read back; an SMS code), end every session, send a
/// verification email to an unverified address, unlock a locked account: all from the keyboard
/// or the account's buttons, each seen in the timeline and in the mailbox.
async fn call_actions_as_agent(c: &Client, service_url: &str) -> Result<()> {
    let key = |k: &str| {
        format!("document.activeElement && document.activeElement.blur(); document.body.dispatchEvent(new KeyboardEvent('keydown', {{key: '{k}', bubbles: true}}))")
    };
    // maria.lopez is still open. V: verify the caller by the code of their authenticator app.
    assert!(find(c, "#caller-status").await?.text().await?.contains("not verified"));
    c.execute(&key("v"), vec![]).await?;
    find(c, "#verify-caller").await?;
    find(c, "input[name=caller-method][value=authenticator_app]").await?.click().await?;
    find(c, "#verify-start").await?.click().await?;
    find(c, "#verify-code").await?.send_keys(&totp_now("GEZDGNBVGY3TQOJQ")).await?;
    shot(c, "05e-verify-caller").await?;
    find(c, "#verify-check").await?.click().await?;
    let start = Instant::now();
    loop {
        let status = find(c, "#caller-status").await?.text().await?;
        if status.contains("Caller verified via authenticator app") && status.contains("Alex Agent") {
            break;
        }
        if start.elapsed() > WAIT {
            bail!("the caller never showed as verified: {status}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // R: the reveal dialog (the second of the account's dialogs axe-core checks), then Cancel.
    c.execute(&key("r"), vec![]).await?;
    find(c, "#reveal-dialog").await?;
    find(c, "#reveal-ticket").await?.send_keys("SUP-6000").await?;
    shot(c, "05e2-reveal-dialog").await?;
    find(c, "#reveal-cancel").await?.click().await?;
    gone(c, "#reveal-dialog").await?;
    // E: end every session (reason suspected_compromise), with a notice to each verified address.
    c.execute(&key("e"), vec![]).await?;
    find(c, "#call-action").await?;
    assert_eq!(find(c, "#call-reason").await?.prop("value").await?.as_deref(), Some("suspected_compromise"));
    find(c, "#call-ticket").await?.send_keys("SUP-5151").await?;
    find(c, "#call-confirm").await?.click().await?;
    assert!(find(c, "#call-notice").await?.text().await?.contains("sessions ended"));
    find(c, "#activity [data-testid=activity][data-kind=sessions_ended]").await?;
    let notice = mail_to(service_url, "m.lopez.work@mail.test", "You were signed out everywhere").await?;
    assert!(notice["body"].as_str().unwrap_or("").contains("signed you out everywhere"));
    shot(c, "05f-sessions-ended").await?;

    // A verification email to jsmith's unverified address, which the agent never sees.
    open_account(c, "jsmith", 2).await?;
    find(c, "[data-testid=send-verification]").await?.click().await?;
    find(c, "#call-ticket").await?.send_keys("SUP-5152").await?;
    find(c, "#call-confirm").await?.click().await?;
    assert!(find(c, "#call-notice").await?.text().await?.contains("Verification email queued"));
    mail_to(service_url, "jimmy.s@mail.test", "Confirm your email address").await?;
    find(c, "#activity [data-testid=activity][data-kind=verification_sent]").await?;

    // aikot_shop is locked: verify the caller by an SMS code, then U unlocks it.
    open_account(c, "aikot_shop", 5).await?;
    find(c, "#account-lock").await?;
    c.execute(&key("u"), vec![]).await?;
    find(c, "#call-ticket").await?.send_keys("SUP-5153").await?;
    find(c, "#call-confirm").await?.click().await?;
    let refused = find(c, "#call-error").await?;
    assert_eq!(refused.attr("data-code").await?.as_deref(), Some("caller_verification_required"));
    c.execute(
        "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))",
        vec![],
    )
    .await?;
    gone(c, "#call-action").await?;
    c.execute(&key("v"), vec![]).await?;
    find(c, "input[name=caller-method][value=sms]").await?.click().await?;
    find(c, "#verify-start").await?.click().await?;
    let code = code_sent_to(service_url, "+81 80 0000 1111").await?;
    find(c, "#verify-code").await?.send_keys(&code).await?;
    find(c, "#verify-check").await?.click().await?;
    find(c, "#caller-status.ok").await?;
    c.execute(&key("u"), vec![]).await?;
    find(c, "#call-ticket").await?.send_keys("SUP-5153").await?;
    find(c, "#call-confirm").await?.click().await?;
    assert!(find(c, "#call-notice").await?.text().await?.contains("Account unlocked"));
    find(c, "#activity [data-testid=activity][data-kind=account_unlocked]").await?;
    gone(c, "#account-lock").await.context("the account still shows as locked")?;
    shot(c, "05g-unlocked").await?;
    Ok(())
}
