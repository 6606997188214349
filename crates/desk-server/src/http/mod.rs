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
mod version;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::AppState;

pub use extract::{client_address, client_ip, parse_id, ApiPath, Authorized, ClientAddr};

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

/// Every `/v1` route, each registered with its `#[utoipa::path]` description: `routes!(handler)`
/// takes the method and path from that description, so a route cannot exist without its
/// documentation. Add new routes here (and to the authorization matrix test); the rules every
/// operation's description follows are applied in `openapi::document`.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(sessions::create))
        .routes(routes!(sessions::delete))
        .routes(routes!(sessions::me))
        .routes(routes!(sso::availability))
        .routes(routes!(sso::start))
        .routes(routes!(sso::finish))
        .routes(routes!(accounts::search))
        .routes(routes!(accounts::detail))
        .routes(routes!(actions::password_reset))
        .routes(routes!(actions::answer_reset))
        .routes(routes!(accounts::activity))
        .routes(routes!(accounts::address_check))
        .routes(routes!(accounts::reveal))
        .routes(routes!(account_actions::unlock))
        .routes(routes!(account_actions::end_sessions))
        .routes(routes!(account_actions::verification_email))
        .routes(routes!(account_actions::challenge))
        .routes(routes!(account_actions::check))
        .routes(routes!(requests::list))
        .routes(routes!(requests::counts))
        .routes(routes!(requests::claim_next))
        .routes(routes!(requests::detail))
        .routes(routes!(requests::claim))
        .routes(routes!(requests::renew))
        .routes(routes!(requests::release))
        .routes(routes!(requests::note))
        .routes(routes!(requests::decide))
        .routes(routes!(requests::second_approval))
        .routes(routes!(requests::reassign))
        .routes(routes!(requests::agents))
        .routes(routes!(requests::evidence))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::export))
        .routes(routes!(audit::figures))
        .routes(routes!(staff::list))
        .routes(routes!(staff::invite))
        .routes(routes!(staff::role))
        .routes(routes!(staff::disable))
        .routes(routes!(staff::enable))
        .routes(routes!(staff::mfa_reset))
        .routes(routes!(staff::approve_mfa_reset))
        .routes(routes!(staff::sso_settings, staff::set_sso))
        .routes(routes!(mail_events::receive))
        .routes(routes!(openapi::serve))
        .routes(routes!(version::version))
}

pub fn router(state: AppState) -> Router {
    let (v1, _) = api().split_for_parts();
    // The local mailbox is a demo's stand-in for users' inboxes: it shows every reset link, so it
    // exists only for a demo bound to loopback without SMTP, and nowhere else.
    let dev = if state.config.local_mailbox() {
        Router::new().route("/dev/mailbox", get(dev::mailbox_html)).route("/dev/mailbox.json", get(dev::mailbox_json))
    } else {
        Router::new()
    };
    Router::new()
        .merge(v1)
        .merge(crate::pages::routes())
        .merge(dev)
        .fallback(|| async { ApiError::not_found("route") })
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
