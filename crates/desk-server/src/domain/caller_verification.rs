//! Verify the caller before acting: the service challenges a factor of the user's own (their
//! authenticator app's current code, or a one-time code sent to their phone or a verified
//! address), and the agent types what the caller reads back. The agent never sees the code or
//! where it went. Attempts are capped by one conditional UPDATE; a passed verification counts
//! for `caller_verified_for_secs` for the actions the settings list.

use desk_api::{
    ActivityKind, AuditAction, CallerChallenge, CallerMethod, CallerVerified, EmailRef, EmailStatus, ErrorCode,
};
use serde_json::json;

use super::events::{self, Event};
use super::{outbox, vault, Acting, DomainError, DomainResult};
use crate::audit::{self, Entry};
use crate::clock::from_ms;
use crate::crypto::Keys;
use crate::store::{self, Conn, Db, StoreResult};
use crate::{crypto, totp, Config};

const HOUR_MS: i64 = 3600 * 1000;

fn label(m: CallerMethod) -> &'static str {
    match m {
        CallerMethod::AuthenticatorApp => "authenticator app",
        CallerMethod::Sms => "SMS code",
        CallerMethod::Email => "email code",
    }
}

async fn audit_entry(
    conn: &mut Conn,
    now_ms: i64,
    actor: &crate::audit::Actor,
    action: AuditAction,
    account_id: i64,
    outcome: &str,
    detail: serde_json::Value,
) -> StoreResult<i64> {
    audit::record(
        conn,
        now_ms,
        actor,
        Entry {
            target_type: Some("account"),
            target_id: Some(account_id.to_string()),
            detail,
            ..Entry::new(action, outcome)
        },
    )
    .await
}

/// Starts a challenge. For `sms` and `email` the code goes out with a warning that support asks
/// for it only when the user contacted them.
#[tracing::instrument(name = "caller.challenge", skip_all, fields(agent = by.session.agent.id, account = account_id, method = method.as_str()))]
pub async fn challenge(
    db: &Db,
    keys: &Keys,
    by: &Acting<'_>,
    account_id: i64,
    method: CallerMethod,
) -> DomainResult<CallerChallenge> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    let mut tx = db.write().await?;
    let Some(account) = store::accounts::get(&mut tx, account_id).await? else {
        return Err(DomainError::NotFound("account"));
    };
    let destination = match method {
        CallerMethod::AuthenticatorApp => {
            store::accounts::authenticator_secret(&mut tx, account_id).await?.map(|_| String::new())
        }
        CallerMethod::Sms => account.phone.filter(|p| !p.trim().is_empty()),
        CallerMethod::Email => store::caller::code_address(&mut tx, account_id).await?,
    };
    let Some(destination) = destination else {
        let what = match method {
            CallerMethod::AuthenticatorApp => "no authenticator app",
            CallerMethod::Sms => "no phone number",
            CallerMethod::Email => "no verified address that receives mail",
        };
        // The request is well-formed; the account's state refuses it (409, like other state refusals).
        return Err(DomainError::conflict(
            ErrorCode::InvalidState,
            format!("this account has {what}; choose another method"),
        ));
    };
    let window = now_ms - now_ms.rem_euclid(HOUR_MS);
    if !store::caller::count_challenge(&mut tx, account_id, window, config.caller_challenges_per_hour).await? {
        let retry_after = ((window + HOUR_MS - now_ms + 999) / 1000).max(1) as u64;
        let detail = json!({ "method": method.as_str() });
        let actor = session.actor(by.client);
        audit_entry(&mut tx, now_ms, &actor, AuditAction::CallerChallenge, account_id, "refused_cap", detail).await?;
        store::commit(tx).await?;
        return Err(DomainError::Limited { code: ErrorCode::TooManyAttempts, retry_after });
    }
    let code = (method != CallerMethod::AuthenticatorApp).then(vault::new_numeric_code);
    let code_hash = code.as_deref().map(|c| vault::caller_code_hash(keys, c));
    let expires_ms = now_ms + config.caller_challenge_ttl_secs * 1000;
    let new = store::caller::NewChallenge {
        account_id,
        agent_id: session.agent.id,
        method,
        code_hash: code_hash.as_deref(),
        created_ms: now_ms,
        expires_ms,
    };
    let id = store::caller::insert_challenge(&mut tx, &new).await?;
    let minutes = config.caller_challenge_ttl_secs / 60;
    let username = &account.username;
    let message = match (&code, method) {
        (Some(code), CallerMethod::Sms) => Some((
            "sms",
            "SMS".to_string(),
            format!(
                "Recovery Desk: your code is {code}. Give it to a support agent ONLY if you contacted support yourself; \
                 we never call to ask for it. It works for {minutes} minutes."
            ),
        )),
        (Some(code), _) => Some((
            "caller_code",
            "Your code for the support agent".to_string(),
            format!(
                "Hello {username},\n\nA support agent asked to confirm that they are talking to you. Your code is:\n\n    {code}\n\n\
                 Read it to the agent ONLY if you contacted support yourself. Support staff ask for this code only \
                 when you contacted them; if someone called you and asked for it, do not give it and reply to this email.\n\
                 The code works for {minutes} minutes.\n"
            ),
        )),
        _ => None,
    };
    let mut email = None;
    if let Some((kind, subject, body)) = &message {
        let mail = outbox::Mail {
            account_id: Some(account_id),
            action_id: None,
            token_id: None,
            kind,
            to: &destination,
            subject,
            body,
        };
        let email_id = outbox::enqueue(&mut tx, now_ms, mail).await?;
        email = Some(EmailRef { id: email_id, status: EmailStatus::Queued });
    }
    let event = Event {
        account_id,
        kind: ActivityKind::CallerChallenged,
        summary: format!("{} asked the caller for a code ({})", session.agent.name, label(method)),
        actor_email: Some(&session.agent.email),
        email_id: email.as_ref().map(|e| e.id),
        token_id: None,
    };
    events::record(&mut tx, now_ms, event).await?;
    let detail = json!({ "challenge_id": id, "method": method.as_str(), "email_id": email.as_ref().map(|e| e.id) });
    let actor = session.actor(by.client);
    audit_entry(&mut tx, now_ms, &actor, AuditAction::CallerChallenge, account_id, "success", detail).await?;
    store::commit(tx).await?;
    Ok(CallerChallenge {
        id,
        method,
        expires_at: from_ms(expires_ms),
        attempts_left: config.caller_max_attempts,
        message: email,
    })
}

/// Checks what the caller read back. Each check spends an attempt first, in one statement, so
/// no number of parallel guesses gets more than `caller_max_attempts`.
#[tracing::instrument(name = "caller.check", skip_all, fields(agent = by.session.agent.id, account = account_id, challenge = challenge_id))]
pub async fn check(
    db: &Db,
    keys: &Keys,
    by: &Acting<'_>,
    account_id: i64,
    challenge_id: i64,
    code: &str,
) -> DomainResult<CallerVerified> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    if code.trim().is_empty() || code.chars().count() > 32 {
        return Err(DomainError::invalid("code", "type the code the caller reads out (6 digits)"));
    }
    let actor = session.actor(by.client);
    let mut tx = db.write().await?;
    let spent = store::caller::spend_attempt(
        &mut tx,
        challenge_id,
        account_id,
        session.agent.id,
        now_ms,
        config.caller_max_attempts,
    )
    .await?;
    let Some(spent) = spent else {
        let (outcome, error) = match store::caller::challenge_state(&mut tx, challenge_id, account_id).await? {
            None => return Err(DomainError::NotFound("caller verification")),
            Some(c) if c.agent_id != session.agent.id => return Err(DomainError::NotFound("caller verification")),
            Some(c) if c.verified_ms.is_some() => (
                "refused_used",
                DomainError::conflict(
                    ErrorCode::ChallengeExpired,
                    "this code was already used; start a new verification",
                ),
            ),
            Some(c) if c.expires_ms <= now_ms => (
                "refused_expired",
                DomainError::conflict(ErrorCode::ChallengeExpired, "this verification expired; start a new one"),
            ),
            Some(_) => ("refused_attempts", DomainError::TooManyAttempts { retry_after: 60 }),
        };
        let detail = json!({ "challenge_id": challenge_id });
        audit_entry(&mut tx, now_ms, &actor, AuditAction::CallerCheck, account_id, outcome, detail).await?;
        store::commit(tx).await?;
        return Err(error);
    };
    let method = spent.method;
    let right = match (method, spent.code_hash) {
        (CallerMethod::AuthenticatorApp, _) => {
            let secret = store::accounts::authenticator_secret(&mut tx, account_id).await?;
            let secret = secret.and_then(|s| vault::open_user_totp(keys, &s));
            match secret.and_then(|s| totp::matching_step(s.expose(), code, now_ms / 1000)) {
                // A step read back once cannot verify another challenge.
                Some(step) => store::caller::take_totp_step(&mut tx, account_id, step).await?,
                None => false,
            }
        }
        (_, Some(hash)) => crypto::constant_time_eq(vault::caller_code_hash(keys, code).as_bytes(), hash.as_bytes()),
        (_, None) => false,
    };
    if !right {
        let left = config.caller_max_attempts - spent.attempts;
        let event = Event {
            account_id,
            kind: ActivityKind::CallerVerificationFailed,
            summary: format!("The caller read back a wrong code ({})", label(method)),
            actor_email: Some(&session.agent.email),
            email_id: None,
            token_id: None,
        };
        events::record(&mut tx, now_ms, event).await?;
        let detail = json!({ "challenge_id": challenge_id, "attempts_left": left });
        audit_entry(&mut tx, now_ms, &actor, AuditAction::CallerCheck, account_id, "failure", detail).await?;
        store::commit(tx).await?;
        let message = if left > 0 {
            format!("the code is wrong; {left} attempts left")
        } else {
            "the code is wrong, and no attempts are left; start a new verification".into()
        };
        // 409: the code is well-formed; it does not match the challenge (the state it names).
        return Err(DomainError::conflict(ErrorCode::WrongCode, message));
    }
    store::caller::mark_verified(&mut tx, challenge_id, now_ms).await?;
    let event = Event {
        account_id,
        kind: ActivityKind::CallerVerified,
        summary: format!("{} verified the caller ({})", session.agent.name, label(method)),
        actor_email: Some(&session.agent.email),
        email_id: None,
        token_id: None,
    };
    events::record(&mut tx, now_ms, event).await?;
    let detail = json!({ "challenge_id": challenge_id, "method": method.as_str() });
    audit_entry(&mut tx, now_ms, &actor, AuditAction::CallerCheck, account_id, "success", detail).await?;
    store::commit(tx).await?;
    Ok(CallerVerified {
        method,
        verified_at: from_ms(now_ms),
        valid_until: from_ms(now_ms + config.caller_verified_for_secs * 1000),
        by: session.agent.name.clone(),
        by_id: session.agent.id,
    })
}

/// The newest verification on the account that still counts, by whichever agent.
pub async fn current(db: &Db, config: &Config, account_id: i64, now_ms: i64) -> DomainResult<Option<CallerVerified>> {
    let since = now_ms - config.caller_verified_for_secs * 1000;
    let row = store::caller::latest_verified(&mut *db.acquire().await?, account_id, since).await?;
    Ok(row.map(|r| CallerVerified {
        method: r.method,
        verified_at: from_ms(r.verified_ms),
        valid_until: from_ms(r.verified_ms + config.caller_verified_for_secs * 1000),
        by: r.name,
        by_id: r.agent_id,
    }))
}

/// Refuses `action` when the settings say it needs a recent verification of the caller by this
/// agent and there is none. The refusal is audited in the caller's transaction, which the caller
/// commits (the outer `Err` is a failure; the inner one the refusal to answer).
pub async fn require(
    conn: &mut Conn,
    by: &Acting<'_>,
    account_id: i64,
    action: AuditAction,
    setting: &str,
) -> DomainResult<Result<(), DomainError>> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    if !config.needs_caller_verification(setting) {
        return Ok(Ok(()));
    }
    let since = now_ms - config.caller_verified_for_secs * 1000;
    if store::caller::verified_by(conn, account_id, session.agent.id, since).await? {
        return Ok(Ok(()));
    }
    let actor = session.actor(by.client);
    audit_entry(conn, now_ms, &actor, action, account_id, "refused_caller_not_verified", json!({})).await?;
    let minutes = config.caller_verified_for_secs / 60;
    Ok(Err(DomainError::Denied {
        code: ErrorCode::CallerVerificationRequired,
        message: format!("verify the caller first (Verify caller); a verification counts for {minutes} minutes"),
    }))
}
