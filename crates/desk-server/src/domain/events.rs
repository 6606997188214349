//! The account's recovery activity: one row per thing that happened, written in the same
//! transaction as the thing itself.

use desk_api::{ActivityEvent, ActivityKind, EmailStatus, LinkState, Page};
use sqlx::{SqliteConnection, SqlitePool};

use crate::clock::from_ms;

pub fn kind_str(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::UserRequested => "user_requested",
        ActivityKind::AgentSent => "agent_sent",
        ActivityKind::Email => "email",
        ActivityKind::LinkOpened => "link_opened",
        ActivityKind::TwoFactorPassed => "two_factor_passed",
        ActivityKind::TwoFactorFailed => "two_factor_failed",
        ActivityKind::SmsCodeSent => "sms_code_sent",
        ActivityKind::PasswordChanged => "password_changed",
        ActivityKind::AnswerChanged => "answer_changed",
        ActivityKind::NoticeSent => "notice_sent",
        ActivityKind::AccountUnlocked => "account_unlocked",
        ActivityKind::VerificationSent => "verification_sent",
        ActivityKind::EmailVerified => "email_verified",
        ActivityKind::SessionsEnded => "sessions_ended",
        ActivityKind::CallerChallenged => "caller_challenged",
        ActivityKind::CallerVerified => "caller_verified",
        ActivityKind::CallerVerificationFailed => "caller_verification_failed",
    }
}

fn parse_kind(s: &str) -> ActivityKind {
    use ActivityKind::*;
    [
        UserRequested,
        AgentSent,
        Email,
        LinkOpened,
        TwoFactorPassed,
        TwoFactorFailed,
        SmsCodeSent,
        PasswordChanged,
        AnswerChanged,
        NoticeSent,
        AccountUnlocked,
        VerificationSent,
        EmailVerified,
        SessionsEnded,
        CallerChallenged,
        CallerVerified,
        CallerVerificationFailed,
    ]
    .into_iter()
    .find(|k| kind_str(*k) == s)
    .unwrap_or(Email)
}

pub struct Event<'a> {
    pub account_id: i64,
    pub kind: ActivityKind,
    pub summary: String,
    pub actor_email: Option<&'a str>,
    pub email_id: Option<i64>,
    pub token_id: Option<i64>,
}

pub async fn record(conn: &mut SqliteConnection, now_ms: i64, e: Event<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO recovery_events (account_id, at_ms, kind, summary, actor_email, email_id, token_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.account_id)
    .bind(now_ms)
    .bind(kind_str(e.kind))
    .bind(&e.summary)
    .bind(e.actor_email)
    .bind(e.email_id)
    .bind(e.token_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A link's state from its token row's timestamps.
pub fn link_state(
    now_ms: i64,
    expires_ms: i64,
    opened_ms: Option<i64>,
    used_ms: Option<i64>,
    superseded_ms: Option<i64>,
) -> LinkState {
    if used_ms.is_some() {
        LinkState::Used
    } else if superseded_ms.is_some() {
        LinkState::Superseded
    } else if expires_ms <= now_ms {
        LinkState::Expired
    } else if opened_ms.is_some() {
        LinkState::Opened
    } else {
        LinkState::Pending
    }
}

type Row = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Newest first, with each email's current status and each link's current state.
pub async fn page(
    db: &SqlitePool,
    account_id: i64,
    before: Option<i64>,
    limit: i64,
    now_ms: i64,
) -> sqlx::Result<Page<ActivityEvent>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT ev.id, ev.at_ms, ev.kind, ev.summary, ev.actor_email, ev.email_id, o.status, \
                t.expires_ms, t.opened_ms, t.used_ms, t.superseded_ms \
         FROM recovery_events ev \
         LEFT JOIN outbox o ON o.id = ev.email_id \
         LEFT JOIN recovery_tokens t ON t.id = ev.token_id \
         WHERE ev.account_id = $1 AND ev.id < $2 ORDER BY ev.id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<ActivityEvent> = rows
        .into_iter()
        .take(limit as usize)
        .map(|(id, at, kind, summary, actor, email_id, status, exp, opened, used, superseded)| ActivityEvent {
            id,
            at: from_ms(at),
            kind: parse_kind(&kind),
            summary,
            actor,
            email_id,
            email_status: status.as_deref().and_then(EmailStatus::parse),
            link: exp.map(|exp| link_state(now_ms, exp, opened, used, superseded)),
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
