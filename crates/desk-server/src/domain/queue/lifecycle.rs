//! The request's life outside the agents' hands: the contact code, the user's reply, approval's
//! cooling-off with its "this wasn't me" link, and applying the change.

use desk_api::{ChangeKind, RequestState};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::transitions::{check, Act};
use super::{ctx_for, load, record_step, Row};
use crate::audit::{Actor, AuditAction, Entry};
use crate::crypto::{self, Code, Keys};
use crate::db::begin_write;
use crate::domain::outbox::{self, Mail};
use crate::error::{ApiError, ApiResult};
use crate::Config;

pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// How long the link that confirms a new address works.
pub const EMAIL_VERIFY_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

fn service() -> Actor {
    Actor::anonymous("service")
}

pub async fn tell_user(
    conn: &mut SqliteConnection,
    now_ms: i64,
    row: &Row,
    subject: &str,
    body: &str,
) -> sqlx::Result<()> {
    outbox::enqueue(
        conn,
        now_ms,
        Mail {
            account_id: row.account_id,
            action_id: None,
            token_id: None,
            kind: "request_status",
            to: &row.contact_email,
            subject,
            body,
        },
    )
    .await?;
    Ok(())
}

/// Approved: the change waits out the cooling-off period; every address on file may cancel it.
pub async fn approve(conn: &mut SqliteConnection, config: &Config, now_ms: i64, row: &Row) -> sqlx::Result<()> {
    let apply_at = now_ms + config.cooling_off_secs(row.risk()) * 1000;
    let token = crypto::random_token();
    sqlx::query(
        "UPDATE security_requests SET state = 'approved', apply_at_ms = $1, cancel_token_hash = $2, assignee_id = NULL, \
         lease_expires_ms = NULL, updated_ms = $3 WHERE id = $4",
    )
    .bind(apply_at)
    .bind(crypto::token_hash(&token))
    .bind(now_ms)
    .bind(row.id)
    .execute(&mut *conn)
    .await?;
    let when = crate::clock::from_ms(apply_at).format("%Y-%m-%d %H:%M UTC");
    let link = format!("{}/security-details/cancel/{token}", config.public_url());
    if let Some(account) = row.account_id {
        let addresses: Vec<String> =
            sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 ORDER BY id")
                .bind(account)
                .fetch_all(&mut *conn)
                .await?;
        let body = format!(
            "A request ({}) to change the security details of your account was approved. It takes effect at {when}.\n\n\
             If this wasn't you, cancel it now:\n\n{link}\n",
            row.reference
        );
        for to in addresses {
            outbox::enqueue(
                &mut *conn,
                now_ms,
                Mail {
                    account_id: Some(account),
                    action_id: None,
                    token_id: None,
                    kind: "change_pending",
                    to: &to,
                    subject: "A change to your account is pending",
                    body: &body,
                },
            )
            .await?;
        }
    }
    tell_user(
        conn,
        now_ms,
        row,
        "Your request was approved",
        &format!("Request {} was approved. The change takes effect at {when}.", row.reference),
    )
    .await
}

pub async fn ask_for_info(
    conn: &mut SqliteConnection,
    config: &Config,
    now_ms: i64,
    row: &Row,
    question: &str,
) -> sqlx::Result<()> {
    let token = crypto::random_token();
    sqlx::query("UPDATE security_requests SET reply_token_hash = $1 WHERE id = $2")
        .bind(crypto::token_hash(&token))
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    let link = format!("{}/security-details/reply/{token}", config.public_url());
    tell_user(
        conn,
        now_ms,
        row,
        "We need more information",
        &format!("About request {}:\n\n{question}\n\nAnswer here:\n\n{link}\n", row.reference),
    )
    .await
}

/// The user typed the code mailed to their contact address: the request joins the queue. The
/// try is taken from the request's allowance first, by a conditional update, so concurrent
/// guesses never get more than `MAX_CODE_ATTEMPTS`.
pub async fn confirm_contact(
    db: &SqlitePool,
    keys: &Keys,
    now_ms: i64,
    reference: &str,
    code: &str,
) -> ApiResult<bool> {
    let mut tx = begin_write(db).await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM security_requests WHERE reference = $1")
        .bind(reference)
        .fetch_optional(&mut *tx)
        .await?;
    let id = id.ok_or(ApiError::NotFound("request"))?;
    let row = load(&mut tx, id).await?;
    let to = check(row.state(), Act::Confirm, ctx_for(&row, None, now_ms))?;
    let hash: Option<Option<String>> = sqlx::query_scalar(
        "UPDATE security_requests SET contact_attempts = contact_attempts + 1 WHERE id = $1 AND contact_attempts < $2 \
         RETURNING contact_code_hash",
    )
    .bind(id)
    .bind(MAX_CODE_ATTEMPTS)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(hash) = hash else { return Ok(false) };
    let typed = keys.code_hash(Code::Contact, code.trim());
    let ok = hash.is_some_and(|h| crypto::constant_time_eq(h.as_bytes(), typed.as_bytes()));
    if !ok {
        tx.commit().await?;
        return Ok(false);
    }
    sqlx::query("UPDATE security_requests SET state = $1, contact_code_hash = NULL, updated_ms = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    record_step(&mut tx, now_ms, &service(), &row, Act::Confirm, to, None, json!({})).await?;
    tell_user(
        &mut tx,
        now_ms,
        &row,
        "We received your request",
        &format!("Your request {} is in our queue. We will write to this address as it moves.", row.reference),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn by_token(conn: &mut SqliteConnection, column: &str, token: &str) -> ApiResult<Row> {
    let id: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM security_requests WHERE {column} = $1"))
        .bind(crypto::token_hash(token))
        .fetch_optional(&mut *conn)
        .await?;
    load(conn, id.ok_or(ApiError::NotFound("link"))?).await
}

/// The user answered "need more information": the request returns to the queue.
pub async fn user_reply(db: &SqlitePool, now_ms: i64, token: &str, text: &str) -> ApiResult<String> {
    let mut tx = begin_write(db).await?;
    let row = by_token(&mut tx, "reply_token_hash", token).await?;
    let to = check(row.state(), Act::UserReply, ctx_for(&row, None, now_ms))?;
    sqlx::query("INSERT INTO request_notes (request_id, author, at_ms, text) VALUES ($1, 'the user', $2, $3)")
        .bind(row.id)
        .bind(now_ms)
        .bind(text)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE security_requests SET state = $1, reply_token_hash = NULL, updated_ms = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now_ms)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    record_step(&mut tx, now_ms, &service(), &row, Act::UserReply, to, None, json!({})).await?;
    tx.commit().await?;
    Ok(row.reference)
}

/// "This wasn't me": cancels an approved change that has not applied yet.
pub async fn cancel(db: &SqlitePool, now_ms: i64, token: &str, client: &str) -> ApiResult<String> {
    let mut tx = begin_write(db).await?;
    let row = by_token(&mut tx, "cancel_token_hash", token).await?;
    let to = check(row.state(), Act::Cancel, ctx_for(&row, None, now_ms))?;
    sqlx::query("UPDATE security_requests SET state = $1, cancel_token_hash = NULL, updated_ms = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now_ms)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    record_step(
        &mut tx,
        now_ms,
        &Actor::anonymous(client),
        &row,
        Act::Cancel,
        to,
        Some("cancelled through the \"this wasn't me\" link"),
        json!({}),
    )
    .await?;
    tell_user(
        &mut tx,
        now_ms,
        &row,
        "Your request was cancelled",
        &format!("Request {} was cancelled from one of the account's addresses. Nothing was changed.", row.reference),
    )
    .await?;
    tx.commit().await?;
    Ok(row.reference)
}

pub async fn peek_cancel(db: &SqlitePool, token: &str) -> ApiResult<(String, RequestState)> {
    let mut conn = db.acquire().await?;
    let row = by_token(&mut conn, "cancel_token_hash", token).await?;
    Ok((row.reference.clone(), row.state()))
}

/// Applies every approved change whose cooling-off has passed. Answers how many applied.
pub async fn apply_due(db: &SqlitePool, config: &Config, now_ms: i64) -> anyhow::Result<usize> {
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM security_requests WHERE state = 'approved' AND apply_at_ms <= $1 ORDER BY apply_at_ms",
    )
    .bind(now_ms)
    .fetch_all(db)
    .await?;
    let mut applied = 0;
    for id in due {
        let mut tx = begin_write(db).await?;
        let row = load(&mut tx, id).await?;
        let Ok(to) = check(row.state(), Act::Apply, ctx_for(&row, None, now_ms)) else { continue };
        if row.apply_at_ms.is_some_and(|t| t > now_ms) {
            continue;
        }
        let Some(account) = row.account_id else { continue };
        let new_value = row.new_value.clone().unwrap_or_default();
        // Addresses to tell: every one on file before the change, and the new one.
        let mut tell: Vec<String> =
            sqlx::query_scalar("SELECT email FROM account_emails WHERE account_id = $1 ORDER BY id")
                .bind(account)
                .fetch_all(&mut *tx)
                .await?;
        match row.change() {
            ChangeKind::Email => {
                // The new address joins unverified and not primary: it becomes both only when the
                // link mailed to it is used, so a mistyped or borrowed address never takes over.
                let token = crypto::random_token();
                sqlx::query(
                    "INSERT INTO account_emails (account_id, email, email_norm, email_canon, is_primary, verified, bounced, \
                     verify_token_hash, verify_expires_ms) VALUES ($1, $2, $3, $4, 0, 0, 0, $5, $6)",
                )
                .bind(account)
                .bind(&new_value)
                .bind(new_value.to_lowercase())
                .bind(desk_api::canonical_email(&new_value))
                .bind(crypto::token_hash(&token))
                .bind(now_ms + EMAIL_VERIFY_TTL_MS)
                .execute(&mut *tx)
                .await?;
                let link = format!("{}/security-details/verify-email/{token}", config.public_url());
                outbox::enqueue(
                    &mut tx,
                    now_ms,
                    Mail {
                        account_id: Some(account),
                        action_id: None,
                        token_id: None,
                        kind: "verify_email",
                        to: &new_value,
                        subject: "Confirm your new email address",
                        body: &format!(
                            "This address was added to your account (request {}). Confirm it within 7 days to make it \
                             the account's main address:\n\n{link}\n\nIf you did not ask for this, ignore this email.\n",
                            row.reference
                        ),
                    },
                )
                .await?;
                tell.push(new_value.clone());
            }
            ChangeKind::Phone => {
                sqlx::query("UPDATE accounts SET phone = $1, phone_digits = $2 WHERE id = $3")
                    .bind(&new_value)
                    .bind(desk_api::phone_digits(&new_value))
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
            }
            ChangeKind::RemoveTwoFactor => {
                sqlx::query("DELETE FROM two_factor_methods WHERE account_id = $1")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM backup_codes WHERE account_id = $1").bind(account).execute(&mut *tx).await?;
            }
            ChangeKind::ResetSecurityQuestion => {
                sqlx::query("UPDATE accounts SET security_question = NULL, security_answer_hash = NULL WHERE id = $1")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let ended =
            sqlx::query("UPDATE user_sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL")
                .bind(now_ms)
                .bind(account)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query("UPDATE security_requests SET state = $1, updated_ms = $2 WHERE id = $3")
            .bind(to.as_str())
            .bind(now_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let what = match row.change() {
            ChangeKind::Email => "Your account's email address was changed",
            ChangeKind::Phone => "Your account's phone number was changed",
            ChangeKind::RemoveTwoFactor => "Two-step verification was removed from your account",
            ChangeKind::ResetSecurityQuestion => {
                "Your security question was cleared; set a new one when you next sign in"
            }
        };
        let body = format!("{what} (request {}), and you were signed out everywhere.\n\nIf this wasn't you, contact support at once.\n", row.reference);
        tell.sort();
        tell.dedup();
        for to_addr in &tell {
            outbox::enqueue(
                &mut tx,
                now_ms,
                Mail {
                    account_id: Some(account),
                    action_id: None,
                    token_id: None,
                    kind: "notice",
                    to: to_addr,
                    subject: "Your security details were changed",
                    body: &body,
                },
            )
            .await?;
        }
        record_step(
            &mut tx,
            now_ms,
            &service(),
            &row,
            Act::Apply,
            to,
            None,
            json!({ "sessions_ended": ended, "change": row.change_kind }),
        )
        .await?;
        if !tell.contains(&row.contact_email) {
            tell_user(
                &mut tx,
                now_ms,
                &row,
                "Your request was carried out",
                &format!("Request {} is done: {}.", row.reference, what.to_lowercase()),
            )
            .await?;
        }
        let action = match row.change() {
            ChangeKind::Email => AuditAction::EmailChanged,
            ChangeKind::Phone => AuditAction::PhoneChanged,
            ChangeKind::RemoveTwoFactor => AuditAction::TwoFactorRemoved,
            ChangeKind::ResetSecurityQuestion => AuditAction::AnswerChanged,
        };
        crate::audit::record(
            &mut tx,
            now_ms,
            &service(),
            Entry {
                target_type: Some("account"),
                target_id: Some(account.to_string()),
                detail: json!({ "request": row.reference }),
                ..Entry::new(action, "success")
            },
        )
        .await?;
        tx.commit().await?;
        applied += 1;
    }
    Ok(applied)
}

/// The new address of an applied email change was confirmed through its link: it becomes
/// verified and the account's main address. Answers the account, or `None` for a link that is
/// unknown, used or expired. One conditional update decides, so the link works once.
pub async fn verify_email(db: &SqlitePool, now_ms: i64, token: &str, client: &str) -> ApiResult<Option<i64>> {
    let mut tx = begin_write(db).await?;
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE account_emails SET verified = 1, verify_token_hash = NULL, verify_expires_ms = NULL \
         WHERE verify_token_hash = $1 AND verify_expires_ms > $2 RETURNING id, account_id",
    )
    .bind(crypto::token_hash(token))
    .bind(now_ms)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email_id, account)) = row else { return Ok(None) };
    sqlx::query("UPDATE account_emails SET is_primary = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE account_id = $2")
        .bind(email_id)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    crate::audit::record(
        &mut tx,
        now_ms,
        &Actor::anonymous(client),
        Entry {
            target_type: Some("account"),
            target_id: Some(account.to_string()),
            detail: json!({ "email_id": email_id }),
            ..Entry::new(AuditAction::EmailVerified, "success")
        },
    )
    .await?;
    outbox::notify_all(
        &mut tx,
        now_ms,
        account,
        "Your new email address is confirmed",
        "The new address on your account was confirmed and is now its main address.\n\n\
         If this wasn't you, contact support at once.\n",
    )
    .await?;
    tx.commit().await?;
    Ok(Some(account))
}

/// Deletes the evidence of requests whose contact address was never confirmed once they are
/// older than `unconfirmed_retention_secs`: nobody will look at it, and it is personal data.
/// Answers how many files went.
pub async fn purge_unconfirmed_evidence(db: &SqlitePool, config: &Config, now_ms: i64) -> anyhow::Result<usize> {
    let stale: Vec<(i64, String)> = sqlx::query_as(
        "SELECT f.id, f.stored_name FROM evidence_files f JOIN security_requests r ON r.id = f.request_id \
         WHERE r.state = 'unconfirmed' AND r.submitted_ms <= $1 LIMIT 500",
    )
    .bind(now_ms - config.unconfirmed_retention_secs * 1000)
    .fetch_all(db)
    .await?;
    let dir = config.evidence_dir();
    for (id, stored) in &stale {
        match tokio::fs::remove_file(dir.join(stored)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        sqlx::query("DELETE FROM evidence_files WHERE id = $1").bind(id).execute(db).await?;
    }
    Ok(stale.len())
}

/// The service's periodic work: due changes, stale evidence, summaries of refusals, old counters.
pub async fn housekeeping(state: &crate::AppState) -> anyhow::Result<()> {
    let now = state.clock.now_ms();
    apply_due(&state.db, &state.config, now).await?;
    purge_unconfirmed_evidence(&state.db, &state.config, now).await?;
    crate::audit::rollups::flush(&state.db, now).await?;
    let mut tx = begin_write(&state.db).await?;
    crate::domain::rate::prune(&mut tx, now - 2 * 24 * 3600 * 1000).await?;
    tx.commit().await?;
    Ok(())
}

pub fn spawn_applier(state: crate::AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(state.config.queue_tick_ms));
        loop {
            tick.tick().await;
            if let Err(e) = housekeeping(&state).await {
                tracing::error!(error = %e, "periodic work failed (applying changes, purging, summarising); will retry");
            }
        }
    })
}
