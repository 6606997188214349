//! The mail provider's webhook: delivery and bounce reports for the emails the outbox sent.
//! Authenticated by a shared secret in `X-Webhook-Secret`; without a configured secret the route
//! does not exist.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use desk_api::{EmailRef, MailEvent};

use super::extract::{ApiJson, ClientAddr};
use crate::crypto::constant_time_eq;
use crate::error::{ApiError, ApiResult};
use crate::mail;
use crate::AppState;

pub const SECRET_HEADER: &str = "x-webhook-secret";

/// Report that an email was delivered or bounced. A bounce also flags the address on the account.
#[utoipa::path(post, path = "/v1/mail/events", tag = "mail", operation_id = "mail_event", request_body = MailEvent,
    security(("webhook_secret" = [])),
    responses(
        (status = 200, description = "The email's status after the event", body = EmailRef),
        (status = 401, description = "`unauthorized`: no or a wrong `X-Webhook-Secret`"),
        (status = 404, description = "`not_found`: no such email, or no webhook secret is configured"),
        (status = 409, description = "`invalid_transition`: the event does not fit the email's status"),
    ))]
pub async fn receive(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Result<ApiJson<MailEvent>, ApiError>,
) -> ApiResult<Json<EmailRef>> {
    // The secret is checked before the body is looked at.
    let Some(secret) = state.config.mail_webhook_secret.as_deref().filter(|s| !s.is_empty()) else {
        return Err(ApiError::not_found("mail event webhook"));
    };
    let presented = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !constant_time_eq(presented, secret.as_bytes()) {
        return Err(ApiError::UNAUTHORIZED);
    }
    let ApiJson(event) = body?;
    if event.email_id <= 0 {
        return Err(ApiError::invalid("email_id", "an email id is a positive whole number"));
    }
    let status = mail::apply_event(&state.db, state.clock.now_ms(), &client, event.email_id, event.event).await?;
    Ok(Json(EmailRef { id: event.email_id, status }))
}
