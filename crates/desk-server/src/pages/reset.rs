//! The link's pages: two-step verification first where the account has it, then the new password
//! (or security question and answer). Expired, used and superseded links say what to do.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use desk_api::TwoFactorKind;

use maud::{html, Markup};

use super::{alert, page};
use crate::domain::end_user::{self, Link, NewSecret, SmsSent, ValidLink, Verified, QUESTIONS};
use crate::domain::recovery::RecoveryKind;
use crate::http::ClientAddr;
use crate::AppState;

type Fields = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;
type Params = Query<HashMap<String, String>>;

fn restart(kind: RecoveryKind) -> &'static str {
    match kind {
        RecoveryKind::PasswordReset => "/recover",
        RecoveryKind::AnswerReset => "/recover-answer",
    }
}

fn dead_link(kind: RecoveryKind, link: &Link) -> Response {
    let (title, why) = match link {
        Link::Expired => ("This link has expired", "Links work for a limited time."),
        Link::Used => ("This link was already used", "Each link works once. If you did not use it, contact support."),
        Link::Superseded => {
            ("A newer link was sent", "Use the link in the newest email we sent you; older links stop working.")
        }
        Link::TooManyCodes => return locked(kind),
        _ => ("This link is not valid", "Check that you copied the whole link from the email."),
    };
    page(StatusCode::GONE, title, html! { p { (why) } p { a href=(restart(kind)) { "Ask for a new link" } "." } })
}

/// The page of a link that had too many wrong codes: what happened and what to do now.
fn locked(kind: RecoveryKind) -> Response {
    page(
        StatusCode::LOCKED,
        "This link is locked",
        html! {
            p {
                "Too many wrong verification codes were entered, so this link no longer works. This protects your \
                 account from someone guessing codes."
            }
            ul {
                li {
                    "If it was you: " a href=(restart(kind)) { "ask for a new link" }
                    " and enter the newest code you receive."
                }
                li {
                    "If you no longer have your phone, authenticator app or backup codes, "
                    a href="/security-details" { "ask us to update your security information" } "."
                }
                li { "If it was not you, your account is safe: nothing was changed." }
            }
        },
    )
}

/// "Wait before asking again", with when.
fn wait_page(title: &str, why: Markup, retry_at_ms: Option<i64>, base: &str) -> Response {
    page(
        StatusCode::TOO_MANY_REQUESTS,
        title,
        html! {
            p { (why) }
            @if let Some(t) = retry_at_ms {
                p {
                    "You can ask for another code after "
                    strong { (crate::clock::from_ms(t).format("%H:%M").to_string()) " UTC" } "."
                }
            }
            ul {
                li { "Use the newest code we already sent; it works for 10 minutes." }
                li { "Or " a href=(base) { "choose another way to verify" } "." }
            }
        },
    )
}

fn method_label(m: TwoFactorKind) -> &'static str {
    match m {
        TwoFactorKind::AuthenticatorApp => "a code from your authenticator app",
        TwoFactorKind::Sms => "a code sent by SMS to your phone",
        TwoFactorKind::BackupCodes => "one of your backup codes",
    }
}

fn two_factor_page(
    link: &ValidLink,
    base: &str,
    chosen: Option<&str>,
    error: Option<&str>,
    sms_sent: bool,
) -> Response {
    let method = chosen.and_then(TwoFactorKind::parse).filter(|m| link.methods.contains(m)).unwrap_or(link.methods[0]);
    let others: Vec<TwoFactorKind> = link.methods.iter().copied().filter(|m| *m != method).collect();
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Verify it's you",
        html! {
            p { "Your account has two-step verification. Enter " (method_label(method)) "." }
            (alert(error))
            @if method == TwoFactorKind::Sms {
                @if sms_sent { p.note { "We sent a code to your phone." } }
                form method="post" action={ (base) "/sms" } { button type="submit" { "Send me a code by SMS" } }
            }
            form method="post" action={ (base) "/verify" } {
                input type="hidden" name="method" value=(method.as_str());
                label for="code" { "Verification code" }
                input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="32"
                    autofocus;
                button type="submit" { "Verify" }
            }
            @if !others.is_empty() {
                h2 { "Try another method" }
                ul {
                    @for m in &others {
                        li { a href={ (base) "?method=" (m.as_str()) } { "Use " (method_label(*m)) } }
                    }
                }
            }
        },
    )
}

fn secret_form(link: &ValidLink, base: &str, error: Option<&str>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    match link.kind {
        RecoveryKind::PasswordReset => page(
            status,
            "Choose a new password",
            html! {
                p { "For " strong { (link.username) } ". Use at least 12 characters; a few unrelated words work well." }
                (alert(error))
                form method="post" action=(base) {
                    label for="password" { "New password" }
                    input id="password" name="password" type="password" autocomplete="new-password" required
                        minlength="12" maxlength="128" autofocus;
                    label for="confirm" { "The same password again" }
                    input id="confirm" name="confirm" type="password" autocomplete="new-password" required
                        maxlength="128";
                    button type="submit" { "Set the new password" }
                }
            },
        ),
        RecoveryKind::AnswerReset => page(
            status,
            "Choose a new security question",
            html! {
                p { "For " strong { (link.username) } "." }
                (alert(error))
                form method="post" action=(base) {
                    label for="question" { "Question" }
                    select id="question" name="question" { @for q in QUESTIONS { option { (q) } } }
                    label for="answer" { "Answer" }
                    input id="answer" name="answer" required maxlength="100" autocomplete="off";
                    button type="submit" { "Save the new answer" }
                }
            },
        ),
    }
}

fn sorry() -> Response {
    page(StatusCode::SERVICE_UNAVAILABLE, "Something went wrong", html! { p { "Please try again in a minute." } })
}

fn base(kind: RecoveryKind, token: &str) -> String {
    format!("/{}/{}", kind.link_path(), token)
}

async fn open(state: &AppState, token: &str, kind: RecoveryKind) -> Result<ValidLink, Response> {
    match end_user::open(&state.db, token, kind, state.clock.now_ms()).await {
        Ok(Link::Valid(v)) => Ok(v),
        Ok(other) => Err(dead_link(kind, &other)),
        Err(e) => {
            tracing::error!(error = %e, "could not open a recovery link");
            Err(sorry())
        }
    }
}

async fn show(state: AppState, token: String, q: HashMap<String, String>, kind: RecoveryKind) -> Response {
    let link = match open(&state, &token, kind).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = base(kind, &token);
    if link.needs_two_factor() {
        return two_factor_page(&link, &base, q.get("method").map(String::as_str), None, q.contains_key("sent"));
    }
    secret_form(&link, &base, None)
}

async fn verify(state: AppState, token: String, fields: Fields, kind: RecoveryKind) -> Response {
    let link = match open(&state, &token, kind).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = base(kind, &token);
    if !link.needs_two_factor() {
        return Redirect::to(&base).into_response();
    }
    let f = fields.map(|Form(f)| f).unwrap_or_default();
    let method = f.get("method").and_then(|m| TwoFactorKind::parse(m)).unwrap_or(link.methods[0]);
    let code = f.get("code").cloned().unwrap_or_default();
    match end_user::verify_code(&state.db, &state.keys, &link, method, &code, state.clock.now_ms()).await {
        Ok(Verified::Passed) => Redirect::to(&base).into_response(),
        Ok(Verified::Wrong { tries_left }) => two_factor_page(
            &link,
            &base,
            Some(method.as_str()),
            Some(&format!(
                "That code is not right (or was already used). Check it and try again: {tries_left} {} left.",
                if tries_left == 1 { "try" } else { "tries" }
            )),
            false,
        ),
        Ok(Verified::Locked) => locked(kind),
        Err(e) => {
            tracing::error!(error = %e, "could not check a verification code");
            sorry()
        }
    }
}

async fn sms(state: AppState, token: String, kind: RecoveryKind) -> Response {
    let link = match open(&state, &token, kind).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = base(kind, &token);
    if !link.methods.contains(&TwoFactorKind::Sms) {
        return Redirect::to(&base).into_response();
    }
    match end_user::send_sms_code(&state.db, &state.keys, &state.config, &link, state.clock.now_ms()).await {
        Ok(SmsSent::Sent) => Redirect::to(&format!("{base}?method=sms&sent=1")).into_response(),
        Ok(SmsSent::NoPhone) => Redirect::to(&base).into_response(),
        Ok(SmsSent::LinkSpent) => wait_page(
            "No more codes for this link",
            html! {
                "This link has sent the most codes it may (" (state.config.sms_per_link) "). To get more, "
                a href=(restart(kind)) { "ask for a new link" } "."
            },
            None,
            &base,
        ),
        Ok(SmsSent::AccountLimited { retry_at_ms }) => wait_page(
            "Please wait before asking again",
            html! { "Your account has been sent the most codes allowed in an hour." },
            Some(retry_at_ms),
            &base,
        ),
        Err(e) => {
            tracing::error!(error = %e, "could not send an SMS code");
            sorry()
        }
    }
}

async fn set(state: AppState, token: String, client: String, fields: Fields, kind: RecoveryKind) -> Response {
    let link = match open(&state, &token, kind).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = base(kind, &token);
    // The form is only shown after 2FA; a post that skips it is sent back to it.
    if link.needs_two_factor() {
        return Redirect::to(&base).into_response();
    }
    let f = fields.map(|Form(f)| f).unwrap_or_default();
    let secret = match kind {
        RecoveryKind::PasswordReset => {
            let password = f.get("password").cloned().unwrap_or_default();
            if f.get("confirm") != Some(&password) {
                return secret_form(&link, &base, Some("The two passwords are not the same."));
            }
            if let Some(problem) = end_user::password_problem(&password, &link.username) {
                return secret_form(&link, &base, Some(problem));
            }
            NewSecret::Password(password)
        }
        RecoveryKind::AnswerReset => {
            let question = f.get("question").cloned().unwrap_or_default();
            let answer = f.get("answer").cloned().unwrap_or_default();
            if !QUESTIONS.contains(&question.as_str()) {
                return secret_form(&link, &base, Some("Choose one of the questions."));
            }
            if end_user::normalise_answer(&answer).chars().count() < 3 || answer.chars().count() > 100 {
                return secret_form(&link, &base, Some("Give an answer of 3 to 100 characters."));
            }
            NewSecret::Answer { question, answer }
        }
    };
    match end_user::complete(&state.db, &state.argon, &link, secret, state.clock.now_ms(), &client).await {
        Ok(true) => page(
            StatusCode::OK,
            "All set",
            html! {
                p {
                    @match kind {
                        RecoveryKind::PasswordReset => "Your password has been changed and you were signed out \
                            everywhere. You can sign in with the new password now.",
                        RecoveryKind::AnswerReset => "Your new security question and answer are saved.",
                    }
                }
            },
        ),
        Ok(false) => dead_link(kind, &Link::Used),
        Err(e) => {
            tracing::error!(error = %e, "could not complete a recovery");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                html! { p { "Nothing was changed. Please try again in a minute." } },
            )
        }
    }
}

pub async fn password_page(State(s): State<AppState>, Path(t): Path<String>, Query(q): Params) -> Response {
    show(s, t, q, RecoveryKind::PasswordReset).await
}
pub async fn answer_page(State(s): State<AppState>, Path(t): Path<String>, Query(q): Params) -> Response {
    show(s, t, q, RecoveryKind::AnswerReset).await
}
pub async fn password_verify(State(s): State<AppState>, Path(t): Path<String>, f: Fields) -> Response {
    verify(s, t, f, RecoveryKind::PasswordReset).await
}
pub async fn answer_verify(State(s): State<AppState>, Path(t): Path<String>, f: Fields) -> Response {
    verify(s, t, f, RecoveryKind::AnswerReset).await
}
pub async fn password_sms(State(s): State<AppState>, Path(t): Path<String>) -> Response {
    sms(s, t, RecoveryKind::PasswordReset).await
}
pub async fn answer_sms(State(s): State<AppState>, Path(t): Path<String>) -> Response {
    sms(s, t, RecoveryKind::AnswerReset).await
}
pub async fn password_set(
    State(s): State<AppState>,
    Path(t): Path<String>,
    ClientAddr(c): ClientAddr,
    f: Fields,
) -> Response {
    set(s, t, c, f, RecoveryKind::PasswordReset).await
}
pub async fn answer_set(
    State(s): State<AppState>,
    Path(t): Path<String>,
    ClientAddr(c): ClientAddr,
    f: Fields,
) -> Response {
    set(s, t, c, f, RecoveryKind::AnswerReset).await
}
