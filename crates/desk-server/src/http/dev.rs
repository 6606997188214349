//! The embedded default's local mailbox, so a demo shows the email arriving.

use axum::extract::State;
use axum::response::Html;
use axum::Json;
use desk_api::MailboxMessage;
use maud::{html, DOCTYPE};

use crate::error::ApiResult;
use crate::mail;
use crate::AppState;

const SHOWN: i64 = 200;

pub async fn mailbox_json(State(state): State<AppState>) -> ApiResult<Json<Vec<MailboxMessage>>> {
    Ok(Json(mail::mailbox(&state.db, SHOWN).await?))
}

pub async fn mailbox_html(State(state): State<AppState>) -> ApiResult<Html<String>> {
    let messages = mail::mailbox(&state.db, SHOWN).await?;
    // Subjects, addresses and bodies are what was sent to users: maud escapes each one.
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Local mailbox" } }
            body {
                h1 { "Local mailbox" }
                p { "What the service sent, newest first. Only the embedded default has this page." }
                @for m in &messages {
                    article {
                        h2 { (m.subject) }
                        p { "To: " (m.to) " · " (m.status.as_str()) " · " (m.created_at.to_rfc3339()) }
                        pre { (m.body) }
                    }
                    hr;
                }
            }
        }
    };
    Ok(Html(html.into_string()))
}
