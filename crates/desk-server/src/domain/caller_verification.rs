//! Verify the caller before acting: the service challenges a factor of the user's own (their
//! authenticator app's current code, or a one-time code sent to their phone or a verified
//! address), and the agent types what the caller reads back. The agent never sees the code or
//! where it went. Attempts are capped by one conditional UPDATE; a passed verification counts
//! for `caller_verified_for_secs` for the actions the settings list.

use desk_api::{
    ActivityKind, AuditAction, CallerChallenge, CallerMethod, CallerVerified, EmailRef, EmailStatus, ErrorCode,
};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::events::{self, Event};
use super::sessions::Session;
use super::{outbox, vault};
use crate::audit::{self, Entry};
use crate::clock::from_ms;
use crate::crypto::Keys;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
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
    conn: &mut SqliteConnection,
    now_ms: i64,
    actor: &crate::audit::Actor,
    action: AuditAction,
    account_id: i64,
    outcome: &str,
    detail: serde_json::Value,
) -> sqlx::Result<i64> {
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
#[allow(clippy::too_many_arguments)] // the storage layer (issue 11) brings a context struct
pub async fn challenge(
    db: &SqlitePool,
    keys: &Keys,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    account_id: i64,
    method: CallerMethod,
) -> ApiResult<CallerChallenge> {
    let mut tx = begin_write(db).await?;
    let found: Option<(String, Option<String>)> = sqlx::query_as("SELECT username, phone FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((username, phone)) = found else { return Err(ApiError::NotFound("account")) };
    let destination = match method {
        CallerMethod::AuthenticatorApp => {
            let has: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM two_factor_methods WHERE account_id = $1 AND kind = 'authenticator_app' AND secret IS NOT NULL LIMIT 1",
            )
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            has.map(|_| String::new())
        }
        CallerMethod::Sms => phone.filter(|p| !p.trim().is_empty()),
        CallerMethod::Email => {
            sqlx::query_scalar(
                "SELECT email FROM account_emails WHERE account_id = $1 AND verified = 1 AND bounced = 0 \
                 ORDER BY is_primary DESC, id LIMIT 1",
            )
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?
        }
    };
    let Some(destination) = destination else {
        let what = match method {
            CallerMethod::AuthenticatorApp => "no authenticator app",
            CallerMethod::Sms => "no phone number",
            CallerMethod::Email => "no verified address that receives mail",
        };
        // The request is well-formed; the account's state refuses it (409, like other state refusals).
        return Err(ApiError::Conflict {
            code: ErrorCode::InvalidState,
            message: format!("this account has {what}; choose another method"),
        });
    };
    let window = now_ms - now_ms.rem_euclid(HOUR_MS);
    let counted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO caller_challenge_counts (account_id, window_start, n) VALUES ($1, $2, 1) \
         ON CONFLICT (account_id, window_start) DO UPDATE SET n = caller_challenge_counts.n + 1 \
         WHERE caller_challenge_counts.n < $3 RETURNING n",
    )
    .bind(account_id)
    .bind(window)
    .bind(config.caller_challenges_per_hour)
    .fetch_optional(&mut *tx)
    .await?;
    if counted.is_none() {
        let retry_after = ((window + HOUR_MS - now_ms + 999) / 1000).max(1) as u64;
        audit_entry(
            &mut tx,
            now_ms,
            &session.actor(client),
            AuditAction::CallerChallenge,
            account_id,
            "refused_cap",
            json!({ "method": method.as_str() }),
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::Limited { code: ErrorCode::TooManyAttempts, retry_after });
    }
    let code = (method != CallerMethod::AuthenticatorApp).then(vault::new_numeric_code);
    let expires_ms = now_ms + config.caller_challenge_ttl_secs * 1000;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO caller_challenges (account_id, agent_id, method, code_hash, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(session.agent.id)
    .bind(method.as_str())
    .bind(code.as_deref().map(|c| vault::caller_code_hash(keys, c)))
    .bind(now_ms)
    .bind(expires_ms)
    .fetch_one(&mut *tx)
    .await?;
    let minutes = config.caller_challenge_ttl_secs / 60;
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
        let email_id = outbox::enqueue(
            &mut tx,
            now_ms,
            outbox::Mail {
                account_id: Some(account_id),
                action_id: None,
                token_id: None,
                kind,
                to: &destination,
                subject,
                body,
            },
        )
        .await?;
        email = Some(EmailRef { id: email_id, status: EmailStatus::Queued });
    }
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id,
            kind: ActivityKind::CallerChallenged,
            summary: format!("{} asked the caller for a code ({})", session.agent.name, label(method)),
            actor_email: Some(&session.agent.email),
            email_id: email.as_ref().map(|e| e.id),
            token_id: None,
        },
    )
    .await?;
    audit_entry(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::CallerChallenge,
        account_id,
        "success",
        json!({ "challenge_id": id, "method": method.as_str(), "email_id": email.as_ref().map(|e| e.id) }),
    )
    .await?;
    tx.commit().await?;
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
#[allow(clippy::too_many_arguments)] // the storage layer (issue 11) brings a context struct
pub async fn check(
    db: &SqlitePool,
    keys: &Keys,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    account_id: i64,
    challenge_id: i64,
    code: &str,
) -> ApiResult<CallerVerified> {
    if code.trim().is_empty() || code.chars().count() > 32 {
        return Err(ApiError::invalid("code", "type the code the caller reads out (6 digits)"));
    }
    let mut tx = begin_write(db).await?;
    let spent: Option<(String, Option<String>, i64)> = sqlx::query_as(
        "UPDATE caller_challenges SET attempts = attempts + 1 \
         WHERE id = $1 AND account_id = $2 AND agent_id = $3 AND verified_ms IS NULL AND expires_ms > $4 AND attempts < $5 \
         RETURNING method, code_hash, attempts",
    )
    .bind(challenge_id)
    .bind(account_id)
    .bind(session.agent.id)
    .bind(now_ms)
    .bind(config.caller_max_attempts)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((method, code_hash, attempts)) = spent else {
        let row: Option<(i64, Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT expires_ms, verified_ms, attempts, agent_id FROM caller_challenges WHERE id = $1 AND account_id = $2",
        )
        .bind(challenge_id)
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (outcome, error) = match row {
            None => return Err(ApiError::NotFound("caller verification")),
            Some((_, _, _, agent)) if agent != session.agent.id => {
                return Err(ApiError::NotFound("caller verification"))
            }
            Some((_, Some(_), _, _)) => (
                "refused_used",
                ApiError::Conflict {
                    code: ErrorCode::ChallengeExpired,
                    message: "this code was already used; start a new verification".into(),
                },
            ),
            Some((exp, None, _, _)) if exp <= now_ms => (
                "refused_expired",
                ApiError::Conflict {
                    code: ErrorCode::ChallengeExpired,
                    message: "this verification expired; start a new one".into(),
                },
            ),
            Some(_) => ("refused_attempts", ApiError::TooManyAttempts { retry_after: 60 }),
        };
        audit_entry(
            &mut tx,
            now_ms,
            &session.actor(client),
            AuditAction::CallerCheck,
            account_id,
            outcome,
            json!({ "challenge_id": challenge_id }),
        )
        .await?;
        tx.commit().await?;
        return Err(error);
    };
    let method = CallerMethod::parse(&method).unwrap_or(CallerMethod::Email);
    let right = match (method, code_hash) {
        (CallerMethod::AuthenticatorApp, _) => {
            let secret: Option<String> = sqlx::query_scalar(
                "SELECT secret FROM two_factor_methods WHERE account_id = $1 AND kind = 'authenticator_app' AND secret IS NOT NULL LIMIT 1",
            )
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
            let secret = secret.and_then(|s| vault::open_user_totp(keys, &s));
            match secret.and_then(|s| totp::matching_step(s.expose(), code, now_ms / 1000)) {
                // A step read back once cannot verify another challenge.
                Some(step) => {
                    sqlx::query(
                        "INSERT INTO caller_totp_steps (account_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(account_id)
                    .bind(step)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1
                }
                None => false,
            }
        }
        (_, Some(hash)) => crypto::constant_time_eq(vault::caller_code_hash(keys, code).as_bytes(), hash.as_bytes()),
        (_, None) => false,
    };
    if !right {
        let left = config.caller_max_attempts - attempts;
        events::record(
            &mut tx,
            now_ms,
            Event {
                account_id,
                kind: ActivityKind::CallerVerificationFailed,
                summary: format!("The caller read back a wrong code ({})", label(method)),
                actor_email: Some(&session.agent.email),
                email_id: None,
                token_id: None,
            },
        )
        .await?;
        audit_entry(
            &mut tx,
            now_ms,
            &session.actor(client),
            AuditAction::CallerCheck,
            account_id,
            "failure",
            json!({ "challenge_id": challenge_id, "attempts_left": left }),
        )
        .await?;
        tx.commit().await?;
        let message = if left > 0 {
            format!("the code is wrong; {left} attempts left")
        } else {
            "the code is wrong, and no attempts are left; start a new verification".into()
        };
        // 409: the code is well-formed; it does not match the challenge (the state it names).
        return Err(ApiError::Conflict { code: ErrorCode::WrongCode, message });
    }
    sqlx::query("UPDATE caller_challenges SET verified_ms = $1 WHERE id = $2 AND verified_ms IS NULL")
        .bind(now_ms)
        .bind(challenge_id)
        .execute(&mut *tx)
        .await?;
    events::record(
        &mut tx,
        now_ms,
        Event {
            account_id,
            kind: ActivityKind::CallerVerified,
            summary: format!("{} verified the caller ({})", session.agent.name, label(method)),
            actor_email: Some(&session.agent.email),
            email_id: None,
            token_id: None,
        },
    )
    .await?;
    audit_entry(
        &mut tx,
        now_ms,
        &session.actor(client),
        AuditAction::CallerCheck,
        account_id,
        "success",
        json!({ "challenge_id": challenge_id, "method": method.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(CallerVerified {
        method,
        verified_at: from_ms(now_ms),
        valid_until: from_ms(now_ms + config.caller_verified_for_secs * 1000),
        by: session.agent.name.clone(),
        by_id: session.agent.id,
    })
}

/// The newest verification on the account that still counts, by whichever agent.
pub async fn current(
    db: &SqlitePool,
    config: &Config,
    account_id: i64,
    now_ms: i64,
) -> sqlx::Result<Option<CallerVerified>> {
    let row: Option<(String, i64, String, i64)> = sqlx::query_as(
        "SELECT c.method, c.verified_ms, a.name, a.id FROM caller_challenges c JOIN agents a ON a.id = c.agent_id \
         WHERE c.account_id = $1 AND c.verified_ms > $2 ORDER BY c.verified_ms DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(now_ms - config.caller_verified_for_secs * 1000)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(method, at, by, by_id)| CallerVerified {
        method: CallerMethod::parse(&method).unwrap_or(CallerMethod::Email),
        verified_at: from_ms(at),
        valid_until: from_ms(at + config.caller_verified_for_secs * 1000),
        by,
        by_id,
    }))
}

/// Refuses `action` when the settings say it needs a recent verification of the caller by this
/// agent and there is none. The refusal is audited in the caller's transaction.
#[allow(clippy::too_many_arguments)] // the storage layer (issue 11) brings a context struct
pub async fn require(
    conn: &mut SqliteConnection,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    account_id: i64,
    action: AuditAction,
    setting: &str,
) -> ApiResult<Result<(), ApiError>> {
    if !config.needs_caller_verification(setting) {
        return Ok(Ok(()));
    }
    let recent: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM caller_challenges WHERE account_id = $1 AND agent_id = $2 AND verified_ms > $3 LIMIT 1",
    )
    .bind(account_id)
    .bind(session.agent.id)
    .bind(now_ms - config.caller_verified_for_secs * 1000)
    .fetch_optional(&mut *conn)
    .await?;
    if recent.is_some() {
        return Ok(Ok(()));
    }
    audit_entry(conn, now_ms, &session.actor(client), action, account_id, "refused_caller_not_verified", json!({}))
        .await?;
    let minutes = config.caller_verified_for_secs / 60;
    Ok(Err(ApiError::Denied {
        code: ErrorCode::CallerVerificationRequired,
        message: format!("verify the caller first (Verify caller); a verification counts for {minutes} minutes"),
    }))
}
