//! Account search and detail. Every answer here is masked: no address, phone or secret in full.

use desk_api::{
    mask_email, mask_phone, AccountDetail, AccountSummary, ActivityEvent, AddressCheckResult, AuditAction,
    DuplicateAccount, DuplicateReason, EmailAddress, MaskedEmail, Page, RecoveryEmail, Ticket, TwoFactorMethod,
};
use serde_json::json;

use super::search::{self, SearchCursor};
use super::{events, DomainError, DomainResult};
use crate::audit::{self, Actor, Entry};
use crate::clock::from_ms;
use crate::store::{self, Conn, Db};

pub const MAX_QUERY_CHARS: usize = 254;
pub const MAX_LIMIT: i64 = 100;

/// A parsed search: what the agent typed, normalised once.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// Lower-cased text for username and display-name prefixes.
    prefix: String,
    /// The normalised address, when the text is one.
    email: Option<String>,
    /// The account id, when the text is a number.
    id: Option<i64>,
    /// The digits of a phone number, when the text is one (7 digits or more, with `+`, spaces,
    /// dashes, dots or brackets between).
    phone: Option<String>,
    /// The lower-cased text to find inside names, usernames and address local parts: plain text
    /// of three characters or more (trigrams), never an address, id or phone number.
    contains: Option<String>,
}

impl SearchQuery {
    pub fn parse(q: &str) -> DomainResult<Self> {
        // The length counts what was sent, spaces included, as the API description's `maxLength` does.
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(DomainError::invalid("q", format!("a search is at most {MAX_QUERY_CHARS} characters")));
        }
        let q = q.trim();
        if q.is_empty() {
            return Err(DomainError::invalid("q", "type a username, an email address, a name or an account id"));
        }
        // U+FFFD is what undecodable bytes in the query string became.
        if q.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
            return Err(DomainError::invalid(
                "q",
                "a search is plain text, without control characters or invalid bytes",
            ));
        }
        let prefix = q.to_lowercase();
        let email = q.contains('@').then(|| EmailAddress::parse(q).ok()).flatten().map(|e| e.as_str().to_string());
        let id = q.parse::<i64>().ok().filter(|id| *id > 0);
        let phone = Some(desk_api::phone_digits(q))
            .filter(|d| d.len() >= 7 && q.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c)));
        let plain_text = !q.contains('@') && id.is_none() && phone.is_none() && prefix.chars().count() >= 3;
        let contains = plain_text.then(|| prefix.clone());
        Ok(Self { prefix, email, id, phone, contains })
    }
}

/// One page of accounts matching `q` from `at` on (see [`super::search`]): the exact address or
/// id first, then usernames and display names starting with the text, in the order of what
/// matched, then (for plain text of three characters or more) the accounts whose name, username
/// or an address's local part contains it, in id order. Any prefix, one character included: each
/// prefix branch reads one page of its index.
#[tracing::instrument(name = "accounts.search", skip_all)]
pub async fn search(db: &Db, q: &SearchQuery, at: &SearchCursor, limit: i64) -> DomainResult<Page<AccountSummary>> {
    let upper = format!("{}\u{10FFFF}", q.prefix);
    let range = search::Range { from: &q.prefix, to: &upper };
    let fetch = search::fetch_size(limit);
    let mut conn = db.acquire().await?;
    let first_page = !at.exact_shown;
    let exact = if q.email.is_none() && q.id.is_none() && q.phone.is_none() {
        Vec::new()
    } else {
        let (email, phone) = (q.email.as_deref().unwrap_or(""), q.phone.as_deref().unwrap_or(""));
        store::accounts::by_exact(&mut conn, email, q.id.unwrap_or(-1), phone, MAX_LIMIT).await?
    };
    let users = match &at.username {
        Some(after) => store::accounts::by_username_prefix(&mut conn, range.from, range.to, after, fetch).await?,
        None => Vec::new(),
    };
    let names = match &at.display_name {
        Some((after, id)) => {
            store::accounts::by_display_name_prefix(&mut conn, range.from, range.to, (after, *id), fetch).await?
        }
        None => Vec::new(),
    };
    let read = search::Read { exact, first_page, users, names, fetched: fetch };
    let (mut rows, mut next) = search::merge(read, &range, at, limit as usize);
    // Once both prefix branches are used up (on this page or before it), the page goes on with
    // the accounts that contain the text elsewhere: "lopez" finds "Maria Lopez".
    if let (Some(text), None) = (&q.contains, &next) {
        let after = if at.username.is_none() && at.display_name.is_none() { at.contains_after } else { 0 };
        let room = limit as usize - rows.len();
        let mut hits =
            store::accounts::by_substring(&mut conn, text, range.from, range.to, after, room as i64 + 1).await?;
        if hits.len() > room {
            hits.truncate(room);
            next = Some(SearchCursor::contains(hits.last().map_or(after, |r| r.id)));
        }
        rows.extend(hits);
    }
    let items = rows
        .into_iter()
        .map(|r| AccountSummary {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            status: r.status,
            country: r.country,
            primary_email: r.primary_email.as_deref().map(mask_email).unwrap_or_default(),
        })
        .collect();
    Ok(Page { items, next_cursor: next.map(|c| c.encode()) })
}

#[tracing::instrument(name = "accounts.detail", skip_all, fields(account = id))]
pub async fn detail(db: &Db, id: i64, now_ms: i64, cooldown_secs: i64) -> DomainResult<AccountDetail> {
    let mut conn = db.acquire().await?;
    let a = store::accounts::get(&mut conn, id).await?.ok_or(DomainError::NotFound("account"))?;
    let emails = store::accounts::emails(&mut conn, id).await?;
    let two_factor = store::accounts::two_factor_methods(&mut conn, id).await?;
    let recent = store::outbox::recent_for_account(&mut conn, id).await?;
    use super::recovery::{cooldown_remaining, RecoveryKind};
    let password_in = cooldown_remaining(&mut conn, id, RecoveryKind::PasswordReset, now_ms, cooldown_secs).await?;
    let answer_in = cooldown_remaining(&mut conn, id, RecoveryKind::AnswerReset, now_ms, cooldown_secs).await?;

    Ok(AccountDetail {
        id: a.id,
        username: a.username,
        display_name: a.display_name,
        status: a.status,
        country: a.country,
        created_at: from_ms(a.created_ms),
        last_sign_in_at: a.last_sign_in_ms.map(from_ms),
        emails: emails
            .into_iter()
            .map(|e| MaskedEmail {
                id: e.id,
                masked: mask_email(&e.email),
                primary: e.is_primary.0,
                verified: e.verified.0,
                bounced: e.bounced.0,
            })
            .collect(),
        phone: a.phone.as_deref().map(mask_phone),
        two_factor: two_factor
            .into_iter()
            .map(|m| TwoFactorMethod { kind: m.kind, last_used_at: m.last_used_ms.map(from_ms) })
            .collect(),
        security_question_set: a.security_question.is_some(),
        recent_emails: recent
            .into_iter()
            .map(|m| RecoveryEmail {
                id: m.id,
                kind: m.kind,
                // SMS codes go to a phone number, not an address.
                to_masked: if m.to_addr.contains('@') { mask_email(&m.to_addr) } else { mask_phone(&m.to_addr) },
                status: m.status,
                created_at: from_ms(m.created_ms),
                link: events::link_state(now_ms, &m.link),
            })
            .collect(),
        password_reset_available_in: password_in,
        answer_reset_available_in: answer_in,
        duplicates: duplicates(&mut conn, id).await?,
        caller_verified: None,
    })
}

/// Other accounts that share a canonical address, a phone number, or a display name and country.
pub async fn duplicates(conn: &mut Conn, id: i64) -> DomainResult<Vec<DuplicateAccount>> {
    let mut by_id: std::collections::BTreeMap<i64, Vec<DuplicateReason>> = Default::default();
    for d in store::accounts::duplicates(conn, id).await? {
        by_id.entry(d.account_id).or_default().push(d.reason);
    }
    let mut out = Vec::new();
    for (other, reasons) in by_id.into_iter().take(20) {
        let b = store::accounts::brief(conn, other)
            .await?
            .ok_or_else(|| DomainError::corrupt("accounts", format!("duplicate {other} of {id} vanished")))?;
        out.push(DuplicateAccount {
            id: other,
            username: b.username,
            display_name: b.display_name,
            status: b.status,
            reasons,
        });
    }
    Ok(out)
}

/// Whether the address a user states is one on file, without saying which. The check is a
/// sensitive read (it confirms an address belongs to the account): it is on record.
#[tracing::instrument(name = "accounts.check_address", skip_all, fields(agent = ?actor.id, account = id))]
pub async fn check_address(
    db: &Db,
    now_ms: i64,
    actor: &Actor,
    id: i64,
    address: &EmailAddress,
) -> DomainResult<AddressCheckResult> {
    let mut tx = db.write().await?;
    if !store::accounts::exists(&mut tx, id).await? {
        return Err(DomainError::NotFound("account"));
    }
    let result = match store::accounts::address_flags(&mut tx, id, address.as_str()).await? {
        Some(f) => {
            AddressCheckResult { matches: true, primary: f.is_primary.0, verified: f.verified.0, bounced: f.bounced.0 }
        }
        None => AddressCheckResult { matches: false, primary: false, verified: false, bounced: false },
    };
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(id.to_string()),
        ..Entry::new(AuditAction::AddressCheck, if result.matches { "match" } else { "no_match" })
    };
    audit::record(&mut tx, now_ms, actor, entry).await?;
    store::commit(tx).await?;
    Ok(result)
}

/// The full address of one of the account's emails, for a stated reason: the reveal is on record
/// before it is answered.
#[tracing::instrument(name = "accounts.reveal", skip_all, fields(agent = by.session.agent.id, account = account_id, email = email_id))]
pub async fn reveal(
    db: &Db,
    by: &super::Acting<'_>,
    account_id: i64,
    email_id: i64,
    reason: &str,
    ticket: &Ticket,
) -> DomainResult<String> {
    let mut tx = db.write().await?;
    let address = store::accounts::address_of(&mut tx, account_id, email_id)
        .await?
        .ok_or(DomainError::NotFound("email address"))?;
    let gate =
        super::caller_verification::require(&mut tx, by, account_id, AuditAction::AddressReveal, "reveal").await?;
    if let Err(refused) = gate {
        // The refusal is on record.
        store::commit(tx).await?;
        return Err(refused);
    }
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(account_id.to_string()),
        reason: Some(reason),
        ticket: Some(ticket.as_str()),
        detail: json!({ "email_id": email_id }),
        ..Entry::new(AuditAction::AddressReveal, "success")
    };
    audit::record(&mut tx, by.now_ms, &by.session.actor(by.client), entry).await?;
    store::commit(tx).await?;
    Ok(address)
}

/// The account's recovery activity, newest first.
#[tracing::instrument(name = "accounts.activity", skip_all, fields(account = id))]
pub async fn activity(db: &Db, id: i64, before: Option<i64>, now_ms: i64) -> DomainResult<Page<ActivityEvent>> {
    if !store::accounts::exists(&mut *db.acquire().await?, id).await? {
        return Err(DomainError::NotFound("account"));
    }
    events::page(db, id, before, 50, now_ms).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_normalised_and_bounded() {
        let q = SearchQuery::parse("  Maria.Lopez@Example.COM ").unwrap();
        assert_eq!(q.email.as_deref(), Some("maria.lopez@example.com"));
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse(&"x".repeat(300)).is_err());
        assert_eq!(SearchQuery::parse("123").unwrap().id, Some(123));
        assert_eq!(SearchQuery::parse("123").unwrap().phone, None);
        assert_eq!(SearchQuery::parse("+44 (7700) 900-123").unwrap().phone.as_deref(), Some("447700900123"));
        assert_eq!(SearchQuery::parse("maria 1234567").unwrap().phone, None);
    }
}
