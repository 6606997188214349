//! "Forgot password?" and "Forgot your answer?": the same page and status, in about the same time,
//! whether or not an account matches.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

use maud::html;

use super::{alert, page};
use crate::domain::end_user;
use crate::domain::recovery::RecoveryKind;
use crate::http::ClientAddr;
use crate::AppState;

fn form(kind: RecoveryKind, error: Option<&str>) -> Response {
    let (title, action, intro) = match kind {
        RecoveryKind::PasswordReset => ("Forgot password?", "/recover", "Enter your username or the email address you use for your account. We will send you an email with the next steps."),
        RecoveryKind::AnswerReset => ("Forgot your answer?", "/recover-answer", "Enter your username or email address. We will send you an email to set a new security question and answer."),
    };
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        title,
        html! {
            p { (intro) }
            (alert(error))
            form method="post" action=(action) {
                label for="identifier" { "Username or email" }
                input id="identifier" name="identifier" autocomplete="username" required maxlength="254" autofocus;
                button type="submit" { "Send me the email" }
            }
        },
    )
}

pub async fn password_form() -> Response {
    form(RecoveryKind::PasswordReset, None)
}

pub async fn answer_form() -> Response {
    form(RecoveryKind::AnswerReset, None)
}

pub async fn password_submit(
    state: State<AppState>,
    client: ClientAddr,
    body: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    submit(state, client, body, RecoveryKind::PasswordReset).await
}

pub async fn answer_submit(
    state: State<AppState>,
    client: ClientAddr,
    body: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    submit(state, client, body, RecoveryKind::AnswerReset).await
}

async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    body: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
    kind: RecoveryKind,
) -> Response {
    let identifier = body.ok().and_then(|Form(f)| f.get("identifier").cloned()).unwrap_or_default();
    let identifier = identifier.trim().to_lowercase();
    if identifier.is_empty() || identifier.chars().count() > 254 || identifier.chars().any(char::is_control) {
        return form(kind, Some("Enter your username or email address."));
    }
    let now = state.clock.now_ms();
    match end_user::within_public_limits(&state.db, &state.config, kind.as_str(), &identifier, &client, now).await {
        Ok(true) => {}
        Ok(false) => {
            return page(
                StatusCode::TOO_MANY_REQUESTS,
                "Please wait a little",
                html! { p { "Too many requests were made. Wait 15 minutes, then try again." } },
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "public recovery request failed");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Something went wrong",
                html! { p { "Please try again in a minute." } },
            );
        }
    }
    // The lookup and the email happen after the answer, so the answer cannot tell them apart.
    let (db, config) = (state.db.clone(), state.config.clone());
    state.after_answer.spawn(async move {
        if let Err(e) = end_user::user_request(db, config, identifier, kind, now).await {
            tracing::error!(error = %e, "could not handle a public recovery request");
        }
    });
    page(
        StatusCode::OK,
        "Check your email",
        html! {
            p {
                "If an account matches what you entered, we have sent an email with the next steps to the address on \
                 file."
            }
            ul {
                li { "It should arrive within a few minutes. Check your spam or junk folder too." }
                li { "If you have several email addresses, check the one linked to your account." }
                li { "Still nothing? You can " a href="/recover" { "send the request again" } "." }
            }
            p.note {
                "Do not create another account: it breaks our terms of service and will not get you back into this one."
            }
        },
    )
}
