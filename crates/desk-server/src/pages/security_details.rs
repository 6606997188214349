//! "Update your security information": the form of last resort, the code that confirms the
//! contact address, the reply page for "we need more information", and "this wasn't me".

use std::collections::HashMap;

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use desk_api::{ChangeKind, EmailAddress, RequestState};

use maud::html;

use super::{alert, code_form, page};
use crate::domain::end_user;
use crate::domain::queue::lifecycle;
use crate::domain::queue::submit::{self, Submission, Upload, MAX_FILES, MAX_FILE_BYTES};
use crate::domain::DomainError;
use crate::http::ClientAddr;
use crate::AppState;

/// Three files of 2 MB and the text fields.
pub const BODY_LIMIT: usize = MAX_FILES * MAX_FILE_BYTES + 64 * 1024;

type Fields = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

fn sorry() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Something went wrong",
        html! { p { "Nothing was sent. Please try again in a minute." } },
    )
}

fn form_page(error: Option<&str>, v: &HashMap<String, String>) -> Response {
    let val = |k: &str| v.get(k).cloned().unwrap_or_default();
    let change = |label: &str, c: ChangeKind| {
        let chosen = v.get("change").map(String::as_str) == Some(c.as_str());
        html! {
            label {
                input type="radio" name="change" value=(c.as_str()) checked[chosen];
                " " (label)
            }
        }
    };
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Update your security information",
        html! {
            p {
                "If you tried everything else and still cannot get into your account, tell us what to change and we \
                 will help. Do not create another account."
            }
            (alert(error))
            form method="post" action="/security-details" enctype="multipart/form-data" {
                label for="identifier" { "Your username or an email address on the account" }
                input id="identifier" name="identifier" required maxlength="254" value=(val("identifier"));
                label for="contact" { "An email address we can reach you at now" }
                input id="contact" name="contact" type="email" required maxlength="254" value=(val("contact"));
                fieldset {
                    legend { "What should change?" }
                    (change("The account's email address", ChangeKind::Email))
                    (change("The phone number", ChangeKind::Phone))
                    (change("Remove two-step verification", ChangeKind::RemoveTwoFactor))
                    (change("Reset the security question", ChangeKind::ResetSecurityQuestion))
                }
                label for="new_value" { "The new email address or phone number (if that is what changes)" }
                input id="new_value" name="new_value" maxlength="254" value=(val("new_value"));
                label for="full_name" { "Your full name, as on the account" }
                input id="full_name" name="full_name" required maxlength="120" value=(val("full_name"));
                label for="country" { "Your country (two letters, e.g. US)" }
                input id="country" name="country" required maxlength="2" value=(val("country"));
                label for="former_address" { "An email address you used on the account before (optional)" }
                input id="former_address" name="former_address" maxlength="254" value=(val("former_address"));
                label for="account_age_years" { "About how many years ago you opened the account (optional)" }
                input id="account_age_years" name="account_age_years" inputmode="numeric" maxlength="2"
                    value=(val("account_age_years"));
                label for="statement" { "What happened" }
                textarea id="statement" name="statement" required maxlength="2000" rows="6" { (val("statement")) }
                label for="evidence" {
                    "Evidence (optional): up to " (MAX_FILES)
                    " PNG, JPEG or PDF files of at most 2 MB each (images up to 40 megapixels)"
                }
                input id="evidence" name="evidence" type="file" multiple accept="image/png,image/jpeg,application/pdf";
                button type="submit" { "Send the request" }
            }
        },
    )
}

pub async fn form() -> Response {
    form_page(None, &HashMap::new())
}

/// Reads the multipart form with its limits; answers the fields and the files.
async fn read(mut mp: Multipart) -> Result<(HashMap<String, String>, Vec<Upload>), String> {
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err("The form could not be read; the files may be too large (2 MB each at most).".into()),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "evidence" {
            let file_name: String =
                field.file_name().unwrap_or("evidence").chars().filter(|c| !c.is_control()).take(120).collect();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| "A file could not be read; files are 2 MB each at most.".to_string())?;
            if bytes.is_empty() {
                continue;
            }
            if files.len() == MAX_FILES {
                return Err(format!("Attach at most {MAX_FILES} files."));
            }
            if bytes.len() > MAX_FILE_BYTES {
                return Err(format!("{file_name} is larger than 2 MB."));
            }
            if let Some(problem) = submit::evidence_problem(&file_name, &bytes) {
                return Err(problem);
            }
            files.push(Upload { name: file_name, bytes: bytes.to_vec() });
        } else {
            let text = field.text().await.map_err(|_| "The form could not be read.".to_string())?;
            fields.insert(name, text);
        }
    }
    Ok((fields, files))
}

fn validate(f: &HashMap<String, String>, evidence: Vec<Upload>) -> Result<Submission, &'static str> {
    let get = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let identifier = get("identifier");
    if identifier.is_empty() || identifier.len() > 254 {
        return Err("Enter your username or an email address on the account.");
    }
    let contact = EmailAddress::parse(&get("contact")).map_err(|_| "Enter an email address we can reach you at.")?;
    let change = ChangeKind::parse(&get("change")).ok_or("Choose what should change.")?;
    let new_value = match change {
        ChangeKind::Email => Some(
            EmailAddress::parse(&get("new_value")).map_err(|_| "Enter the new email address.")?.as_str().to_string(),
        ),
        ChangeKind::Phone => {
            let p = get("new_value");
            let digits = desk_api::phone_digits(&p);
            if !(7..=15).contains(&digits.len()) || p.chars().any(|c| !(c.is_ascii_digit() || " +-()".contains(c))) {
                return Err("Enter the new phone number with its country code.");
            }
            Some(p)
        }
        _ => None,
    };
    let full_name = get("full_name");
    if full_name.is_empty() || full_name.chars().count() > 120 {
        return Err("Enter your full name.");
    }
    let country = get("country").to_uppercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err("Enter your country as two letters, e.g. US.");
    }
    let former = get("former_address");
    let former_address = if former.is_empty() {
        None
    } else {
        Some(
            EmailAddress::parse(&former)
                .map_err(|_| "The former address is not an email address.")?
                .as_str()
                .to_string(),
        )
    };
    let age = get("account_age_years");
    let account_age_years = if age.is_empty() {
        None
    } else {
        Some(
            age.parse::<i64>()
                .ok()
                .filter(|a| (0..=60).contains(a))
                .ok_or("The account's age is a number of years.")?,
        )
    };
    let statement = get("statement");
    if statement.chars().count() < 20 || statement.chars().count() > 2000 {
        return Err("Tell us what happened in 20 to 2000 characters.");
    }
    Ok(Submission {
        identifier,
        contact,
        change,
        new_value,
        full_name,
        country,
        former_address,
        account_age_years,
        statement,
        evidence,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(mp) = mp else {
        return form_page(Some("Send the form from this page."), &HashMap::new());
    };
    let (fields, files) = match read(mp).await {
        Ok(v) => v,
        Err(e) => return form_page(Some(&e), &HashMap::new()),
    };
    let submission = match validate(&fields, files) {
        Ok(s) => s,
        Err(e) => return form_page(Some(e), &fields),
    };
    let now = state.clock.now_ms();
    match end_user::within_public_limits(
        &state.db,
        &state.config,
        "security_details",
        submission.contact.as_str(),
        &client,
        now,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => {
            return page(
                StatusCode::TOO_MANY_REQUESTS,
                "Please wait a little",
                html! { p { "Too many requests were sent. Wait 15 minutes, then try again." } },
            )
        }
        Err(_) => return sorry(),
    }
    match submit::file(&state.db, &state.keys, &state.config, submission, now).await {
        Ok(reference) => Redirect::to(&format!("/security-details/{reference}/confirm")).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not file a security-details request");
            sorry()
        }
    }
}

fn confirm_page(reference: &str, error: Option<&str>) -> Response {
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Confirm your email address",
        html! {
            p {
                "We sent a 6-digit code to the address you gave. Enter it to send request "
                strong { (reference) } " to our team."
            }
            (code_form(&format!("/security-details/{reference}/confirm"), "Code", error))
        },
    )
}

fn reference_ok(r: &str) -> bool {
    r.len() == 11 && r.starts_with("SD-") && r[3..].chars().all(|c| c.is_ascii_alphanumeric())
}

pub async fn confirm_form(Path(reference): Path<String>) -> Response {
    if !reference_ok(&reference) {
        return page(StatusCode::NOT_FOUND, "Request not found", html! { p { "Check the reference." } });
    }
    confirm_page(&reference, None)
}

pub async fn confirm(State(state): State<AppState>, Path(reference): Path<String>, fields: Fields) -> Response {
    if !reference_ok(&reference) {
        return page(StatusCode::NOT_FOUND, "Request not found", html! { p { "Check the reference." } });
    }
    let code = fields.ok().and_then(|Form(f)| f.get("code").cloned()).unwrap_or_default();
    match lifecycle::confirm_contact(&state.db, &state.keys, state.clock.now_ms(), &reference, &code).await {
        Ok(true) => page(
            StatusCode::OK,
            "We have your request",
            html! {
                p {
                    "Your reference is " strong { (reference) } ". We will write to you at the address you confirmed \
                     as the request moves; most requests are handled within two days."
                }
            },
        ),
        Ok(false) => {
            confirm_page(&reference, Some("That code is not right. Check the email and try again (5 tries at most)."))
        }
        Err(DomainError::NotFound(_)) => {
            page(StatusCode::NOT_FOUND, "Request not found", html! { p { "Check the reference." } })
        }
        Err(DomainError::Conflict { .. }) => {
            page(StatusCode::OK, "Already confirmed", html! { p { "This request is already with our team." } })
        }
        Err(_) => sorry(),
    }
}

pub async fn reply_form(Path(token): Path<String>) -> Response {
    page(
        StatusCode::OK,
        "Tell us more",
        html! {
            form method="post" action={ "/security-details/reply/" (token) } {
                label for="text" { "Your answer" }
                textarea id="text" name="text" required maxlength="2000" rows="6" {}
                button type="submit" { "Send" }
            }
        },
    )
}

pub async fn reply(State(state): State<AppState>, Path(token): Path<String>, fields: Fields) -> Response {
    let text = fields.ok().and_then(|Form(f)| f.get("text").cloned()).unwrap_or_default();
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tell us more",
            html! { p.error { "Write an answer of at most 2000 characters." } },
        );
    }
    match lifecycle::user_reply(&state.db, state.clock.now_ms(), &token, text).await {
        Ok(reference) => page(
            StatusCode::OK,
            "Thank you",
            html! { p { "Request " strong { (reference) } " is back with our team." } },
        ),
        Err(DomainError::NotFound(_)) | Err(DomainError::Conflict { .. }) => page(
            StatusCode::GONE,
            "This link no longer works",
            html! { p { "The request has moved on. Reply to our last email instead." } },
        ),
        Err(_) => sorry(),
    }
}

pub async fn cancel_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match lifecycle::peek_cancel(&state.db, &token).await {
        Ok((reference, RequestState::Approved)) => page(
            StatusCode::OK,
            "Cancel this change?",
            html! {
                p {
                    "Request " strong { (reference) }
                    " will change your account's security details. If you did not ask for it, cancel it."
                }
                form method="post" action={ "/security-details/cancel/" (token) } {
                    button type="submit" { "This wasn't me — cancel the change" }
                }
            },
        ),
        Ok((_, RequestState::Applied)) => page(
            StatusCode::GONE,
            "Too late to cancel",
            html! { p { "The change has already applied. Contact support at once if it was not you." } },
        ),
        Ok(_) => page(StatusCode::GONE, "Nothing to cancel", html! { p { "This change is no longer pending." } }),
        Err(_) => page(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            html! { p { "Check that you copied the whole link." } },
        ),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    match lifecycle::cancel(&state.db, state.clock.now_ms(), &token, &client).await {
        Ok(reference) => page(
            StatusCode::OK,
            "Cancelled",
            html! {
                p {
                    "Request " strong { (reference) }
                    " was cancelled and nothing was changed. Consider changing your password."
                }
            },
        ),
        Err(DomainError::NotFound(_)) => page(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            html! { p { "Check that you copied the whole link." } },
        ),
        Err(DomainError::Conflict { .. }) => {
            page(StatusCode::GONE, "Nothing to cancel", html! { p { "This change is no longer pending." } })
        }
        Err(_) => sorry(),
    }
}

/// The link mailed to the new address of an applied email change. Opening it asks for a click:
/// mail scanners open links on their own, and must not confirm an address for the user.
pub async fn verify_email_form(Path(token): Path<String>) -> Response {
    page(
        StatusCode::OK,
        "Confirm your new email address",
        html! {
            p { "Confirm that this address is yours to make it your account's main address." }
            form method="post" action={ "/security-details/verify-email/" (token) } {
                button type="submit" { "Confirm this address" }
            }
        },
    )
}

pub async fn verify_email(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    match lifecycle::verify_email(&state.db, state.clock.now_ms(), &token, &client).await {
        Ok(Some(_)) => page(
            StatusCode::OK,
            "Address confirmed",
            html! { p { "Your new address is confirmed and is now your account's main address." } },
        ),
        Ok(None) => page(
            StatusCode::GONE,
            "This link no longer works",
            html! {
                p {
                    "It was already used, or it expired after 7 days. If the address still needs confirming, \
                     contact support."
                }
            },
        ),
        Err(_) => sorry(),
    }
}
