//! The end user's side of recovery: asking for a link, opening it, passing two-step verification,
//! and setting a new password or security answer.

use desk_api::{ActivityKind, EmailAddress, SecretText, TwoFactorKind};
use serde_json::json;
use sqlx::SqlitePool;

use super::events::{self, Event};
use super::outbox;
use super::rate::{self, Bucket};
use super::recovery::{issue_link, RecoveryKind};
use crate::audit::rollups::{self, Refusal};
use crate::audit::{self, Actor, AuditAction, Entry};
use crate::crypto::{self, ArgonGate, Code, Keys, Sealed};
use crate::db::begin_write;
use crate::http::client_ip;
use crate::{totp, Config};

/// Wrong codes a link tolerates before it stops working.
pub const MAX_FAILED_CODES: i64 = 5;
pub const SMS_CODE_TTL_MS: i64 = 10 * 60 * 1000;
/// A user may ask for a new link of a kind this often.
pub const USER_REQUEST_COOLDOWN_MS: i64 = 60 * 1000;

/// What a link is, when someone opens it.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    Valid(ValidLink),
    Unknown,
    Expired,
    Used,
    Superseded,
    TooManyCodes,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidLink {
    pub token_id: i64,
    pub account_id: i64,
    pub kind: RecoveryKind,
    pub username: String,
    pub two_factor_passed: bool,
    /// The methods the user must pass one of first (empty: none).
    pub methods: Vec<TwoFactorKind>,
}

pub async fn open(db: &SqlitePool, token: &str, kind: RecoveryKind, now_ms: i64) -> sqlx::Result<Link> {
    if token.len() != 43 {
        return Ok(Link::Unknown);
    }
    type Row = (i64, i64, String, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>, i64, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.id, t.account_id, t.kind, t.expires_ms, t.used_ms, t.superseded_ms, t.opened_ms, t.two_factor_passed_ms, \
                t.failed_codes, a.username \
         FROM recovery_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1",
    )
    .bind(crypto::token_hash(token))
    .fetch_optional(db)
    .await?;
    let Some((id, account_id, k, expires, used, superseded, opened, passed, failed, username)) = row else {
        return Ok(Link::Unknown);
    };
    if RecoveryKind::parse(&k) != Some(kind) {
        return Ok(Link::Unknown);
    }
    if used.is_some() {
        return Ok(Link::Used);
    }
    if superseded.is_some() {
        return Ok(Link::Superseded);
    }
    if expires <= now_ms {
        return Ok(Link::Expired);
    }
    if failed >= MAX_FAILED_CODES {
        return Ok(Link::TooManyCodes);
    }
    if opened.is_none() {
        let mut tx = begin_write(db).await?;
        let first = sqlx::query("UPDATE recovery_tokens SET opened_ms = $1 WHERE id = $2 AND opened_ms IS NULL")
            .bind(now_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if first == 1 {
            let summary = format!("The {} link was opened", kind.human());
            events::record(
                &mut tx,
                now_ms,
                Event {
                    account_id,
                    kind: ActivityKind::LinkOpened,
                    summary,
                    actor_email: None,
                    email_id: None,
                    token_id: Some(id),
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    let methods: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM two_factor_methods WHERE account_id = $1 ORDER BY id")
            .bind(account_id)
            .fetch_all(db)
            .await?;
    Ok(Link::Valid(ValidLink {
        token_id: id,
        account_id,
        kind,
        username,
        two_factor_passed: passed.is_some(),
        methods: methods.iter().filter_map(|m| TwoFactorKind::parse(m)).collect(),
    }))
}

impl ValidLink {
    pub fn needs_two_factor(&self) -> bool {
        !self.methods.is_empty() && !self.two_factor_passed
    }
}

/// What became of a request for an SMS code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsSent {
    Sent,
    NoPhone,
    /// The link has sent all the codes it may.
    LinkSpent,
    /// The account had the most codes an hour allows; the next may go at this time.
    AccountLimited {
        retry_at_ms: i64,
    },
}

/// Sends a 6-digit code to the phone on file (the demo's SMS gateway is the local mailbox). The
/// new code cancels the older ones of the link. Each link sends at most `sms_per_link` codes and
/// each account gets at most `sms_account_hourly_cap` an hour: both counted by conditional updates
/// in the transaction that sends, so concurrent requests cannot pass them.
pub async fn send_sms_code(
    db: &SqlitePool,
    keys: &Keys,
    config: &Config,
    link: &ValidLink,
    now_ms: i64,
) -> sqlx::Result<SmsSent> {
    let phone: Option<String> =
        sqlx::query_scalar("SELECT phone FROM accounts WHERE id = $1").bind(link.account_id).fetch_one(db).await?;
    let Some(phone) = phone else { return Ok(SmsSent::NoPhone) };
    let mut tx = begin_write(db).await?;
    let took = sqlx::query("UPDATE recovery_tokens SET sms_sends = sms_sends + 1 WHERE id = $1 AND sms_sends < $2")
        .bind(link.token_id)
        .bind(config.sms_per_link)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if took != 1 {
        tx.rollback().await?;
        return Ok(SmsSent::LinkSpent);
    }
    let hourly = Bucket::new("sms_account", link.account_id.to_string(), config.sms_account_hourly_cap, 3600 * 1000);
    if let Err(wait_ms) = rate::take(&mut tx, now_ms, &hourly).await? {
        tx.rollback().await?;
        return Ok(SmsSent::AccountLimited { retry_at_ms: now_ms + wait_ms });
    }
    sqlx::query(
        "UPDATE sms_codes SET superseded_ms = $1 WHERE token_id = $2 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(link.token_id)
    .execute(&mut *tx)
    .await?;
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    sqlx::query("INSERT INTO sms_codes (token_id, code_hash, created_ms, expires_ms) VALUES ($1, $2, $3, $4)")
        .bind(link.token_id)
        .bind(keys.code_hash(Code::Sms, &code))
        .bind(now_ms)
        .bind(now_ms + SMS_CODE_TTL_MS)
        .execute(&mut *tx)
        .await?;
    let body = format!("Your verification code is {code}. It works for 10 minutes. Never share it.");
    let email_id = outbox::enqueue(
        &mut tx,
        now_ms,
        outbox::Mail {
            account_id: Some(link.account_id),
            action_id: None,
            token_id: None,
            kind: "sms",
            to: &phone,
            subject: "SMS",
            body: &body,
        },
    )
    .await?;
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id: link.account_id,
            kind: ActivityKind::SmsCodeSent,
            summary: "A verification code was sent by SMS".into(),
            actor_email: None,
            email_id: Some(email_id),
            token_id: Some(link.token_id),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SmsSent::Sent)
}

/// What became of a code typed on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    Passed,
    /// Wrong (or already used); this many tries are left on the link.
    Wrong {
        tries_left: i64,
    },
    /// The link has had all the wrong codes it tolerates.
    Locked,
}

/// Checks a code from one of the account's methods. The try is taken from the link's allowance
/// before the code is looked at (and given back when it passes), by a conditional update, so
/// concurrent guesses never get more tries than the cap. Every code works once: SMS and backup
/// codes are marked used, and an authenticator code's 30-second step is remembered per account,
/// conditionally, so the same code cannot pass on two links or in two racing requests.
pub async fn verify_code(
    db: &SqlitePool,
    keys: &Keys,
    link: &ValidLink,
    method: TwoFactorKind,
    code: &str,
    now_ms: i64,
) -> sqlx::Result<Verified> {
    let code = code.trim();
    let mut tx = begin_write(db).await?;
    let tried: Option<i64> = sqlx::query_scalar(
        "UPDATE recovery_tokens SET failed_codes = failed_codes + 1 WHERE id = $1 AND failed_codes < $2 RETURNING failed_codes",
    )
    .bind(link.token_id)
    .bind(MAX_FAILED_CODES)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(tried) = tried else {
        tx.rollback().await?;
        return Ok(Verified::Locked);
    };
    let ok = if !link.methods.contains(&method) || code.is_empty() || code.len() > 32 {
        false
    } else {
        match method {
            TwoFactorKind::AuthenticatorApp => {
                let stored: Option<String> = sqlx::query_scalar(
                    "SELECT secret FROM two_factor_methods WHERE account_id = $1 AND kind = 'authenticator_app' LIMIT 1",
                )
                .bind(link.account_id)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
                let step = stored
                    .and_then(|s| keys.open(Sealed::UserTotp, &s))
                    .and_then(|secret| totp::matching_step(secret.expose(), code, now_ms / 1000));
                match step {
                    Some(step) => {
                        sqlx::query(
                            "UPDATE two_factor_methods SET totp_last_step = $1 \
                             WHERE account_id = $2 AND kind = 'authenticator_app' AND totp_last_step < $1",
                        )
                        .bind(step)
                        .bind(link.account_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            >= 1
                    }
                    None => false,
                }
            }
            TwoFactorKind::Sms => {
                sqlx::query(
                    "UPDATE sms_codes SET used_ms = $1 WHERE token_id = $2 AND code_hash = $3 \
                     AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $1",
                )
                .bind(now_ms)
                .bind(link.token_id)
                .bind(keys.code_hash(Code::Sms, code))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1
            }
            TwoFactorKind::BackupCodes => {
                let normalised: String =
                    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
                sqlx::query(
                    "UPDATE backup_codes SET used_ms = $1 WHERE used_ms IS NULL AND id = \
                     (SELECT id FROM backup_codes WHERE account_id = $2 AND code_hash = $3 AND used_ms IS NULL LIMIT 1)",
                )
                .bind(now_ms)
                .bind(link.account_id)
                .bind(keys.code_hash(Code::Backup, &normalised))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1
            }
        }
    };
    let label = match method {
        TwoFactorKind::AuthenticatorApp => "authenticator app",
        TwoFactorKind::Sms => "SMS",
        TwoFactorKind::BackupCodes => "backup code",
    };
    if ok {
        sqlx::query(
            "UPDATE recovery_tokens SET two_factor_passed_ms = $1, failed_codes = failed_codes - 1 WHERE id = $2",
        )
        .bind(now_ms)
        .bind(link.token_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE two_factor_methods SET last_used_ms = $1 WHERE account_id = $2 AND kind = $3")
            .bind(now_ms)
            .bind(link.account_id)
            .bind(method.as_str())
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            now_ms,
            Event {
                account_id: link.account_id,
                kind: ActivityKind::TwoFactorPassed,
                summary: format!("Two-step verification passed ({label})"),
                actor_email: None,
                email_id: None,
                token_id: Some(link.token_id),
            },
        )
        .await?;
    } else {
        events::record(
            &mut tx,
            now_ms,
            Event {
                account_id: link.account_id,
                kind: ActivityKind::TwoFactorFailed,
                summary: format!("A wrong {label} code was entered"),
                actor_email: None,
                email_id: None,
                token_id: Some(link.token_id),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(if ok { Verified::Passed } else { Verified::Wrong { tries_left: MAX_FAILED_CODES - tried } })
}

/// The password rule: long enough to resist guessing, and not the account's own name.
pub fn password_problem(password: &str, username: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < 12 {
        return Some("Use at least 12 characters.");
    }
    if n > 128 {
        return Some("Use at most 128 characters.");
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Some("Do not use your username in your password.");
    }
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return Some("Use a less repetitive password.");
    }
    const COMMON: &[&str] = &["password1234", "123456789012", "qwertyuiopas", "letmein12345", "iloveyou1234"];
    if COMMON.iter().any(|c| lower.starts_with(c)) {
        return Some("That password is too common.");
    }
    None
}

/// Security answers are compared case-, space- and punctuation-insensitively.
pub fn normalise_answer(answer: &str) -> String {
    answer
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub const QUESTIONS: &[&str] = &[
    "What was the name of your first pet?",
    "In what city did your parents meet?",
    "What was the first concert you attended?",
    "What is the name of the street you grew up on?",
];

/// What the user sets at the end of the link.
pub enum NewSecret {
    Password(String),
    Answer { question: String, answer: String },
}

/// Uses the link: stores the new secret (hashed), ends the user's sessions, tells every verified
/// address, and records it — one transaction. Answers false when the link stopped being valid.
pub async fn complete(
    db: &SqlitePool,
    argon: &ArgonGate,
    link: &ValidLink,
    secret: NewSecret,
    now_ms: i64,
    client: &str,
) -> anyhow::Result<bool> {
    let (column_update, hash, question) = match &secret {
        NewSecret::Password(p) => ("password", argon.hash(&SecretText::new(p.as_str())).await?, None),
        NewSecret::Answer { question, answer } => {
            ("answer", argon.hash(&SecretText::new(normalise_answer(answer))).await?, Some(question.clone()))
        }
    };
    let mut tx = begin_write(db).await?;
    // Single use, even against two tabs racing.
    let claimed = sqlx::query(
        "UPDATE recovery_tokens SET used_ms = $1 WHERE id = $2 AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $1",
    )
    .bind(now_ms)
    .bind(link.token_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(false);
    }
    let (kind, subject, what, action) = if column_update == "password" {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(link.account_id)
            .execute(&mut *tx)
            .await?;
        (
            ActivityKind::PasswordChanged,
            "Your password was changed",
            "Your password was changed",
            AuditAction::PasswordChanged,
        )
    } else {
        sqlx::query("UPDATE accounts SET security_question = $1, security_answer_hash = $2 WHERE id = $3")
            .bind(&question)
            .bind(&hash)
            .bind(link.account_id)
            .execute(&mut *tx)
            .await?;
        (
            ActivityKind::AnswerChanged,
            "Your security question was changed",
            "Your security question and answer were changed",
            AuditAction::AnswerChanged,
        )
    };
    let ended = sqlx::query("UPDATE user_sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(link.account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id: link.account_id,
            kind,
            summary: format!("{what} through a recovery link; {ended} sessions ended"),
            actor_email: None,
            email_id: None,
            token_id: Some(link.token_id),
        },
    )
    .await?;
    let body = format!(
        "Hello {},\n\n{what} just now, using a recovery link, and every place you were signed in was signed out.\n\n\
         If this was you, there is nothing more to do.\n\
         If it was not you, reply to this email or contact support at once: we will lock the account and help you back in.\n",
        link.username
    );
    let notices = outbox::notify_all(&mut tx, now_ms, link.account_id, subject, &body).await?;
    for id in &notices {
        events::record(
            &mut tx,
            now_ms,
            Event {
                account_id: link.account_id,
                kind: ActivityKind::NoticeSent,
                summary: "A notice of the change was sent".into(),
                actor_email: None,
                email_id: Some(*id),
                token_id: None,
            },
        )
        .await?;
    }
    audit::record(
        &mut tx,
        now_ms,
        &Actor::anonymous(client),
        Entry {
            target_type: Some("account"),
            target_id: Some(link.account_id.to_string()),
            detail: json!({ "sessions_ended": ended, "notices": notices.len() }),
            ..Entry::new(action, "success")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Counts a public request and answers whether it is within the limits (per identifier and per
/// client address). Every request counts, refused or not, but in one counter row per key; a
/// refusal is summarised in the audit log per client and window rather than written each time.
pub async fn within_public_limits(
    db: &SqlitePool,
    config: &Config,
    scope: &str,
    identifier: &str,
    client: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let window = 15 * 60 * 1000;
    let ip = client_ip(client);
    let limits = [
        Bucket::new("public_identifier", format!("{scope} {identifier}"), config.public_max_requests, window),
        Bucket::new("public_client", format!("{scope} {ip}"), config.public_max_requests * 5, window),
    ];
    let mut tx = begin_write(db).await?;
    let mut ok = true;
    for b in &limits {
        ok &= rate::hit(&mut tx, now_ms, b).await?.is_ok();
    }
    if !ok {
        rollups::refused(
            &mut tx,
            now_ms,
            &Actor::anonymous(client),
            Refusal {
                action: AuditAction::PublicRequestLimited,
                key: &format!("{scope} {ip}"),
                target_type: None,
                target_id: None,
                window_ms: window,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ok)
}

/// A user asked for a link on a public page. Runs off the request (the page answers the same
/// whether or not anything is found), so nothing here may show in the answer.
pub async fn user_request(
    db: SqlitePool,
    config: std::sync::Arc<Config>,
    identifier: String,
    kind: RecoveryKind,
    now_ms: i64,
) -> anyhow::Result<()> {
    let ident = identifier.trim().to_lowercase();
    let by_email = EmailAddress::parse(&ident).ok();
    let found: Option<(i64, String, Option<String>)> = match &by_email {
        Some(e) => sqlx::query_as(
            "SELECT a.id, a.username, (SELECT email FROM account_emails WHERE account_id = a.id AND email_norm = $1 AND verified = 1) \
             FROM accounts a JOIN account_emails e ON e.account_id = a.id WHERE e.email_norm = $1 LIMIT 1",
        )
        .bind(e.as_str())
        .fetch_optional(&db)
        .await?,
        None => sqlx::query_as("SELECT id, username, NULL FROM accounts WHERE username_lc = $1").bind(&ident).fetch_optional(&db).await?,
    };
    let Some((account_id, username, typed_verified)) = found else { return Ok(()) };
    let mut tx = begin_write(&db).await?;
    let recent: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(created_ms) FROM recovery_tokens WHERE account_id = $1 AND kind = $2 AND requested_by = 'user'",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if recent.is_some_and(|t| now_ms - t < USER_REQUEST_COOLDOWN_MS) {
        return Ok(());
    }
    // The address the user typed, when it is a verified one of theirs; otherwise the primary.
    let to = match typed_verified {
        Some(a) => a,
        None => {
            let primary: Option<String> =
                sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 AND is_primary = 1 LIMIT 1")
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match primary {
                Some(p) => p,
                None => return Ok(()),
            }
        }
    };
    let (token_id, email_id) =
        issue_link(&mut tx, &config, now_ms, account_id, kind, None, "user", &to, &username).await?;
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id,
            kind: ActivityKind::UserRequested,
            summary: format!("The user asked for a {} link", kind.human()),
            actor_email: None,
            email_id: Some(email_id),
            token_id: Some(token_id),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        assert!(password_problem("short", "maria").is_some());
        assert!(password_problem("maria.lopez-is-me", "maria.lopez").is_some());
        assert!(password_problem("aaaaaaaaaaaaaaa", "x").is_some());
        assert!(password_problem("password123456", "x").is_some());
        assert!(password_problem("correct horse battery", "maria").is_none());
    }

    #[test]
    fn answers_compare_loosely() {
        assert_eq!(normalise_answer("  Mr.  Whiskers! "), "mr whiskers");
    }
}
