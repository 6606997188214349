//! The staff enrolment pages behind an invite (or authenticator-reset) link: password, then a QR
//! code for the authenticator app confirmed by its first code, then the backup codes. Plain HTML,
//! no script; the QR code is an inline SVG drawn here, so nothing is loaded from elsewhere.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;

use maud::{html, Markup};

use super::{alert, page};
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
    page(StatusCode::GONE, title, html! { p { (why) } p { "Ask an admin of your desk for a new link." } })
}

fn broken(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "enrolment step failed");
    page(StatusCode::SERVICE_UNAVAILABLE, "Something went wrong", html! { p { "Please try again in a minute." } })
}

async fn opened(state: &AppState, token: &str) -> Result<Enrolment, Response> {
    match enrol::open(&state.db, token, state.clock.now_ms()).await {
        Ok(Opened::Valid(e)) => Ok(e),
        Ok(other) => Err(dead(&other)),
        Err(e) => Err(broken(e)),
    }
}

fn password_page(e: &Enrolment, token: &str, error: Option<&str>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let err = alert(error);
    match e.purpose {
        Purpose::Invite => page(
            status,
            "Welcome to Recovery Desk",
            html! {
                p {
                    (e.name) ", choose the password you will sign in with as " strong { (e.email) }
                    ". Use at least " (MIN_CHARS) " characters; a few unrelated words work well. \
                     Common passwords are refused."
                }
                (err)
                form method="post" action={ "/enrol/" (token) } {
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="new-password" required
                        minlength=(MIN_CHARS) maxlength="128" autofocus;
                    label for="confirm" { "The same password again" }
                    input id="confirm" name="confirm" type="password" autocomplete="new-password" required
                        maxlength="128";
                    button type="submit" { "Continue" }
                }
                p.note { "Step 1 of 3." }
            },
        ),
        Purpose::AuthenticatorReset => page(
            status,
            "Set up your new authenticator",
            html! {
                p { (e.name) ", your authenticator was reset. Confirm your current password first." }
                (err)
                form method="post" action={ "/enrol/" (token) } {
                    label for="password" { "Current password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required
                        maxlength="128" autofocus;
                    button type="submit" { "Continue" }
                }
                p.note { "Step 1 of 3." }
            },
        ),
    }
}

/// The QR code as inline SVG, drawn here module by module (the same picture the qrcode crate's
/// SVG renderer makes, at least 220 pixels wide with a 4-module quiet zone) so that it too goes
/// through the template rather than being pasted in as markup.
fn qr_svg(uri: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else { return html! {} };
    let (modules, quiet) = (code.width(), 4);
    let side = modules + 2 * quiet;
    let px = side * 220usize.div_ceil(side);
    let mut dark = String::new();
    for (i, _) in code.to_colors().iter().enumerate().filter(|(_, c)| **c == qrcode::Color::Dark) {
        let (x, y) = (i % modules + quiet, i / modules + quiet);
        dark.push_str(&format!("M{x} {y}h1v1H{x}V{y}"));
    }
    html! {
        svg role="img" aria-label="QR code of your authenticator secret" xmlns="http://www.w3.org/2000/svg"
            version="1.1" width=(px) height=(px) viewBox={ "0 0 " (side) " " (side) } shape-rendering="crispEdges" {
            rect x="0" y="0" width=(side) height=(side) fill="#ffffff" {}
            path fill="#000000" d=(dark) {}
        }
    }
}

fn code_form(token: &str, error: Option<&str>) -> Markup {
    super::code_form(&format!("/enrol/{token}/confirm"), "The 6-digit code the app shows", error)
}

fn authenticator_page(e: &Enrolment, token: &str, secret: &str) -> Response {
    let uri = enrol::otpauth_uri(&e.email, secret);
    page(
        StatusCode::OK,
        "Scan this code with your authenticator app",
        html! {
            p { "Open your authenticator app (any app that supports time-based codes), add an account and scan:" }
            div { (qr_svg(&uri)) }
            p.note {
                "Cannot scan? Enter this key by hand: " code { (secret) }
                " (time-based, 6 digits, 30 seconds), or open "
                a href=(uri) { (uri) } " on this device. This page shows it once."
            }
            (code_form(token, None))
            p.note { "Step 2 of 3." }
        },
    )
}

/// After the password step, a reload shows no secret again: it offers the code form, or a new
/// QR code (which replaces the one shown before).
fn resume_page(token: &str, error: Option<&str>) -> Response {
    page(
        if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        "Confirm your authenticator",
        html! {
            p { "Enter the code your authenticator app shows for Recovery Desk." }
            (code_form(token, error))
            form method="post" action={ "/enrol/" (token) "/authenticator" } {
                button type="submit" { "Show a new QR code instead" }
            }
            p.note { "Step 2 of 3. A new QR code replaces the one shown before." }
        },
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
        Ok(Ok(codes)) => page(
            StatusCode::OK,
            "You are enrolled",
            html! {
                p {
                    "Your password and authenticator are set. These backup codes each sign you in once when your \
                     phone is not at hand. Keep them somewhere safe, away from your computer: this page shows them \
                     once."
                }
                ul.codes { @for c in &codes { li { code { (c) } } } }
                p { "Now open the Recovery Desk console and sign in as " strong { (e.email) } "." }
                p.note { "Step 3 of 3." }
            },
        ),
        Ok(Err(message)) if e.password_done => resume_page(&token, Some(&message)),
        Ok(Err(message)) => password_page(&e, &token, Some(&message)),
        Err(err) => broken(err),
    }
}

#[cfg(test)]
mod tests {
    /// The QR code drawn here is the one the qrcode crate's own renderer draws, module for module.
    #[test]
    fn the_qr_code_has_the_modules_of_the_qrcode_renderer() {
        let uri = super::enrol::otpauth_uri("maria.lopez@example.com", "JBSWY3DPEHPK3PXP");
        let theirs = qrcode::QrCode::new(uri.as_bytes())
            .unwrap()
            .render::<qrcode::render::svg::Color>()
            .module_dimensions(1, 1)
            .build();
        let d = theirs.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let ours = super::qr_svg(&uri).into_string();
        assert!(ours.contains(&format!(" d=\"{d}\"")), "{ours}\n{theirs}");
    }
}
