//! Accounts and what hangs off them: addresses, 2FA methods and backup codes, the user's sessions.
//!
//! Across instances: an action that reads an account's history before it writes (a cooldown, a
//! daily cap, a new link superseding the old ones) first takes the account's row with [`lock`]
//! (`FOR UPDATE` on PostgreSQL), so actions on one account queue behind each other. Single-use
//! codes and TOTP steps are one conditional `UPDATE` each, checked by rows affected.

use super::sql::Builder;
use super::{for_update, Backend, Conn, Flag, Step, StoreResult};
use desk_api::{AccountStatus, DuplicateReason, TwoFactorKind};

/// What a search shows of an account, with the two keys its prefix branches are ordered by.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub username: String,
    pub username_lc: String,
    pub display_name: String,
    pub display_name_lc: String,
    pub status: AccountStatus,
    pub country: String,
    pub primary_email: Option<String>,
}

macro_rules! summary_columns {
    () => {
        "SELECT a.id, a.username, a.username_lc, a.display_name, a.display_name_lc, a.status, a.country, \
     (SELECT e.email FROM account_emails e WHERE e.account_id = a.id AND e.is_primary = 1 LIMIT 1) AS primary_email"
    };
}
const SUMMARY_COLUMNS: &str = summary_columns!();
const SUMMARY: &str = concat!(summary_columns!(), " FROM accounts a");

/// Usernames in `[from, to)` after `after`, in username order: one range scan of the unique
/// username index, whatever the number of matches.
pub async fn by_username_prefix(
    conn: &mut Conn,
    from: &str,
    to: &str,
    after: &str,
    limit: i64,
) -> StoreResult<Vec<SummaryRow>> {
    let sql = format!(
        "{SUMMARY} WHERE a.username_lc >= $1 AND a.username_lc < $2 AND a.username_lc > $3 \
         ORDER BY a.username_lc LIMIT $4"
    );
    sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await
        .step("searching usernames (accounts)")
}

/// Display names in `[from, to)` after `(after, after_id)`, in (name, id) order: one range scan
/// of the (display_name_lc, id) index.
pub async fn by_display_name_prefix(
    conn: &mut Conn,
    from: &str,
    to: &str,
    after: (&str, i64),
    limit: i64,
) -> StoreResult<Vec<SummaryRow>> {
    let sql = format!(
        "{SUMMARY} WHERE a.display_name_lc >= $1 AND a.display_name_lc < $2 \
           AND a.display_name_lc >= $3 AND (a.display_name_lc > $3 OR a.id > $4) \
         ORDER BY a.display_name_lc, a.id LIMIT $5"
    );
    sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(after.0)
        .bind(after.1)
        .bind(limit)
        .fetch_all(conn)
        .await
        .step("searching display names (accounts)")
}

/// The accounts with this normalised address (any of their addresses), this id or this phone
/// number (its digits), in id order: index probes, a few rows.
pub async fn by_exact(
    conn: &mut Conn,
    email: &str,
    id: i64,
    phone_digits: &str,
    limit: i64,
) -> StoreResult<Vec<SummaryRow>> {
    let sql = format!(
        "{SUMMARY} WHERE a.id IN (SELECT account_id FROM account_emails WHERE email_norm = $1 \
                                UNION SELECT $2 \
                                UNION SELECT id FROM accounts WHERE phone_digits = $3) \
         ORDER BY a.id LIMIT $4"
    );
    sqlx::query_as(&sql)
        .bind(email)
        .bind(id)
        .bind(phone_digits)
        .bind(limit)
        .fetch_all(conn)
        .await
        .step("searching addresses, ids and phone numbers (accounts)")
}

/// How many ids past the cursor PostgreSQL's "contains" stage reads in id order before it turns to
/// its trigram indexes (see [`by_substring`]).
pub const CONTAINS_WINDOW: i64 = 4096;

/// Accounts whose username, display name or an address's local part contains `text` (lower
/// case, three characters or more), after `after_id` in id order, leaving out those in the prefix
/// range `[from, to)`, which the prefix branches show.
///
/// SQLite walks its trigram FTS5 table (`account_text`, rowid = account id) in id order and stops
/// at `limit`. PostgreSQL's trigram (pg_trgm) index scans cannot stop at a page: they fetch every
/// match before the page is cut, which for a last name that one account in 24 carries is hundreds
/// of thousands of rows at ten million accounts. So it first reads the next [`CONTAINS_WINDOW`]
/// ids (and an eighth more) in id order, which fills the page for any part that common, and turns
/// to the trigram indexes, past what it read, only for a rarer part.
pub async fn by_substring(
    conn: &mut Conn,
    text: &str,
    from: &str,
    to: &str,
    after_id: i64,
    limit: i64,
) -> StoreResult<Vec<SummaryRow>> {
    by_substring_windowed(conn, text, (from, to), after_id, limit, CONTAINS_WINDOW).await
}

/// [`by_substring`] with the window it reads in id order on PostgreSQL (SQLite has none); a test
/// compares windows, which must not change the answer.
pub async fn by_substring_windowed(
    conn: &mut Conn,
    text: &str,
    (from, to): (&str, &str),
    after_id: i64,
    limit: i64,
    window: i64,
) -> StoreResult<Vec<SummaryRow>> {
    if Backend::of(conn) == Backend::Sqlite {
        let sql = format!(
            "{SUMMARY_COLUMNS} FROM account_text JOIN accounts a ON a.id = account_text.rowid \
             WHERE account_text MATCH $1 AND account_text.rowid > $4 AND {NOT_PREFIX} \
             ORDER BY account_text.rowid LIMIT $5"
        );
        // One FTS5 phrase: the text as it is, quotes doubled.
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        return substring_query(conn, &sql, &phrase, (from, to), (after_id, None), limit).await;
    }
    let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    // The primary key in id order, stopping at the page, with the addresses looked up row by row:
    // `OFFSET 0` keeps the planner from turning that lookup into one trigram scan of every
    // address (a "hashed SubPlan", which for a rare part it would choose and which reads every match).
    let in_window = format!(
        "{SUMMARY} WHERE a.id > $4 AND a.id <= $6 \
           AND (a.username_lc LIKE $1 ESCAPE '\\' OR a.display_name_lc LIKE $1 ESCAPE '\\' \
                OR EXISTS (SELECT 1 FROM account_emails e WHERE e.account_id = a.id \
                           AND split_part(e.email_norm, '@', 1) LIKE $1 ESCAPE '\\' OFFSET 0)) \
           AND {NOT_PREFIX} ORDER BY a.id LIMIT $5"
    );
    // A first eighth of the window tells a common part from a rare one: a rare part ("maria
    // lopez" inside a name) finds nothing there and goes straight to the trigram indexes, without
    // paying for the whole window.
    let (mut rows, mut at) = (Vec::new(), after_id);
    // Read once, and only when a window leaves the page unfilled.
    let mut highest = None;
    for span in [(window / 8).max(1), window] {
        let until = at.saturating_add(span);
        let room = limit - rows.len() as i64;
        let found = substring_query(conn, &in_window, &pattern, (from, to), (at, Some(until)), room).await?;
        let none = found.is_empty();
        rows.extend(found);
        if rows.len() as i64 >= limit {
            return Ok(rows);
        }
        let top = match highest {
            Some(id) => id,
            None => *highest.insert(last_id(conn).await?),
        };
        if until >= top {
            return Ok(rows);
        }
        at = until;
        if none {
            break;
        }
    }
    let past_window = format!(
        "{SUMMARY} WHERE a.id IN (\
           SELECT id FROM accounts WHERE username_lc LIKE $1 ESCAPE '\\' AND id > $4 \
           UNION SELECT id FROM accounts WHERE display_name_lc LIKE $1 ESCAPE '\\' AND id > $4 \
           UNION SELECT account_id FROM account_emails \
                 WHERE split_part(email_norm, '@', 1) LIKE $1 ESCAPE '\\' AND account_id > $4) \
         AND {NOT_PREFIX} ORDER BY a.id LIMIT $5"
    );
    let room = limit - rows.len() as i64;
    rows.extend(substring_query(conn, &past_window, &pattern, (from, to), (at, None), room).await?);
    Ok(rows)
}

/// Accounts shown by the prefix branches, which the "contains" stage leaves out.
const NOT_PREFIX: &str = "NOT (a.username_lc >= $2 AND a.username_lc < $3) \
                          AND NOT (a.display_name_lc >= $2 AND a.display_name_lc < $3)";

async fn substring_query(
    conn: &mut Conn,
    sql: &str,
    needle: &str,
    (from, to): (&str, &str),
    (after_id, until): (i64, Option<i64>),
    limit: i64,
) -> StoreResult<Vec<SummaryRow>> {
    let query = sqlx::query_as(sql).bind(needle).bind(from).bind(to).bind(after_id).bind(limit);
    let query = match until {
        Some(until) => query.bind(until),
        None => query,
    };
    query
        .fetch_all(conn)
        .await
        .step("searching names, usernames and addresses by a part (account_text / trigram indexes)")
}

/// The highest account id, 0 with none.
async fn last_id(conn: &mut Conn) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM accounts")
        .fetch_one(conn)
        .await
        .step("reading the highest account id (accounts)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub country: String,
    pub phone: Option<String>,
    pub security_question: Option<String>,
    pub created_ms: i64,
    pub last_sign_in_ms: Option<i64>,
}

pub async fn get(conn: &mut Conn, id: i64) -> StoreResult<Option<AccountRow>> {
    sqlx::query_as(
        "SELECT id, username, display_name, status, country, phone, security_question, created_ms, last_sign_in_ms \
         FROM accounts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
    .step("reading an account (accounts)")
}

pub async fn exists(conn: &mut Conn, id: i64) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("looking an account up (accounts)")?;
    Ok(found.is_some())
}

/// Takes the account's row for the rest of the transaction (PostgreSQL; SQLite's write transaction
/// holds everything already) and answers its username, or `None` when there is no such account.
pub async fn lock(conn: &mut Conn, id: i64) -> StoreResult<Option<String>> {
    let sql = format!("SELECT username FROM accounts WHERE id = $1{}", for_update(conn));
    sqlx::query_scalar(&sql).bind(id).fetch_optional(conn).await.step("locking an account (accounts)")
}

/// What an account action needs of the account it locked.
#[derive(Debug, sqlx::FromRow)]
pub struct LockedAccount {
    pub username: String,
    pub status: AccountStatus,
}

/// [`lock`], answering the account's status too.
pub async fn lock_with_status(conn: &mut Conn, id: i64) -> StoreResult<Option<LockedAccount>> {
    let sql = format!("SELECT username, status FROM accounts WHERE id = $1{}", for_update(conn));
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await.step("locking an account (accounts)")
}

/// Unlocks an account locked by failed sign-ins: true when it was locked.
pub async fn unlock(conn: &mut Conn, id: i64) -> StoreResult<bool> {
    Ok(sqlx::query("UPDATE accounts SET status = 'active' WHERE id = $1 AND status = 'locked'")
        .bind(id)
        .execute(conn)
        .await
        .step("unlocking an account (accounts)")?
        .rows_affected()
        == 1)
}

/// One address of the account, and whether it is verified.
#[derive(Debug, sqlx::FromRow)]
pub struct AddressState {
    pub email: String,
    pub verified: Flag,
}

pub async fn address_state(conn: &mut Conn, account_id: i64, email_id: i64) -> StoreResult<Option<AddressState>> {
    sqlx::query_as("SELECT email, verified FROM account_emails WHERE id = $1 AND account_id = $2")
        .bind(email_id)
        .bind(account_id)
        .fetch_optional(conn)
        .await
        .step("reading an address (account_emails)")
}

pub async fn mark_verified(conn: &mut Conn, email_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE account_emails SET verified = 1 WHERE id = $1")
        .bind(email_id)
        .execute(conn)
        .await
        .step("marking an address verified (account_emails)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct EmailRow {
    pub id: i64,
    pub email: String,
    pub is_primary: Flag,
    pub verified: Flag,
    pub bounced: Flag,
}

/// The account's addresses, the primary first.
pub async fn emails(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<EmailRow>> {
    sqlx::query_as(
        "SELECT id, email, is_primary, verified, bounced FROM account_emails WHERE account_id = $1 \
         ORDER BY is_primary DESC, id",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await
    .step("reading an account's addresses (account_emails)")
}

pub async fn primary_email(conn: &mut Conn, account_id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 AND is_primary = 1 LIMIT 1")
        .bind(account_id)
        .fetch_optional(conn)
        .await
        .step("reading an account's primary address (account_emails)")
}

/// Every address on file, in the order they were added.
pub async fn addresses(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<String>> {
    sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 ORDER BY id")
        .bind(account_id)
        .fetch_all(conn)
        .await
        .step("reading an account's addresses (account_emails)")
}

pub async fn verified_addresses(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<String>> {
    sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 AND verified = 1 ORDER BY id")
        .bind(account_id)
        .fetch_all(conn)
        .await
        .step("reading an account's verified addresses (account_emails)")
}

/// The normalised form of every address on file.
pub async fn normalised_addresses(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<String>> {
    sqlx::query_scalar("SELECT email_norm FROM account_emails WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(conn)
        .await
        .step("reading an account's addresses (account_emails)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct AddressFlags {
    pub is_primary: Flag,
    pub verified: Flag,
    pub bounced: Flag,
}

/// How a normalised address stands on the account, if it is on file.
pub async fn address_flags(conn: &mut Conn, account_id: i64, email_norm: &str) -> StoreResult<Option<AddressFlags>> {
    sqlx::query_as(
        "SELECT is_primary, verified, bounced FROM account_emails WHERE account_id = $1 AND email_norm = $2 LIMIT 1",
    )
    .bind(account_id)
    .bind(email_norm)
    .fetch_optional(conn)
    .await
    .step("checking an address (account_emails)")
}

pub async fn address_of(conn: &mut Conn, account_id: i64, email_id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT email FROM account_emails WHERE id = $1 AND account_id = $2")
        .bind(email_id)
        .bind(account_id)
        .fetch_optional(conn)
        .await
        .step("reading an address (account_emails)")
}

/// Flags the account's addresses equal (ignoring case) to `to_addr` as bouncing.
pub async fn flag_bounced(conn: &mut Conn, account_id: i64, to_addr: &str) -> StoreResult<u64> {
    Ok(sqlx::query("UPDATE account_emails SET bounced = 1 WHERE account_id = $1 AND lower(email) = lower($2)")
        .bind(account_id)
        .bind(to_addr)
        .execute(conn)
        .await
        .step("flagging a bouncing address (account_emails)")?
        .rows_affected())
}

/// An address an applied change adds: unverified and not primary until its link is used.
pub struct NewEmail<'a> {
    pub account_id: i64,
    pub email: &'a str,
    pub email_norm: &'a str,
    pub email_canon: &'a str,
    pub verify_token_hash: &'a str,
    pub verify_expires_ms: i64,
}

pub async fn add_unverified_email(conn: &mut Conn, e: &NewEmail<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO account_emails (account_id, email, email_norm, email_canon, is_primary, verified, bounced, \
         verify_token_hash, verify_expires_ms) VALUES ($1, $2, $3, $4, 0, 0, 0, $5, $6)",
    )
    .bind(e.account_id)
    .bind(e.email)
    .bind(e.email_norm)
    .bind(e.email_canon)
    .bind(e.verify_token_hash)
    .bind(e.verify_expires_ms)
    .execute(conn)
    .await
    .step("adding an address (account_emails)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct ConfirmedEmail {
    pub id: i64,
    pub account_id: i64,
}

/// Marks the address whose link this is verified, once: the link is cleared in the same statement.
pub async fn confirm_email(conn: &mut Conn, token_hash: &str, now_ms: i64) -> StoreResult<Option<ConfirmedEmail>> {
    sqlx::query_as(
        "UPDATE account_emails SET verified = 1, verify_token_hash = NULL, verify_expires_ms = NULL \
         WHERE verify_token_hash = $1 AND verify_expires_ms > $2 RETURNING id, account_id",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await
    .step("confirming a new address (account_emails)")
}

/// Makes one address the account's primary, and no other.
pub async fn make_primary(conn: &mut Conn, account_id: i64, email_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE account_emails SET is_primary = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE account_id = $2")
        .bind(email_id)
        .bind(account_id)
        .execute(conn)
        .await
        .step("changing the primary address (account_emails)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct MethodRow {
    pub kind: TwoFactorKind,
    pub last_used_ms: Option<i64>,
}

pub async fn two_factor_methods(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<MethodRow>> {
    sqlx::query_as("SELECT kind, last_used_ms FROM two_factor_methods WHERE account_id = $1 ORDER BY id")
        .bind(account_id)
        .fetch_all(conn)
        .await
        .step("reading 2FA methods (two_factor_methods)")
}

pub async fn has_method(conn: &mut Conn, account_id: i64, kind: TwoFactorKind) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM two_factor_methods WHERE account_id = $1 AND kind = $2")
        .bind(account_id)
        .bind(kind)
        .fetch_one(conn)
        .await
        .step("reading 2FA methods (two_factor_methods)")?;
    Ok(n > 0)
}

/// The sealed authenticator secret, if the account has an authenticator app.
pub async fn authenticator_secret(conn: &mut Conn, account_id: i64) -> StoreResult<Option<String>> {
    let secret: Option<Option<String>> = sqlx::query_scalar(
        "SELECT secret FROM two_factor_methods WHERE account_id = $1 AND kind = 'authenticator_app' LIMIT 1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await
    .step("reading the authenticator secret (two_factor_methods)")?;
    Ok(secret.flatten())
}

/// Records the authenticator's 30-second step as used, only when it is later than the last one:
/// true for the one caller that moved it.
pub async fn take_totp_step(conn: &mut Conn, account_id: i64, step: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE two_factor_methods SET totp_last_step = $1 \
         WHERE account_id = $2 AND kind = 'authenticator_app' AND totp_last_step < $1",
    )
    .bind(step)
    .bind(account_id)
    .execute(conn)
    .await
    .step("using an authenticator step (two_factor_methods)")?
    .rows_affected()
        >= 1)
}

pub async fn method_used(conn: &mut Conn, account_id: i64, kind: TwoFactorKind, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE two_factor_methods SET last_used_ms = $1 WHERE account_id = $2 AND kind = $3")
        .bind(now_ms)
        .bind(account_id)
        .bind(kind)
        .execute(conn)
        .await
        .step("noting a 2FA method's use (two_factor_methods)")?;
    Ok(())
}

/// Uses one unused backup code with this hash: true for the one caller that got it.
pub async fn use_backup_code(conn: &mut Conn, account_id: i64, code_hash: &str, now_ms: i64) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE backup_codes SET used_ms = $1 WHERE used_ms IS NULL AND id = \
         (SELECT id FROM backup_codes WHERE account_id = $2 AND code_hash = $3 AND used_ms IS NULL LIMIT 1)",
    )
    .bind(now_ms)
    .bind(account_id)
    .bind(code_hash)
    .execute(conn)
    .await
    .step("using a backup code (backup_codes)")?
    .rows_affected()
        == 1)
}

/// Removes every 2FA method and backup code of the account.
pub async fn remove_two_factor(conn: &mut Conn, account_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM two_factor_methods WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await
        .step("removing 2FA methods (two_factor_methods)")?;
    sqlx::query("DELETE FROM backup_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await
        .step("removing backup codes (backup_codes)")?;
    Ok(())
}

pub async fn phone(conn: &mut Conn, account_id: i64) -> StoreResult<Option<String>> {
    let phone: Option<Option<String>> = sqlx::query_scalar("SELECT phone FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await
        .step("reading a phone number (accounts)")?;
    Ok(phone.flatten())
}

pub async fn set_phone(conn: &mut Conn, account_id: i64, phone: &str, digits: &str) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET phone = $1, phone_digits = $2 WHERE id = $3")
        .bind(phone)
        .bind(digits)
        .bind(account_id)
        .execute(conn)
        .await
        .step("changing a phone number (accounts)")?;
    Ok(())
}

pub async fn set_password_hash(conn: &mut Conn, account_id: i64, hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(account_id)
        .execute(conn)
        .await
        .step("setting a password (accounts)")?;
    Ok(())
}

/// Sets (or, with `None`, clears) the security question and its answer's hash.
pub async fn set_security_answer(
    conn: &mut Conn,
    account_id: i64,
    question: Option<&str>,
    answer_hash: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET security_question = $1, security_answer_hash = $2 WHERE id = $3")
        .bind(question)
        .bind(answer_hash)
        .bind(account_id)
        .execute(conn)
        .await
        .step("setting a security answer (accounts)")?;
    Ok(())
}

/// Ends every session of the user; answers how many ended.
pub async fn end_sessions(conn: &mut Conn, account_id: i64, now_ms: i64) -> StoreResult<u64> {
    Ok(sqlx::query("UPDATE user_sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(account_id)
        .execute(conn)
        .await
        .step("ending a user's sessions (user_sessions)")?
        .rows_affected())
}

/// An account found from what a user typed on a public page.
#[derive(Debug, sqlx::FromRow)]
pub struct Found {
    pub id: i64,
    pub username: String,
    /// The address typed, when it is a verified one of the account's.
    pub typed_verified: Option<String>,
}

pub async fn find_by_address(conn: &mut Conn, email_norm: &str) -> StoreResult<Option<Found>> {
    sqlx::query_as(
        "SELECT a.id, a.username, \
                (SELECT email FROM account_emails WHERE account_id = a.id AND email_norm = $1 AND verified = 1) AS typed_verified \
         FROM accounts a JOIN account_emails e ON e.account_id = a.id WHERE e.email_norm = $1 LIMIT 1",
    )
    .bind(email_norm)
    .fetch_optional(conn)
    .await
    .step("finding an account by address (accounts)")
}

pub async fn find_by_username(conn: &mut Conn, username_lc: &str) -> StoreResult<Option<Found>> {
    sqlx::query_as("SELECT id, username, NULL AS typed_verified FROM accounts WHERE username_lc = $1")
        .bind(username_lc)
        .fetch_optional(conn)
        .await
        .step("finding an account by username (accounts)")
}

/// What the security-details form is weighed against.
#[derive(Debug, sqlx::FromRow)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub country: String,
    pub created_ms: i64,
}

pub async fn profile_by_address(conn: &mut Conn, email_norm: &str) -> StoreResult<Option<Profile>> {
    sqlx::query_as(
        "SELECT a.id, a.username, a.display_name, a.country, a.created_ms FROM accounts a \
         JOIN account_emails e ON e.account_id = a.id WHERE e.email_norm = $1 LIMIT 1",
    )
    .bind(email_norm)
    .fetch_optional(conn)
    .await
    .step("finding an account by address (accounts)")
}

pub async fn profile_by_username(conn: &mut Conn, username_lc: &str) -> StoreResult<Option<Profile>> {
    sqlx::query_as("SELECT id, username, display_name, country, created_ms FROM accounts WHERE username_lc = $1")
        .bind(username_lc)
        .fetch_optional(conn)
        .await
        .step("finding an account by username (accounts)")
}

pub async fn profile(conn: &mut Conn, id: i64) -> StoreResult<Option<Profile>> {
    sqlx::query_as("SELECT id, username, display_name, country, created_ms FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading an account (accounts)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct DuplicateRow {
    pub account_id: i64,
    pub reason: DuplicateReason,
}

/// Other accounts that share a canonical address, a phone number, or a display name and country.
pub async fn duplicates(conn: &mut Conn, id: i64) -> StoreResult<Vec<DuplicateRow>> {
    sqlx::query_as(
        "SELECT DISTINCT e2.account_id AS account_id, 'same_address' AS reason FROM account_emails e1 \
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
    .fetch_all(conn)
    .await
    .step("looking for duplicate accounts (accounts, account_emails)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct Brief {
    pub username: String,
    pub display_name: String,
    pub status: AccountStatus,
}

pub async fn brief(conn: &mut Conn, id: i64) -> StoreResult<Option<Brief>> {
    sqlx::query_as("SELECT username, display_name, status FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading an account (accounts)")
}

/// How many rows one multi-row INSERT of `columns` columns carries. Few enough parameters: sqlx
/// binds SQLite's parameters by name, and SQLite finds each name by walking the list, so a
/// statement's binding costs the square of its parameters (at 500 accounts a statement, 60% of
/// seeding a million went there).
fn rows_per_insert(columns: usize) -> usize {
    (256 / columns).max(1)
}

/// Demo data: accounts with their ids, in one statement per chunk.
pub struct NewAccount<'a> {
    pub id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub status: AccountStatus,
    pub country: &'a str,
    pub phone: Option<&'a str>,
    pub password_hash: &'a str,
    pub security_question: Option<&'a str>,
    pub created_ms: i64,
    pub last_sign_in_ms: Option<i64>,
}

pub async fn insert_many(conn: &mut Conn, rows: &[NewAccount<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_insert(13)) {
        let mut qb = Builder::new(
            "INSERT INTO accounts (id, username, username_lc, display_name, display_name_lc, status, country, phone, \
             password_hash, security_question, created_ms, last_sign_in_ms, phone_digits) ",
        );
        qb.push_values(chunk, |b, r| {
            b.bind(r.id)
                .bind(r.username)
                .bind(r.username.to_lowercase())
                .bind(r.display_name)
                .bind(r.display_name.to_lowercase())
                .bind(r.status)
                .bind(r.country)
                .bind(r.phone)
                .bind(r.password_hash)
                .bind(r.security_question)
                .bind(r.created_ms)
                .bind(r.last_sign_in_ms)
                .bind(r.phone.map(desk_api::phone_digits));
        });
        qb.execute(&mut *conn).await.step("adding accounts (accounts)")?;
    }
    Ok(())
}

/// After [`insert_many`] with ids given: PostgreSQL's identity carries on after the highest (SQLite
/// takes the next id from the rows themselves). Once, after the last batch.
pub async fn carry_ids_on(conn: &mut Conn) -> StoreResult<()> {
    if super::Backend::of(conn) == super::Backend::Postgres {
        sqlx::query("SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT MAX(id) FROM accounts))")
            .execute(conn)
            .await
            .step("moving the account ids on (accounts)")?;
    }
    Ok(())
}

pub struct NewAddress<'a> {
    pub account_id: i64,
    pub email: &'a str,
    pub is_primary: bool,
    pub verified: bool,
    pub bounced: bool,
}

pub async fn insert_addresses(conn: &mut Conn, rows: &[NewAddress<'_>]) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_insert(7)) {
        let mut qb = Builder::new(
            "INSERT INTO account_emails (account_id, email, email_norm, email_canon, is_primary, verified, bounced) ",
        );
        qb.push_values(chunk, |b, r| {
            b.bind(r.account_id)
                .bind(r.email)
                .bind(r.email.to_lowercase())
                .bind(desk_api::canonical_email(r.email))
                .bind(Flag(r.is_primary))
                .bind(Flag(r.verified))
                .bind(Flag(r.bounced));
        });
        qb.execute(&mut *conn).await.step("adding addresses (account_emails)")?;
    }
    Ok(())
}

pub struct NewMethod {
    pub account_id: i64,
    pub kind: TwoFactorKind,
    pub last_used_ms: Option<i64>,
    /// The sealed authenticator secret.
    pub secret: Option<String>,
}

pub async fn insert_methods(conn: &mut Conn, rows: &[NewMethod]) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_insert(4)) {
        let mut qb = Builder::new("INSERT INTO two_factor_methods (account_id, kind, last_used_ms, secret) ");
        qb.push_values(chunk, |b, r| {
            b.bind(r.account_id).bind(r.kind).bind(r.last_used_ms).bind(&r.secret);
        });
        qb.execute(&mut *conn).await.step("adding 2FA methods (two_factor_methods)")?;
    }
    Ok(())
}

pub struct NewBackupCode {
    pub account_id: i64,
    pub code_hash: String,
}

pub async fn insert_backup_codes(conn: &mut Conn, rows: &[NewBackupCode]) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_insert(2)) {
        let mut qb = Builder::new("INSERT INTO backup_codes (account_id, code_hash) ");
        qb.push_values(chunk, |b, r| {
            b.bind(r.account_id).bind(&r.code_hash);
        });
        qb.execute(&mut *conn).await.step("adding backup codes (backup_codes)")?;
    }
    Ok(())
}

pub struct NewUserSession {
    pub account_id: i64,
    pub created_ms: i64,
}

pub async fn insert_user_sessions(conn: &mut Conn, rows: &[NewUserSession]) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_insert(2)) {
        let mut qb = Builder::new("INSERT INTO user_sessions (account_id, created_ms) ");
        qb.push_values(chunk, |b, r| {
            b.bind(r.account_id).bind(r.created_ms);
        });
        qb.execute(&mut *conn).await.step("adding user sessions (user_sessions)")?;
    }
    Ok(())
}
