//! Account search and detail. Every answer here is masked: no address, phone or secret in full.

use desk_api::{
    mask_email, mask_phone, AccountDetail, AccountStatus, AccountSummary, AddressCheckResult, DuplicateAccount,
    DuplicateReason, EmailAddress, EmailStatus, MaskedEmail, Page, RecoveryEmail, TwoFactorKind, TwoFactorMethod,
};
use sqlx::SqlitePool;

use crate::clock::from_ms;
use crate::error::{ApiError, ApiResult};

pub const MAX_QUERY_CHARS: usize = 254;
pub const MAX_LIMIT: i64 = 100;
pub const MIN_PREFIX_CHARS: usize = 3;

/// A parsed search: what the agent typed, normalised once.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// Lower-cased text for username and display-name prefixes.
    prefix: String,
    /// The normalised address, when the text is one.
    email: Option<String>,
    /// The account id, when the text is a number.
    id: Option<i64>,
}

impl SearchQuery {
    pub fn parse(q: &str) -> ApiResult<Self> {
        // The length counts what was sent, spaces included, as the API description's `maxLength` does.
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::invalid("q", format!("a search is at most {MAX_QUERY_CHARS} characters")));
        }
        let q = q.trim();
        if q.is_empty() {
            return Err(ApiError::invalid("q", "type a username, an email address, a name or an account id"));
        }
        // U+FFFD is what undecodable bytes in the query string became.
        if q.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
            return Err(ApiError::invalid("q", "a search is plain text, without control characters or invalid bytes"));
        }
        Ok(Self {
            prefix: q.to_lowercase(),
            email: q.contains('@').then(|| EmailAddress::parse(q).ok()).flatten().map(|e| e.as_str().to_string()),
            id: q.parse::<i64>().ok().filter(|id| *id > 0),
        })
    }
}

/// Opaque cursors: the id of the last row served, so pages never repeat or skip rows even while
/// accounts are added.
pub fn encode_cursor(last_id: i64) -> String {
    format!("a{last_id}")
}

pub fn decode_cursor(cursor: Option<&str>) -> ApiResult<i64> {
    match cursor {
        None | Some("") => Ok(0),
        Some(c) => c
            .strip_prefix('a')
            .and_then(crate::domain::cursor_number)
            .ok_or_else(|| ApiError::invalid("cursor", "this cursor is not one the service gave out")),
    }
}

pub async fn search(db: &SqlitePool, q: &SearchQuery, after_id: i64, limit: i64) -> ApiResult<Page<AccountSummary>> {
    // Each branch is an index range scan (username_lc, display_name, email_norm, rowid); only their
    // union is ordered, so a search stays cheap with millions of accounts.
    // Prefixes of one or two characters would union a large share of the accounts before the
    // page is cut: below three characters a name or username must match exactly.
    let upper = if q.prefix.chars().count() >= MIN_PREFIX_CHARS {
        format!("{}\u{10FFFF}", q.prefix)
    } else {
        format!("{}\u{0}", q.prefix)
    };
    let rows: Vec<(i64, String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.username, a.display_name, a.status, a.country, \
                (SELECT e.email FROM account_emails e WHERE e.account_id = a.id AND e.is_primary = 1 LIMIT 1) \
         FROM accounts a \
         WHERE a.id > $5 AND a.id IN ( \
             SELECT id FROM accounts WHERE username_lc >= $1 AND username_lc < $2 \
             UNION SELECT id FROM accounts WHERE display_name_lc >= $1 AND display_name_lc < $2 \
             UNION SELECT account_id FROM account_emails WHERE email_norm = $3 \
             UNION SELECT id FROM accounts WHERE id = $4) \
         ORDER BY a.id LIMIT $6",
    )
    .bind(&q.prefix)
    .bind(&upper)
    .bind(q.email.as_deref().unwrap_or(""))
    .bind(q.id.unwrap_or(-1))
    .bind(after_id)
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<AccountSummary> = rows
        .into_iter()
        .take(limit as usize)
        .map(|(id, username, display_name, status, country, primary)| AccountSummary {
            id,
            username,
            display_name,
            status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Active),
            country,
            primary_email: primary.as_deref().map(mask_email).unwrap_or_default(),
        })
        .collect();
    let next_cursor = if more { items.last().map(|a| encode_cursor(a.id)) } else { None };
    Ok(Page { items, next_cursor })
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    username: String,
    display_name: String,
    status: String,
    country: String,
    phone: Option<String>,
    security_question: Option<String>,
    created_ms: i64,
    last_sign_in_ms: Option<i64>,
}

pub async fn detail(db: &SqlitePool, id: i64, now_ms: i64, cooldown_secs: i64) -> ApiResult<AccountDetail> {
    let a: AccountRow = sqlx::query_as(
        "SELECT id, username, display_name, status, country, phone, security_question, created_ms, last_sign_in_ms \
         FROM accounts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(ApiError::NotFound("account"))?;

    let emails: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, email, is_primary, verified, bounced FROM account_emails WHERE account_id = $1 ORDER BY is_primary DESC, id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let two_factor: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT kind, last_used_ms FROM two_factor_methods WHERE account_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db)
            .await?;
    type Recent = (i64, String, String, String, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let recent: Vec<Recent> = sqlx::query_as(
        "SELECT o.id, o.kind, o.to_addr, o.status, o.created_ms, t.expires_ms, t.opened_ms, t.used_ms, t.superseded_ms \
         FROM outbox o LEFT JOIN recovery_tokens t ON t.id = o.token_id \
         WHERE o.account_id = $1 ORDER BY o.id DESC LIMIT 20",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    use super::recovery::{cooldown_remaining, RecoveryKind};
    let password_in = cooldown_remaining(db, id, RecoveryKind::PasswordReset, now_ms, cooldown_secs).await?;
    let answer_in = cooldown_remaining(db, id, RecoveryKind::AnswerReset, now_ms, cooldown_secs).await?;

    Ok(AccountDetail {
        id: a.id,
        username: a.username,
        display_name: a.display_name,
        status: AccountStatus::parse(&a.status).unwrap_or(AccountStatus::Active),
        country: a.country,
        created_at: from_ms(a.created_ms),
        last_sign_in_at: a.last_sign_in_ms.map(from_ms),
        emails: emails
            .into_iter()
            .map(|(eid, e, p, v, b)| MaskedEmail {
                id: eid,
                masked: mask_email(&e),
                primary: p != 0,
                verified: v != 0,
                bounced: b != 0,
            })
            .collect(),
        phone: a.phone.as_deref().map(mask_phone),
        two_factor: two_factor
            .into_iter()
            .filter_map(|(k, used)| {
                TwoFactorKind::parse(&k).map(|kind| TwoFactorMethod { kind, last_used_at: used.map(from_ms) })
            })
            .collect(),
        security_question_set: a.security_question.is_some(),
        recent_emails: recent
            .into_iter()
            .map(|(id, kind, to, status, created, exp, opened, used, superseded)| RecoveryEmail {
                id,
                kind,
                // SMS codes go to a phone number, not an address.
                to_masked: if to.contains('@') { mask_email(&to) } else { mask_phone(&to) },
                status: EmailStatus::parse(&status).unwrap_or(EmailStatus::Queued),
                created_at: from_ms(created),
                link: exp.map(|exp| super::events::link_state(now_ms, exp, opened, used, superseded)),
            })
            .collect(),
        password_reset_available_in: password_in,
        answer_reset_available_in: answer_in,
        duplicates: duplicates(db, id).await?,
        caller_verified: None,
    })
}

/// Other accounts that share a canonical address, a phone number, or a display name and country.
pub async fn duplicates(db: &SqlitePool, id: i64) -> sqlx::Result<Vec<DuplicateAccount>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT e2.account_id, 'same_address' FROM account_emails e1 \
           JOIN account_emails e2 ON e2.email_canon = e1.email_canon AND e2.account_id <> e1.account_id \
           WHERE e1.account_id = $1 AND e1.email_canon <> '' \
         UNION SELECT a2.id, 'same_phone' FROM accounts a1 JOIN accounts a2 ON a2.phone_digits = a1.phone_digits AND a2.id <> a1.id \
           WHERE a1.id = $1 AND a1.phone_digits IS NOT NULL AND a1.phone_digits <> '' \
         UNION SELECT a2.id, 'same_name_and_country' FROM accounts a1 \
           JOIN accounts a2 ON a2.display_name_lc = a1.display_name_lc AND a2.country = a1.country AND a2.id <> a1.id \
           WHERE a1.id = $1 \
         LIMIT 200",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let mut by_id: std::collections::BTreeMap<i64, Vec<DuplicateReason>> = Default::default();
    for (other, reason) in rows {
        let r = match reason.as_str() {
            "same_address" => DuplicateReason::SameAddress,
            "same_phone" => DuplicateReason::SamePhone,
            _ => DuplicateReason::SameNameAndCountry,
        };
        by_id.entry(other).or_default().push(r);
    }
    let mut out = Vec::new();
    for (other, reasons) in by_id.into_iter().take(20) {
        let (username, display_name, status): (String, String, String) =
            sqlx::query_as("SELECT username, display_name, status FROM accounts WHERE id = $1")
                .bind(other)
                .fetch_one(db)
                .await?;
        out.push(DuplicateAccount {
            id: other,
            username,
            display_name,
            status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Active),
            reasons,
        });
    }
    Ok(out)
}

/// Whether the address a user states is one on file, without saying which.
pub async fn check_address(db: &SqlitePool, id: i64, address: &EmailAddress) -> ApiResult<AddressCheckResult> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1").bind(id).fetch_optional(db).await?;
    exists.ok_or(ApiError::NotFound("account"))?;
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT is_primary, verified, bounced FROM account_emails WHERE account_id = $1 AND email_norm = $2 LIMIT 1",
    )
    .bind(id)
    .bind(address.as_str())
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((p, v, b)) => AddressCheckResult { matches: true, primary: p != 0, verified: v != 0, bounced: b != 0 },
        None => AddressCheckResult { matches: false, primary: false, verified: false, bounced: false },
    })
}

/// The full address of one of the account's emails (the caller audits the read).
pub async fn address_of(db: &SqlitePool, account_id: i64, email_id: i64) -> ApiResult<String> {
    sqlx::query_scalar("SELECT email FROM account_emails WHERE id = $1 AND account_id = $2")
        .bind(email_id)
        .bind(account_id)
        .fetch_optional(db)
        .await?
        .ok_or(ApiError::NotFound("email address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(Some(&encode_cursor(42))).unwrap(), 42);
        assert_eq!(decode_cursor(None).unwrap(), 0);
        assert!(decode_cursor(Some("42")).is_err());
        assert!(decode_cursor(Some("a-1")).is_err());
    }

    #[test]
    fn queries_are_normalised_and_bounded() {
        let q = SearchQuery::parse("  Maria.Lopez@Example.COM ").unwrap();
        assert_eq!(q.email.as_deref(), Some("maria.lopez@example.com"));
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse(&"x".repeat(300)).is_err());
        assert_eq!(SearchQuery::parse("123").unwrap().id, Some(123));
    }
}
