//! The end user's side of recovery: asking for a link, opening it, passing two-step verification,
//! and setting a new password or security answer.
//!
//! Across instances: each single-use thing here (a link, an SMS code, a backup code, an
//! authenticator step, a try at a code) is one conditional statement in the store; a user's own
//! request for a link locks the account first, as an agent's does, so its cooldown and the
//! superseding of older links hold.

use desk_api::{ActivityKind, EmailAddress, SecretText, TwoFactorKind};
use serde_json::json;

use super::events::{self, Event};
use super::outbox;
use super::rate::{self, Bucket};
use super::recovery::{issue_link, LinkFor, RecoveryKind};
use super::DomainResult;
use crate::audit::rollups::{self, Refusal};
use crate::audit::{self, Actor, AuditAction, Entry};
use crate::crypto::{self, ArgonGate, Code, Keys, Sealed};
use crate::http::client_ip;
use crate::store::{self, Db};
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

#[tracing::instrument(name = "end_user.open", skip_all, fields(kind = kind.as_str()))]
pub async fn open(db: &Db, token: &str, kind: RecoveryKind, now_ms: i64) -> DomainResult<Link> {
    if token.len() != 43 {
        return Ok(Link::Unknown);
    }
    let row = store::recovery::link_by_hash(&mut *db.acquire().await?, &crypto::token_hash(token)).await?;
    let Some(t) = row else {
        return Ok(Link::Unknown);
    };
    if t.kind != kind {
        return Ok(Link::Unknown);
    }
    if t.used_ms.is_some() {
        return Ok(Link::Used);
    }
    if t.superseded_ms.is_some() {
        return Ok(Link::Superseded);
    }
    if t.expires_ms <= now_ms {
        return Ok(Link::Expired);
    }
    if t.failed_codes >= MAX_FAILED_CODES {
        return Ok(Link::TooManyCodes);
    }
    if t.opened_ms.is_none() {
        let mut tx = db.write().await?;
        if store::recovery::mark_opened(&mut tx, t.id, now_ms).await? {
            let event = Event {
                account_id: t.account_id,
                kind: ActivityKind::LinkOpened,
                summary: format!("The {} link was opened", kind.human()),
                actor_email: None,
                email_id: None,
                token_id: Some(t.id),
            };
            events::record(&mut tx, now_ms, event).await?;
        }
        store::commit(tx).await?;
    }
    let methods = store::accounts::two_factor_methods(&mut *db.acquire().await?, t.account_id).await?;
    Ok(Link::Valid(ValidLink {
        token_id: t.id,
        account_id: t.account_id,
        kind,
        username: t.username,
        two_factor_passed: t.two_factor_passed_ms.is_some(),
        methods: methods.into_iter().map(|m| m.kind).collect(),
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
#[tracing::instrument(name = "end_user.send_sms_code", skip_all, fields(account = link.account_id))]
pub async fn send_sms_code(
    db: &Db,
    keys: &Keys,
    config: &Config,
    link: &ValidLink,
    now_ms: i64,
) -> DomainResult<SmsSent> {
    let phone = store::accounts::phone(&mut *db.acquire().await?, link.account_id).await?;
    let Some(phone) = phone else { return Ok(SmsSent::NoPhone) };
    let mut tx = db.write().await?;
    if !store::recovery::take_sms_send(&mut tx, link.token_id, config.sms_per_link).await? {
        store::rollback(tx).await?;
        return Ok(SmsSent::LinkSpent);
    }
    let hourly = Bucket::new("sms_account", link.account_id.to_string(), config.sms_account_hourly_cap, 3600 * 1000);
    if let Err(wait_ms) = rate::take(&mut tx, now_ms, &hourly).await? {
        store::rollback(tx).await?;
        return Ok(SmsSent::AccountLimited { retry_at_ms: now_ms + wait_ms });
    }
    store::recovery::supersede_sms_codes(&mut tx, link.token_id, now_ms).await?;
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    store::recovery::insert_sms_code(
        &mut tx,
        link.token_id,
        &keys.code_hash(Code::Sms, &code),
        now_ms,
        now_ms + SMS_CODE_TTL_MS,
    )
    .await?;
    let body = format!("Your verification code is {code}. It works for 10 minutes. Never share it.");
    let mail = outbox::Mail {
        account_id: Some(link.account_id),
        action_id: None,
        token_id: None,
        kind: "sms",
        to: &phone,
        subject: "SMS",
        body: &body,
    };
    let email_id = outbox::enqueue(&mut tx, now_ms, mail).await?;
    let event = Event {
        account_id: link.account_id,
        kind: ActivityKind::SmsCodeSent,
        summary: "A verification code was sent by SMS".into(),
        actor_email: None,
        email_id: Some(email_id),
        token_id: Some(link.token_id),
    };
    events::record(&mut tx, now_ms, event).await?;
    store::commit(tx).await?;
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
#[tracing::instrument(name = "end_user.verify_code", skip_all, fields(account = link.account_id, method = method.as_str()))]
pub async fn verify_code(
    db: &Db,
    keys: &Keys,
    link: &ValidLink,
    method: TwoFactorKind,
    code: &str,
    now_ms: i64,
) -> DomainResult<Verified> {
    let code = code.trim();
    let mut tx = db.write().await?;
    let Some(tried) = store::recovery::take_code_try(&mut tx, link.token_id, MAX_FAILED_CODES).await? else {
        store::rollback(tx).await?;
        return Ok(Verified::Locked);
    };
    let ok = if !link.methods.contains(&method) || code.is_empty() || code.len() > 32 {
        false
    } else {
        match method {
            TwoFactorKind::AuthenticatorApp => {
                let stored = store::accounts::authenticator_secret(&mut tx, link.account_id).await?;
                let step = stored
                    .and_then(|s| keys.open(Sealed::UserTotp, &s))
                    .and_then(|secret| totp::matching_step(secret.expose(), code, now_ms / 1000));
                match step {
                    Some(step) => store::accounts::take_totp_step(&mut tx, link.account_id, step).await?,
                    None => false,
                }
            }
            TwoFactorKind::Sms => {
                store::recovery::use_sms_code(&mut tx, link.token_id, &keys.code_hash(Code::Sms, code), now_ms).await?
            }
            TwoFactorKind::BackupCodes => {
                let normalised: String =
                    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
                let hash = keys.code_hash(Code::Backup, &normalised);
                store::accounts::use_backup_code(&mut tx, link.account_id, &hash, now_ms).await?
            }
        }
    };
    let label = match method {
        TwoFactorKind::AuthenticatorApp => "authenticator app",
        TwoFactorKind::Sms => "SMS",
        TwoFactorKind::BackupCodes => "backup code",
    };
    let (kind, summary) = if ok {
        store::recovery::pass_two_factor(&mut tx, link.token_id, now_ms).await?;
        store::accounts::method_used(&mut tx, link.account_id, method, now_ms).await?;
        (ActivityKind::TwoFactorPassed, format!("Two-step verification passed ({label})"))
    } else {
        (ActivityKind::TwoFactorFailed, format!("A wrong {label} code was entered"))
    };
    let event = Event {
        account_id: link.account_id,
        kind,
        summary,
        actor_email: None,
        email_id: None,
        token_id: Some(link.token_id),
    };
    events::record(&mut tx, now_ms, event).await?;
    store::commit(tx).await?;
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
#[tracing::instrument(name = "end_user.complete", skip_all, fields(account = link.account_id))]
pub async fn complete(
    db: &Db,
    argon: &ArgonGate,
    link: &ValidLink,
    secret: NewSecret,
    now_ms: i64,
    client: &str,
) -> DomainResult<bool> {
    let hash = match &secret {
        NewSecret::Password(p) => argon.hash(&SecretText::new(p.as_str())).await?,
        NewSecret::Answer { answer, .. } => argon.hash(&SecretText::new(normalise_answer(answer))).await?,
    };
    let mut tx = db.write().await?;
    // Single use, even against two tabs racing.
    if !store::recovery::use_link(&mut tx, link.token_id, now_ms).await? {
        return Ok(false);
    }
    let (kind, subject, what, action) = match &secret {
        NewSecret::Password(_) => {
            store::accounts::set_password_hash(&mut tx, link.account_id, &hash).await?;
            (
                ActivityKind::PasswordChanged,
                "Your password was changed",
                "Your password was changed",
                AuditAction::PasswordChanged,
            )
        }
        NewSecret::Answer { question, .. } => {
            store::accounts::set_security_answer(&mut tx, link.account_id, Some(question), Some(&hash)).await?;
            (
                ActivityKind::AnswerChanged,
                "Your security question was changed",
                "Your security question and answer were changed",
                AuditAction::AnswerChanged,
            )
        }
    };
    let ended = store::accounts::end_sessions(&mut tx, link.account_id, now_ms).await?;
    let event = Event {
        account_id: link.account_id,
        kind,
        summary: format!("{what} through a recovery link; {ended} sessions ended"),
        actor_email: None,
        email_id: None,
        token_id: Some(link.token_id),
    };
    events::record(&mut tx, now_ms, event).await?;
    let body = format!(
        "Hello {},\n\n{what} just now, using a recovery link, and every place you were signed in was signed out.\n\n\
         If this was you, there is nothing more to do.\n\
         If it was not you, reply to this email or contact support at once: we will lock the account and help you back in.\n",
        link.username
    );
    let notices = outbox::notify_all(&mut tx, now_ms, link.account_id, subject, &body).await?;
    for id in &notices {
        let event = Event {
            account_id: link.account_id,
            kind: ActivityKind::NoticeSent,
            summary: "A notice of the change was sent".into(),
            actor_email: None,
            email_id: Some(*id),
            token_id: None,
        };
        events::record(&mut tx, now_ms, event).await?;
    }
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(link.account_id.to_string()),
        detail: json!({ "sessions_ended": ended, "notices": notices.len() }),
        ..Entry::new(action, "success")
    };
    audit::record(&mut tx, now_ms, &Actor::anonymous(client), entry).await?;
    store::commit(tx).await?;
    Ok(true)
}

/// Counts a public request and answers whether it is within the limits (per identifier and per
/// client address). Every request counts, refused or not, but in one counter row per key; a
/// refusal is summarised in the audit log per client and window rather than written each time.
pub async fn within_public_limits(
    db: &Db,
    config: &Config,
    scope: &str,
    identifier: &str,
    client: &str,
    now_ms: i64,
) -> DomainResult<bool> {
    let window = 15 * 60 * 1000;
    let ip = client_ip(client);
    let limits = [
        Bucket::new("public_identifier", format!("{scope} {identifier}"), config.public_max_requests, window),
        Bucket::new("public_client", format!("{scope} {ip}"), config.public_max_requests * 5, window),
    ];
    let mut tx = db.write().await?;
    let mut ok = true;
    for b in &limits {
        ok &= rate::hit(&mut tx, now_ms, b).await?.is_ok();
    }
    if !ok {
        let refusal = Refusal {
            action: AuditAction::PublicRequestLimited,
            key: &format!("{scope} {ip}"),
            target_type: None,
            target_id: None,
            window_ms: window,
        };
        rollups::refused(&mut tx, now_ms, &Actor::anonymous(client), refusal).await?;
    }
    store::commit(tx).await?;
    Ok(ok)
}

/// A user asked for a link on a public page. Runs off the request (the page answers the same
/// whether or not anything is found), so nothing here may show in the answer.
#[tracing::instrument(name = "end_user.user_request", skip_all, fields(kind = kind.as_str()))]
pub async fn user_request(
    db: Db,
    config: std::sync::Arc<Config>,
    identifier: String,
    kind: RecoveryKind,
    now_ms: i64,
) -> DomainResult<()> {
    let ident = identifier.trim().to_lowercase();
    let mut tx = db.write().await?;
    let found = match EmailAddress::parse(&ident) {
        Ok(e) => store::accounts::find_by_address(&mut tx, e.as_str()).await?,
        Err(_) => store::accounts::find_by_username(&mut tx, &ident).await?,
    };
    let Some(found) = found else { return Ok(()) };
    store::accounts::lock(&mut tx, found.id).await?;
    let recent = store::recovery::last_user_link_ms(&mut tx, found.id, kind).await?;
    if recent.is_some_and(|t| now_ms - t < USER_REQUEST_COOLDOWN_MS) {
        return Ok(());
    }
    // The address the user typed, when it is a verified one of theirs; otherwise the primary.
    let to = match found.typed_verified {
        Some(a) => a,
        None => match store::accounts::primary_email(&mut tx, found.id).await? {
            Some(p) => p,
            None => return Ok(()),
        },
    };
    let link = LinkFor {
        account_id: found.id,
        kind,
        action_id: None,
        requested_by: "user",
        to: &to,
        username: &found.username,
    };
    let (token_id, email_id) = issue_link(&mut tx, &config, now_ms, link).await?;
    let event = Event {
        account_id: found.id,
        kind: ActivityKind::UserRequested,
        summary: format!("The user asked for a {} link", kind.human()),
        actor_email: None,
        email_id: Some(email_id),
        token_id: Some(token_id),
    };
    events::record(&mut tx, now_ms, event).await?;
    store::commit(tx).await?;
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
