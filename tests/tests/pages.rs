//! The end user's pages in an ordinary browser (headless Chromium): every page and every step of
//! the flows the recovery article describes, at a phone's width and a desktop's. Each is
//! screenshotted into `target/e2e-screenshots/pages-*.png`, checked by axe-core (WCAG 2.2 AA), and
//! shown to run no script of its own: the pages work without JavaScript.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use desk_e2e::{axe, open_chromium, start_service, target_dir, totp_now, Service, WAIT};
use desk_server::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, MARIA_BACKUP_CODES, MARIA_TOTP};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

const WIDTHS: &[(&str, u32, u32)] = &[("phone", 390, 844), ("desktop", 1280, 900)];

#[tokio::test(flavor = "multi_thread")]
async fn every_public_page_passes_axe_at_phone_and_desktop_width_and_runs_no_script() -> Result<()> {
    let service = start_service("").await?;
    let browser = open_chromium().await?;
    let outcome = walk(&browser.client, &service).await;
    let _ = browser.client.clone().close().await;
    outcome
}

async fn walk(c: &Client, service: &Service) -> Result<()> {
    let url = service.url.as_str();
    let http = reqwest::Client::new();

    // "Forgot password?": the form, "check your email", then the link's steps.
    c.goto(&format!("{url}/recover")).await?;
    axe::sees_a_known_violation(c).await?;
    look(c, "recover").await?;
    submit(c, &[("#identifier", "maria.lopez@example.com")]).await?;
    look(c, "recover-sent").await?;
    let link = link_in_mail(&http, url, "maria.lopez@example.com", "/reset/").await?;
    c.goto(&link).await?;
    look(c, "reset-two-step").await?;
    submit(c, &[("#code", "000000")]).await?;
    look(c, "reset-two-step-wrong-code").await?;
    submit(c, &[("#code", &totp_now(MARIA_TOTP))]).await?;
    look(c, "reset-new-password").await?;
    submit(c, &[("#password", "short"), ("#confirm", "short")]).await?;
    look(c, "reset-new-password-refused").await?;
    submit(c, &[("#password", "violet otter climbs 42 stairs"), ("#confirm", "violet otter climbs 42 stairs")]).await?;
    look(c, "reset-done").await?;
    c.goto(&link).await?;
    look(c, "reset-link-used").await?;

    // "Forgot your answer?", through a backup code this time.
    c.goto(&format!("{url}/recover-answer")).await?;
    look(c, "recover-answer").await?;
    submit(c, &[("#identifier", "maria.lopez@example.com")]).await?;
    look(c, "recover-answer-sent").await?;
    let link = link_in_mail(&http, url, "maria.lopez@example.com", "/reset-answer/").await?;
    c.goto(&format!("{link}?method=backup_codes")).await?;
    look(c, "reset-answer-backup-code").await?;
    submit(c, &[("#code", MARIA_BACKUP_CODES[1])]).await?;
    look(c, "reset-answer-question").await?;
    submit(c, &[("#answer", "a blue bicycle")]).await?;
    look(c, "reset-answer-done").await?;

    // A link superseded by a newer one (an agent sends one after the user's), and a link locked
    // by wrong codes.
    let agent = Agent::sign_in(&http, url).await?;
    http.post(format!("{url}/recover")).form(&[("identifier", "jsmith")]).send().await?.error_for_status()?;
    let older = link_in_mail(&http, url, "james.smith@example.com", "/reset/").await?;
    let reset = json!({"reason": "email_not_received", "ticket": "SUP-77"});
    agent.call(reqwest::Method::POST, "/v1/accounts/2/password-reset", Some(reset)).await?;
    newer_link(&http, url, "james.smith@example.com", "/reset/", &older).await?;
    c.goto(&older).await?;
    look(c, "reset-link-superseded").await?;
    let used = link_in_mail(&http, url, "maria.lopez@example.com", "/reset-answer/").await?;
    let answer_reset = json!({"reason": "forgot_password", "ticket": "SUP-78"});
    agent.call(reqwest::Method::POST, "/v1/accounts/1/security-answer-reset", Some(answer_reset)).await?;
    let fresh = newer_link(&http, url, "maria.lopez@example.com", "/reset-answer/", &used).await?;
    for _ in 0..5 {
        http.post(format!("{fresh}/verify"))
            .form(&[("method", "authenticator_app"), ("code", "000000")])
            .send()
            .await?;
    }
    c.goto(&fresh).await?;
    look(c, "reset-answer-link-locked").await?;

    // "Update my security details": the form, its contact check, the team's question and the
    // user's answer, the pending change's "this wasn't me".
    c.goto(&format!("{url}/security-details")).await?;
    look(c, "security-details").await?;
    radios_sit_beside_their_labels(c).await?;
    c.find(Locator::Css("input[type=radio][value=email]")).await?.click().await?;
    submit(
        c,
        &[
            ("#identifier", "jsmith"),
            ("#contact", "j.new@mail.test"),
            ("#new_value", "j.new@mail.test"),
            ("#full_name", "James Smith"),
            ("#country", "GB"),
            ("#former_address", "james.smith@example.com"),
            ("#account_age_years", "2"),
            ("#statement", "I lost the phone my account's email was on and cannot sign in any more."),
        ],
    )
    .await?;
    look(c, "security-details-confirm").await?;
    let reference =
        c.current_url().await?.path().split('/').nth(2).context("the confirm page's reference")?.to_string();
    submit(c, &[("#code", "000000")]).await?;
    look(c, "security-details-confirm-wrong-code").await?;
    let code = code_in_mail(&http, url, "j.new@mail.test").await?;
    submit(c, &[("#code", &code)]).await?;
    look(c, "security-details-confirmed").await?;

    let id = request_id(service, &reference).await?;
    agent.call(reqwest::Method::POST, &format!("/v1/requests/{id}/claim"), None).await?;
    let ask = json!({"decision": "need_info", "checklist": [], "note": "vague", "message": "Which phone did you use before?"});
    agent.call(reqwest::Method::POST, &format!("/v1/requests/{id}/decision"), Some(ask)).await?;
    let reply = link_in_mail(&http, url, "j.new@mail.test", "/security-details/reply/").await?;
    c.goto(&reply).await?;
    look(c, "security-details-reply").await?;
    submit(c, &[("#text", "An old Nokia, number ending 12")]).await?;
    look(c, "security-details-reply-sent").await?;
    c.goto(&reply).await?;
    submit(c, &[("#text", "again")]).await?;
    look(c, "security-details-reply-link-used").await?;

    let detail = agent.call(reqwest::Method::POST, &format!("/v1/requests/{id}/claim"), None).await?;
    let approve = json!({"decision": "approve", "checklist": detail["checklist"], "note": "checked"});
    agent.call(reqwest::Method::POST, &format!("/v1/requests/{id}/decision"), Some(approve)).await?;
    let cancel = link_in_mail(&http, url, "james.smith@example.com", "/security-details/cancel/").await?;
    c.goto(&cancel).await?;
    look(c, "security-details-cancel").await?;
    c.find(Locator::Css("main form button")).await?.click().await?;
    look(c, "security-details-cancelled").await?;
    c.goto(&cancel).await?;
    look(c, "security-details-nothing-to-cancel").await?;

    // Each dead link.
    for (name, path) in [
        ("dead-reset-link", "/reset/not-a-link"),
        ("dead-reset-answer-link", "/reset-answer/not-a-link"),
        ("dead-security-details-reference", "/security-details/SD-NOPE/confirm"),
        ("dead-security-details-cancel-link", "/security-details/cancel/not-a-link"),
        ("dead-enrol-link", "/enrol/not-a-link"),
        ("dead-verify-email-link", "/verify-email/not-a-link"),
    ] {
        c.goto(&format!("{url}{path}")).await?;
        look(c, name).await?;
    }

    // An expired link, from a service whose links last two seconds: the page is polled (without
    // the browser, so nothing is counted against the link) until the service calls it expired.
    let brief = start_service("reset_token_ttl_secs = 2").await?;
    http.post(format!("{}/recover", brief.url)).form(&[("identifier", "maria.lopez@example.com")]).send().await?;
    let link = link_in_mail(&http, &brief.url, "maria.lopez@example.com", "/reset/").await?;
    let start = std::time::Instant::now();
    loop {
        let page = http.get(&link).send().await?;
        if page.status() == reqwest::StatusCode::GONE && page.text().await?.contains("This link has expired") {
            break;
        }
        if start.elapsed() > WAIT {
            bail!("the two-second link never expired");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    c.goto(&link).await?;
    look(c, "reset-link-expired").await?;
    Ok(())
}

/// The page at each width: a screenshot, axe-core's check, and no script of the page's own.
async fn look(c: &Client, name: &str) -> Result<()> {
    let scripts = c.find_all(Locator::Css("script")).await?;
    if !scripts.is_empty() {
        bail!("{name} has {} script element(s): the pages must work without JavaScript", scripts.len());
    }
    let dir = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&dir)?;
    for (width_name, w, h) in WIDTHS {
        c.set_window_size(*w, *h).await?;
        tokio::time::sleep(Duration::from_millis(150)).await;
        std::fs::write(dir.join(format!("pages-{name}-{width_name}.png")), c.screenshot().await?)?;
        axe::check(c, &format!("{name} at {width_name} width ({w} px)")).await?;
    }
    Ok(())
}

/// Types into the page's fields (emptying each first) and sends its form, as a user would.
async fn submit(c: &Client, fields: &[(&str, &str)]) -> Result<()> {
    let mut last = None;
    for (css, value) in fields {
        let field = c.find(Locator::Css(css)).await.with_context(|| format!("no {css}"))?;
        field.clear().await?;
        field.send_keys(value).await?;
        last = Some(field);
    }
    let button = c.find(Locator::Css("main form:has(input:not([type=hidden]), textarea) button[type=submit]")).await;
    match (button, last) {
        (Ok(b), _) => b.click().await?,
        (Err(_), Some(f)) => f.send_keys("\u{e007}").await?,
        (Err(e), None) => return Err(e.into()),
    }
    Ok(())
}

/// The form's radio buttons sit on the line of their label, at the start (not each centred on a
/// line of its own, as the text inputs' width rule once drew them).
async fn radios_sit_beside_their_labels(c: &Client) -> Result<()> {
    for (width_name, w, h) in WIDTHS {
        c.set_window_size(*w, *h).await?;
        let boxes = c
            .execute(
                "return [...document.querySelectorAll('input[type=radio]')].map((r) => {
                   const a = r.getBoundingClientRect(), l = r.closest('label').getBoundingClientRect();
                   return { radio_width: a.width, radio_left: a.left - l.left, label_height: l.height,
                            line: parseFloat(getComputedStyle(r.closest('label')).lineHeight) };
                 })",
                vec![],
            )
            .await?;
        let boxes = boxes.as_array().context("radio boxes")?;
        if boxes.len() != 4 {
            bail!("expected the form's 4 radio buttons, found {}", boxes.len());
        }
        for b in boxes {
            let n = |k: &str| b[k].as_f64().unwrap_or(f64::NAN);
            if !(n("radio_width") < 30.0 && n("radio_left") < 8.0 && n("label_height") < 1.6 * n("line")) {
                bail!("at {width_name} width a radio button is not beside its label on one line: {b}");
            }
        }
    }
    Ok(())
}

/// The newest mail to `to` for which `pick` finds something, waiting for the outbox to deliver
/// it to the local mailbox (the service sends in the background).
async fn from_mail(
    http: &reqwest::Client,
    url: &str,
    to: &str,
    pick: impl Fn(&str) -> Option<String>,
) -> Result<String> {
    let start = std::time::Instant::now();
    loop {
        let mails: Vec<Value> =
            http.get(format!("{url}/dev/mailbox.json")).send().await?.error_for_status()?.json().await?;
        let found = mails.iter().filter(|m| m["to"] == to).find_map(|m| pick(m["body"].as_str().unwrap_or("")));
        if let Some(found) = found {
            return Ok(found);
        }
        if start.elapsed() > WAIT {
            bail!("no such mail to {to} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The newest link containing `path` sent to `to`.
async fn link_in_mail(http: &reqwest::Client, url: &str, to: &str, path: &str) -> Result<String> {
    from_mail(http, url, to, |body| body.split_whitespace().find(|w| w.contains(path)).map(str::to_string))
        .await
        .with_context(|| format!("a {path} link"))
}

/// The newest link containing `path` sent to `to`, once that is no longer `older`.
async fn newer_link(http: &reqwest::Client, url: &str, to: &str, path: &str, older: &str) -> Result<String> {
    let start = std::time::Instant::now();
    loop {
        let newest = link_in_mail(http, url, to, path).await?;
        if newest != older {
            return Ok(newest);
        }
        if start.elapsed() > WAIT {
            bail!("no newer {path} link to {to} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The six-digit code of the newest mail to `to` that has one.
async fn code_in_mail(http: &reqwest::Client, url: &str, to: &str) -> Result<String> {
    from_mail(http, url, to, |body| {
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_string)
    })
    .await
    .context("a six-digit code")
}

async fn request_id(service: &Service, reference: &str) -> Result<i64> {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", service.dir.path().join("desk.db").display())).await?;
    let id = sqlx::query_scalar("SELECT id FROM security_requests WHERE reference = $1")
        .bind(reference)
        .fetch_one(&db)
        .await
        .with_context(|| format!("request {reference}"))?;
    db.close().await;
    Ok(id)
}

static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The demo agent over the API, for the steps that are the team's, not the user's.
struct Agent<'a> {
    http: &'a reqwest::Client,
    url: &'a str,
    token: String,
}

impl<'a> Agent<'a> {
    async fn sign_in(http: &'a reqwest::Client, url: &'a str) -> Result<Self> {
        let body = json!({"email": AGENT_EMAIL, "password": AGENT_PASSWORD, "totp": totp_now(AGENT_TOTP)});
        let v: Value = http.post(format!("{url}/v1/sessions")).json(&body).send().await?.json().await?;
        let token = v["token"].as_str().with_context(|| format!("sign-in: {v}"))?.to_string();
        Ok(Agent { http, url, token })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let key = format!("pages-{}", KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }
}
