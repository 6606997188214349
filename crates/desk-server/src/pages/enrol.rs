//! The staff enrolment pages behind an invite (or authenticator-reset) link: password, then a QR
//! code for the authenticator app confirmed by its first code, then the backup codes. Plain HTML,
//! no script; the QR code is an inline SVG drawn here, so nothing is loaded from elsewhere.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;

use super::{escape, page};
use crate::domain::staff::enrol::{self, Enrolment, Opened, Purpose};
use crate::domain::staff::passwords::MIN_CHARS;
use crate::http::ClientAddr;
use crate::AppState;

type Fields = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

fn dead(opened: &Opened) -> Response {
    let (title, why) = match opened {
        Opened::Expired => ("This link has expired", "Enrolment links work for 48 hours."),
        Opened::Used => ("This link was already used", "Each link works once. Sign in from the console."),
        Opened::Superseded => ("A newer link was sent", "Use the link in the newest email; older links stop working."),
        Opened::TooManyFailures => ("This link is locked", "Too many wrong codes or passwords were entered."),
        _ => ("This link is not valid", "Check that you copied the whole link from the email."),
    };
    page(StatusCode::GONE, title, &format!("<p>{why}</p><p>Ask an admin of your desk for a new link.</p>"))
}

fn broken(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "enrolment step failed");
    page(StatusCode::SERVICE_UNAVAILABLE, "Something went wrong", "<p>Please try again in a minute.</p>")
}

async fn opened(state: &AppState, token: &str) -> Result<Enrolment, Response> {
    match enrol::open(&state.db, token, state.clock.now_ms()).await {
        Ok(Opened::Valid(e)) => Ok(e),
        Ok(other) => Err(dead(&other)),
        Err(e) => Err(broken(e)),
    }
}

fn error_html(error: Option<&str>) -> String {
    error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))).unwrap_or_default()
}

fn password_page(e: &Enrolment, token: &str, error: Option<&str>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let err = error_html(error);
    match e.purpose {
        Purpose::Invite => page(
            status,
            "Welcome to Recovery Desk",
            &format!(
                "<p>{name}, choose the password you will sign in with as <strong>{email}</strong>. Use at least \
                 {MIN_CHARS} characters; a few unrelated words work well. Common passwords are refused.</p>{err}\
                 <form method=\"post\" action=\"/enrol/{token}\"><label for=\"password\">Password</label>\
                 <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"{MIN_CHARS}\" maxlength=\"128\" autofocus>\
                 <label for=\"confirm\">The same password again</label>\
                 <input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" required maxlength=\"128\">\
                 <button type=\"submit\">Continue</button></form><p class=\"note\">Step 1 of 3.</p>",
                name = escape(&e.name),
                email = escape(&e.email)
            ),
        ),
        Purpose::AuthenticatorReset => page(
            status,
            "Set up your new authenticator",
            &format!(
                "<p>{name}, your authenticator was reset. Confirm your current password first.</p>{err}\
                 <form method=\"post\" action=\"/enrol/{token}\"><label for=\"password\">Current password</label>\
                 <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"128\" autofocus>\
                 <button type=\"submit\">Continue</button></form><p class=\"note\">Step 1 of 3.</p>",
                name = escape(&e.name)
            ),
        ),
    }
}

fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build()
            // The document's XML prolog is not allowed inside HTML.
            .split_once("<svg")
            .map(|(_, rest)| format!("<svg role=\"img\" aria-label=\"QR code of your authenticator secret\"{rest}"))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn code_form(token: &str, error: Option<&str>) -> String {
    format!(
        "{}<form method=\"post\" action=\"/enrol/{token}/confirm\"><label for=\"code\">The 6-digit code the app shows</label>\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required maxlength=\"6\" autofocus>\
         <button type=\"submit\">Confirm</button></form>",
        error_html(error)
    )
}

fn authenticator_page(e: &Enrolment, token: &str, secret: &str) -> Response {
    let uri = enrol::otpauth_uri(&e.email, secret);
    page(
        StatusCode::OK,
        "Scan this code with your authenticator app",
        &format!(
            "<p>Open your authenticator app (any app that supports time-based codes), add an account and scan:</p>\
             <div>{svg}</div>\
             <p class=\"note\">Cannot scan? Enter this key by hand: <code>{secret}</code> (time-based, 6 digits, 30 seconds), \
             or open <a href=\"{uri_attr}\">{uri_text}</a> on this device. This page shows it once.</p>\
             {form}<p class=\"note\">Step 2 of 3.</p>",
            svg = qr_svg(&uri),
            secret = escape(secret),
            uri_attr = escape(&uri),
            uri_text = escape(&uri),
            form = code_form(token, None)
        ),
    )
}

/// After the password step, a reload shows no secret again: it offers the code form, or a new
/// QR code (which replaces the one shown before).
fn resume_page(token: &str, error: Option<&str>) -> Response {
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Confirm your authenticator",
        &format!(
            "<p>Enter the code your authenticator app shows for Recovery Desk.</p>{}\
             <form method=\"post\" action=\"/enrol/{token}/authenticator\"><button type=\"submit\">Show a new QR code instead</button></form>\
             <p class=\"note\">Step 2 of 3. A new QR code replaces the one shown before.</p>",
            code_form(token, error)
        ),
    )
}

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match opened(&state, &token).await {
        Ok(e) if e.password_done => resume_page(&token, None),
        Ok(e) => password_page(&e, &token, None),
        Err(r) => r,
    }
}

pub async fn password(State(state): State<AppState>, Path(token): Path<String>, form: Fields) -> Response {
    let e = match opened(&state, &token).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    if e.password_done {
        return resume_page(&token, None);
    }
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    match enrol::password_step(&state.db, &e, get("password"), get("confirm"), state.clock.now_ms()).await {
        Ok(Ok(())) => new_secret_page(&state, &token).await,
        Ok(Err(message)) => password_page(&e, &token, Some(&message)),
        Err(err) => broken(err),
    }
}

async fn new_secret_page(state: &AppState, token: &str) -> Response {
    let e = match opened(state, token).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    match enrol::new_authenticator(&state.db, &state.keys, &e).await {
        Ok(Some(secret)) => authenticator_page(&e, token, &secret),
        Ok(None) => password_page(&e, token, None),
        Err(err) => broken(err),
    }
}

pub async fn authenticator(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    new_secret_page(&state, &token).await
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientAddr(client): ClientAddr,
    form: Fields,
) -> Response {
    let e = match opened(&state, &token).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    let code = fields.get("code").map(String::as_str).unwrap_or("");
    match enrol::confirm(&state.db, &state.keys, &e, code, state.clock.now_ms(), &client).await {
        Ok(Ok(codes)) => {
            let list: String = codes.iter().map(|c| format!("<li><code>{}</code></li>", escape(c))).collect();
            page(
                StatusCode::OK,
                "You are enrolled",
                &format!(
                    "<p>Your password and authenticator are set. These backup codes each sign you in once when \
                     your phone is not at hand. Keep them somewhere safe, away from your computer: this page \
                     shows them once.</p><ul class=\"codes\">{list}</ul>\
                     <p>Now open the Recovery Desk console and sign in as <strong>{}</strong>.</p><p class=\"note\">Step 3 of 3.</p>",
                    escape(&e.email)
                ),
            )
        }
        Ok(Err(message)) if e.password_done => resume_page(&token, Some(&message)),
        Ok(Err(message)) => password_page(&e, &token, Some(&message)),
        Err(err) => broken(err),
    }
}
