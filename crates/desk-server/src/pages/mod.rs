//! The end user's pages: plain server-rendered HTML that works without JavaScript, on the
//! service's own origin. "Forgot password?", "Forgot your answer?", and the links they send.

mod enrol;
mod recover;
mod reset;
mod security_details;
mod verify_email;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/recover", get(recover::password_form).post(recover::password_submit))
        .route("/recover-answer", get(recover::answer_form).post(recover::answer_submit))
        .route("/reset/{token}", get(reset::password_page).post(reset::password_set))
        .route("/reset/{token}/verify", post(reset::password_verify))
        .route("/reset/{token}/sms", post(reset::password_sms))
        .route("/reset-answer/{token}", get(reset::answer_page).post(reset::answer_set))
        .route("/reset-answer/{token}/verify", post(reset::answer_verify))
        .route("/reset-answer/{token}/sms", post(reset::answer_sms))
        .route(
            "/security-details",
            get(security_details::form)
                .post(security_details::submit)
                .layer(axum::extract::DefaultBodyLimit::max(security_details::BODY_LIMIT)),
        )
        .route(
            "/security-details/{reference}/confirm",
            get(security_details::confirm_form).post(security_details::confirm),
        )
        .route("/security-details/reply/{token}", get(security_details::reply_form).post(security_details::reply))
        .route("/security-details/cancel/{token}", get(security_details::cancel_form).post(security_details::cancel))
        .route("/enrol/{token}", get(enrol::show).post(enrol::password))
        .route("/enrol/{token}/authenticator", post(enrol::authenticator))
        .route("/enrol/{token}/confirm", post(enrol::confirm))
        .route("/verify-email/{token}", get(verify_email::form).post(verify_email::confirm))
        .route(
            "/security-details/verify-email/{token}",
            get(security_details::verify_email_form).post(security_details::verify_email),
        )
}

/// The largest body any route reads: the security-details form with its files.
pub const BODY_LIMIT: usize = security_details::BODY_LIMIT;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1f24;background:#fff}\
h1{font-size:1.5rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}\
input,select,textarea{font:inherit;width:100%;padding:.5rem;border:1px solid #6b7280;border-radius:4px;box-sizing:border-box}\
input[type=radio],input[type=checkbox]{width:auto;margin:0 .5rem 0 0;padding:0;vertical-align:middle}\
label:has(>input[type=radio]),label:has(>input[type=checkbox]){font-weight:400;margin:.4rem 0}\
fieldset{border:1px solid #6b7280;border-radius:4px;margin:1rem 0;padding:.25rem .75rem .5rem}legend{font-weight:600;padding:0 .25rem}\
button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:4px;background:#0f5e57;color:#fff;cursor:pointer}\
button:focus,input:focus,select:focus,a:focus{outline:3px solid #f59e0b;outline-offset:2px}\
.error{color:#9b1c1c;font-weight:600}.note{color:#4b5563}ul{padding-left:1.25rem}\
@media (prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}.note{color:#9ca3af}input,select,textarea{background:#1f2937;color:#e5e7eb}}";

/// A complete page. Every page is `no-store`, cannot be framed, and runs no script. Every value
/// spliced into `body` with maud's `(expr)` is escaped, so no input can become markup.
pub fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) }
                // Besides maud's own DOCTYPE, the only text any page does not escape: the constant
                // STYLE above, never input. Keep every other `PreEscaped` out of the pages.
                style { (PreEscaped(STYLE)) }
            }
            body { main { h1 { (title) } (body) } }
        }
    };
    let mut res = (status, html.into_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// The form that asks for a 6-digit code (one the app shows or one that was mailed), after its error.
pub fn code_form(action: &str, label: &str, error: Option<&str>) -> Markup {
    html! {
        (alert(error))
        form method="post" action=(action) {
            label for="code" { (label) }
            input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="6"
                autofocus;
            button type="submit" { "Confirm" }
        }
    }
}

/// A form's error, announced to screen readers; nothing when there is none.
pub fn alert(error: Option<&str>) -> Markup {
    html! { @if let Some(e) = error { p.error role="alert" { (e) } } }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use maud::html;

    #[tokio::test]
    async fn user_text_stays_text() {
        let input = r#"<a href="x" onclick='y'>&amp;</a>"#;
        let res = super::page(StatusCode::OK, input, html! { p { (input) } (super::alert(Some(input))) });
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        let escaped = "&lt;a href=&quot;x&quot; onclick='y'&gt;&amp;amp;&lt;/a&gt;";
        // Title, heading, paragraph and alert.
        assert_eq!(html.matches(escaped).count(), 4, "{html}");
        assert!(!html.contains("<a href"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }
}
