//! The HTTP edge: routes, extractors that parse and authorise, problem answers.

mod account_actions;
mod accounts;
mod actions;
mod audit;
mod dev;
mod extract;
mod mail_events;
pub mod openapi;
mod requests;
mod sessions;
mod sso;
mod staff;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;
use crate::AppState;

pub use extract::{client_address, client_ip, parse_id, Authorized, ClientAddr};

/// Request bodies of the API are small JSON documents.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The body limit's own refusal (a declared length over the limit) as a problem document, like
/// every other refusal.
async fn problem_for_413(res: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let bare = res.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
        && res.headers().get(header::CONTENT_TYPE).is_none_or(|t| t.as_bytes().starts_with(b"text/plain"));
    if bare {
        ApiError::PayloadTooLarge.into_response()
    } else {
        res
    }
}

/// Answers 408 when a request is not answered within `request_timeout_secs`. Only producing the
/// answer is timed: a long export streams its body after it. The evidence upload (up to 6 MB from
/// a user's phone) gets four times as long.
async fn time_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let upload = req.method() == axum::http::Method::POST && req.uri().path() == "/security-details";
    let secs = state.config.request_timeout_secs * if upload { 4 } else { 1 };
    let limit = std::time::Duration::from_secs(secs);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            let mut res = ApiError::Timeout.into_response();
            // The body may not have been read to its end: the connection cannot be reused.
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/sessions", post(sessions::create))
        .route("/sessions/current", axum::routing::delete(sessions::delete))
        .route("/me", get(sessions::me))
        .route("/sso", get(sso::availability))
        .route("/sso/start", post(sso::start))
        .route("/sso/finish", post(sso::finish))
        .route("/accounts", get(accounts::search))
        .route("/accounts/{id}", get(accounts::detail))
        .route("/accounts/{id}/password-reset", post(actions::password_reset))
        .route("/accounts/{id}/security-answer-reset", post(actions::answer_reset))
        .route("/accounts/{id}/activity", get(accounts::activity))
        .route("/accounts/{id}/unlock", post(account_actions::unlock))
        .route("/accounts/{id}/end-sessions", post(account_actions::end_sessions))
        .route("/accounts/{id}/emails/{email_id}/verification", post(account_actions::verification_email))
        .route("/accounts/{id}/caller-verification", post(account_actions::challenge))
        .route("/accounts/{id}/caller-verification/{challenge_id}/check", post(account_actions::check))
        .route("/accounts/{id}/address-check", post(accounts::address_check))
        .route("/accounts/{id}/emails/{email_id}/reveal", post(accounts::reveal))
        .route("/requests", get(requests::list))
        .route("/requests/counts", get(requests::counts))
        .route("/requests/claim-next", post(requests::claim_next))
        .route("/requests/{id}", get(requests::detail))
        .route("/requests/{id}/claim", post(requests::claim))
        .route("/requests/{id}/renew", post(requests::renew))
        .route("/requests/{id}/release", post(requests::release))
        .route("/requests/{id}/notes", post(requests::note))
        .route("/requests/{id}/decision", post(requests::decide))
        .route("/requests/{id}/second-approval", post(requests::second_approval))
        .route("/requests/{id}/reassign", post(requests::reassign))
        .route("/requests/{id}/evidence/{file_id}", get(requests::evidence))
        .route("/audit", get(audit::list))
        .route("/audit/verify", get(audit::verify))
        .route("/audit/export", get(audit::export))
        .route("/audit/figures", get(audit::figures))
        .route("/staff", get(staff::list))
        .route("/staff/invites", post(staff::invite))
        .route("/staff/{id}/role", post(staff::role))
        .route("/staff/{id}/disable", post(staff::disable))
        .route("/staff/{id}/enable", post(staff::enable))
        .route("/staff/{id}/mfa-reset", post(staff::mfa_reset))
        .route("/staff/mfa-resets/{reset_id}/approve", post(staff::approve_mfa_reset))
        .route("/settings/sso", get(staff::sso_settings).put(staff::set_sso))
        .route("/mail/events", post(mail_events::receive))
        .route("/openapi.json", get(openapi::serve));
    // The local mailbox is a demo's stand-in for users' inboxes: it shows every reset link, so it
    // exists only for a demo bound to loopback without SMTP, and nowhere else.
    let dev = if state.config.local_mailbox() {
        Router::new().route("/dev/mailbox", get(dev::mailbox_html)).route("/dev/mailbox.json", get(dev::mailbox_json))
    } else {
        Router::new()
    };
    Router::new()
        .nest("/v1", v1)
        .merge(crate::pages::routes())
        .merge(dev)
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Every route: no body larger than the largest form (the evidence upload) is read, and no
        // request holds a worker longer than the timeout (a body trickled in slowly included).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(crate::pages::BODY_LIMIT))
        .layer(axum::middleware::map_response(problem_for_413))
        .layer(axum::middleware::from_fn_with_state(state.clone(), time_limit))
        // Answers carry account data: no cache may keep them, no page may leak them in a referrer.
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // Spans name the route pattern, never the path: paths carry reset and cancel tokens.
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let route = req
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| "unmatched".into());
            tracing::info_span!("request", method = %req.method(), route = %route)
        }))
        .with_state(state)
}
