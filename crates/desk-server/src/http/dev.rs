//! The embedded default's local mailbox, so a demo shows the email arriving.

use axum::extract::State;
use axum::response::Html;
use axum::Json;
use desk_api::MailboxMessage;

use crate::error::ApiResult;
use crate::mail;
use crate::pages::escape;
use crate::AppState;

const SHOWN: i64 = 200;

pub async fn mailbox_json(State(state): State<AppState>) -> ApiResult<Json<Vec<MailboxMessage>>> {
    Ok(Json(mail::mailbox(&state.db, SHOWN).await?))
}

pub async fn mailbox_html(State(state): State<AppState>) -> ApiResult<Html<String>> {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Local mailbox</title></head>\
         <body><h1>Local mailbox</h1><p>What the service sent, newest first. Only the embedded default has this page.</p>",
    );
    for m in mail::mailbox(&state.db, SHOWN).await? {
        html.push_str(&format!(
            "<article><h2>{}</h2><p>To: {} · {} · {}</p><pre>{}</pre></article><hr>",
            escape(&m.subject),
            escape(&m.to),
            m.status.as_str(),
            m.created_at.to_rfc3339(),
            escape(&m.body)
        ));
    }
    html.push_str("</body></html>");
    Ok(Html(html))
}
