//! The account's recovery activity: one row per thing that happened, written in the same
//! transaction as the thing itself.

use desk_api::{ActivityEvent, ActivityKind, LinkState, Page};

use super::DomainResult;
use crate::clock::from_ms;
use crate::store::recovery::LinkTimes;
use crate::store::{self, Conn, Db, StoreResult};

pub struct Event<'a> {
    pub account_id: i64,
    pub kind: ActivityKind,
    pub summary: String,
    pub actor_email: Option<&'a str>,
    pub email_id: Option<i64>,
    pub token_id: Option<i64>,
}

pub async fn record(conn: &mut Conn, now_ms: i64, e: Event<'_>) -> StoreResult<()> {
    let row = store::recovery::NewEvent {
        account_id: e.account_id,
        at_ms: now_ms,
        kind: e.kind,
        summary: &e.summary,
        actor_email: e.actor_email,
        email_id: e.email_id,
        token_id: e.token_id,
    };
    store::recovery::insert_event(conn, &row).await
}

/// A link's state from its token row's timestamps; `None` when there is no link.
pub fn link_state(now_ms: i64, t: &LinkTimes) -> Option<LinkState> {
    let expires_ms = t.expires_ms?;
    Some(if t.used_ms.is_some() {
        LinkState::Used
    } else if t.superseded_ms.is_some() {
        LinkState::Superseded
    } else if expires_ms <= now_ms {
        LinkState::Expired
    } else if t.opened_ms.is_some() {
        LinkState::Opened
    } else {
        LinkState::Pending
    })
}

/// Newest first, with each email's current status and each link's current state.
pub async fn page(
    db: &Db,
    account_id: i64,
    before: Option<i64>,
    limit: i64,
    now_ms: i64,
) -> DomainResult<Page<ActivityEvent>> {
    let mut conn = db.acquire().await?;
    let rows = store::recovery::events(&mut conn, account_id, before.unwrap_or(i64::MAX), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<ActivityEvent> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| ActivityEvent {
            id: r.id,
            at: from_ms(r.at_ms),
            kind: r.kind,
            summary: r.summary,
            actor: r.actor_email,
            email_id: r.email_id,
            email_status: r.email_status,
            link: link_state(now_ms, &r.link),
        })
        .collect();
    let next_cursor = if more { items.last().map(|e| format!("v{}", e.id)) } else { None };
    Ok(Page { items, next_cursor })
}

pub fn decode_cursor(c: Option<&str>) -> Option<Option<i64>> {
    match c {
        None | Some("") => Some(None),
        Some(c) => c.strip_prefix('v').and_then(super::cursor_number).map(Some),
    }
}
