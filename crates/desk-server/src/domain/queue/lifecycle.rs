//! The request's life outside the agents' hands: the contact code, the user's reply, approval's
//! cooling-off with its "this wasn't me" link, and applying the change.

use desk_api::{ChangeKind, RequestState};
use serde_json::json;

use super::transitions::{check, Act};
use super::{ctx_for, load, record_step, Move, Row};
use crate::audit::{Actor, AuditAction, Entry};
use crate::crypto::{self, Code, Keys};
use crate::domain::outbox::{self, Mail};
use crate::domain::{DomainError, DomainResult};
use crate::store::requests::{RequestLink, Through};
use crate::store::{self, Conn, Db, StoreResult};
use crate::Config;

pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// How long the link that confirms a new address works.
pub const EMAIL_VERIFY_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

fn service() -> Actor {
    Actor::anonymous("service")
}

pub async fn tell_user(conn: &mut Conn, now_ms: i64, row: &Row, subject: &str, body: &str) -> StoreResult<()> {
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
pub async fn approve(conn: &mut Conn, config: &Config, now_ms: i64, row: &Row) -> StoreResult<()> {
    let apply_at = now_ms + config.cooling_off_secs(row.risk) * 1000;
    let token = crypto::random_token();
    store::requests::approve(conn, row.id, apply_at, &crypto::token_hash(&token), now_ms).await?;
    let when = crate::clock::from_ms(apply_at).format("%Y-%m-%d %H:%M UTC");
    let link = format!("{}/security-details/cancel/{token}", config.public_url());
    if let Some(account) = row.account_id {
        let addresses = store::accounts::addresses(conn, account).await?;
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

pub async fn ask_for_info(conn: &mut Conn, config: &Config, now_ms: i64, row: &Row, question: &str) -> StoreResult<()> {
    let token = crypto::random_token();
    store::requests::set_reply_link(conn, row.id, &crypto::token_hash(&token)).await?;
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
#[tracing::instrument(name = "queue.confirm_contact", skip_all)]
pub async fn confirm_contact(db: &Db, keys: &Keys, now_ms: i64, reference: &str, code: &str) -> DomainResult<bool> {
    let mut tx = db.write().await?;
    let id = store::requests::id_by_reference(&mut tx, reference).await?.ok_or(DomainError::NotFound("request"))?;
    let row = load(&mut tx, id).await?;
    let to = check(row.state, Act::Confirm, ctx_for(&row, None, now_ms))?;
    let Some(hash) = store::requests::take_contact_try(&mut tx, id, MAX_CODE_ATTEMPTS).await? else {
        return Ok(false);
    };
    let typed = keys.code_hash(Code::Contact, code.trim());
    let ok = hash.is_some_and(|h| crypto::constant_time_eq(h.as_bytes(), typed.as_bytes()));
    if !ok {
        store::commit(tx).await?;
        return Ok(false);
    }
    store::requests::move_through(&mut tx, id, Through::ContactCode, to, now_ms).await?;
    tell_user(
        &mut tx,
        now_ms,
        &row,
        "We received your request",
        &format!("Your request {} is in our queue. We will write to this address as it moves.", row.reference),
    )
    .await?;
    record_step(&mut tx, now_ms, &service(), &row, Move { act: Act::Confirm, to, note: None, detail: json!({}) })
        .await?;
    store::commit(tx).await?;
    Ok(true)
}

async fn by_link(conn: &mut Conn, link: RequestLink, token: &str) -> DomainResult<Row> {
    let id = store::requests::id_by_link(conn, link, &crypto::token_hash(token)).await?;
    load(conn, id.ok_or(DomainError::NotFound("link"))?).await
}

/// The user answered "need more information": the request returns to the queue.
#[tracing::instrument(name = "queue.user_reply", skip_all)]
pub async fn user_reply(db: &Db, now_ms: i64, token: &str, text: &str) -> DomainResult<String> {
    let mut tx = db.write().await?;
    let row = by_link(&mut tx, RequestLink::Reply, token).await?;
    let to = check(row.state, Act::UserReply, ctx_for(&row, None, now_ms))?;
    store::requests::insert_note(&mut tx, row.id, "the user", now_ms, text).await?;
    store::requests::move_through(&mut tx, row.id, Through::ReplyLink, to, now_ms).await?;
    record_step(&mut tx, now_ms, &service(), &row, Move { act: Act::UserReply, to, note: None, detail: json!({}) })
        .await?;
    store::commit(tx).await?;
    Ok(row.reference)
}

/// "This wasn't me": cancels an approved change that has not applied yet.
#[tracing::instrument(name = "queue.cancel", skip_all)]
pub async fn cancel(db: &Db, now_ms: i64, token: &str, client: &str) -> DomainResult<String> {
    let mut tx = db.write().await?;
    let row = by_link(&mut tx, RequestLink::Cancel, token).await?;
    let to = check(row.state, Act::Cancel, ctx_for(&row, None, now_ms))?;
    store::requests::move_through(&mut tx, row.id, Through::CancelLink, to, now_ms).await?;
    tell_user(
        &mut tx,
        now_ms,
        &row,
        "Your request was cancelled",
        &format!("Request {} was cancelled from one of the account's addresses. Nothing was changed.", row.reference),
    )
    .await?;
    let step =
        Move { act: Act::Cancel, to, note: Some("cancelled through the \"this wasn't me\" link"), detail: json!({}) };
    record_step(&mut tx, now_ms, &Actor::anonymous(client), &row, step).await?;
    store::commit(tx).await?;
    Ok(row.reference)
}

pub async fn peek_cancel(db: &Db, token: &str) -> DomainResult<(String, RequestState)> {
    let mut conn = db.acquire().await?;
    let id = store::requests::id_by_link(&mut conn, RequestLink::Cancel, &crypto::token_hash(token)).await?;
    let row = store::requests::get(&mut conn, id.ok_or(DomainError::NotFound("link"))?)
        .await?
        .ok_or(DomainError::NotFound("link"))?;
    Ok((row.reference, row.state))
}

/// Applies every approved change whose cooling-off has passed. Answers how many applied. Each
/// request is locked before it is checked again, so instances applying together apply it once.
#[tracing::instrument(name = "queue.apply_due", skip_all)]
pub async fn apply_due(db: &Db, config: &Config, now_ms: i64) -> DomainResult<usize> {
    let due = store::requests::due_to_apply(&mut *db.acquire().await?, now_ms).await?;
    let mut applied = 0;
    for id in due {
        let mut tx = db.write().await?;
        let row = load(&mut tx, id).await?;
        let Ok(to) = check(row.state, Act::Apply, ctx_for(&row, None, now_ms)) else { continue };
        if row.apply_at_ms.is_some_and(|t| t > now_ms) {
            continue;
        }
        let Some(account) = row.account_id else { continue };
        apply(&mut tx, config, now_ms, &row, account, to).await?;
        store::commit(tx).await?;
        applied += 1;
    }
    Ok(applied)
}

async fn apply(
    conn: &mut Conn,
    config: &Config,
    now_ms: i64,
    row: &Row,
    account: i64,
    to: RequestState,
) -> DomainResult<()> {
    let new_value = row.new_value.clone().unwrap_or_default();
    // Addresses to tell: every one on file before the change, and the new one.
    let mut tell = store::accounts::addresses(conn, account).await?;
    match row.change_kind {
        ChangeKind::Email => {
            // The new address joins unverified and not primary: it becomes both only when the
            // link mailed to it is used, so a mistyped or borrowed address never takes over.
            let token = crypto::random_token();
            let hash = crypto::token_hash(&token);
            let norm = new_value.to_lowercase();
            let canon = desk_api::canonical_email(&new_value);
            let email = store::accounts::NewEmail {
                account_id: account,
                email: &new_value,
                email_norm: &norm,
                email_canon: &canon,
                verify_token_hash: &hash,
                verify_expires_ms: now_ms + EMAIL_VERIFY_TTL_MS,
            };
            store::accounts::add_unverified_email(conn, &email).await?;
            let link = format!("{}/security-details/verify-email/{token}", config.public_url());
            let body = format!(
                "This address was added to your account (request {}). Confirm it within 7 days to make it \
                 the account's main address:\n\n{link}\n\nIf you did not ask for this, ignore this email.\n",
                row.reference
            );
            let mail = Mail {
                account_id: Some(account),
                action_id: None,
                token_id: None,
                kind: "verify_email",
                to: &new_value,
                subject: "Confirm your new email address",
                body: &body,
            };
            outbox::enqueue(conn, now_ms, mail).await?;
            tell.push(new_value.clone());
        }
        ChangeKind::Phone => {
            store::accounts::set_phone(conn, account, &new_value, &desk_api::phone_digits(&new_value)).await?;
        }
        ChangeKind::RemoveTwoFactor => store::accounts::remove_two_factor(conn, account).await?,
        ChangeKind::ResetSecurityQuestion => store::accounts::set_security_answer(conn, account, None, None).await?,
    }
    let ended = store::accounts::end_sessions(conn, account, now_ms).await?;
    store::requests::move_through(conn, row.id, Through::Nothing, to, now_ms).await?;
    let what = match row.change_kind {
        ChangeKind::Email => "Your account's email address was changed",
        ChangeKind::Phone => "Your account's phone number was changed",
        ChangeKind::RemoveTwoFactor => "Two-step verification was removed from your account",
        ChangeKind::ResetSecurityQuestion => "Your security question was cleared; set a new one when you next sign in",
    };
    let body = format!(
        "{what} (request {}), and you were signed out everywhere.\n\nIf this wasn't you, contact support at once.\n",
        row.reference
    );
    tell.sort();
    tell.dedup();
    for to_addr in &tell {
        let mail = Mail {
            account_id: Some(account),
            action_id: None,
            token_id: None,
            kind: "notice",
            to: to_addr,
            subject: "Your security details were changed",
            body: &body,
        };
        outbox::enqueue(conn, now_ms, mail).await?;
    }
    if !tell.contains(&row.contact_email) {
        tell_user(
            conn,
            now_ms,
            row,
            "Your request was carried out",
            &format!("Request {} is done: {}.", row.reference, what.to_lowercase()),
        )
        .await?;
    }
    let step =
        Move { act: Act::Apply, to, note: None, detail: json!({ "sessions_ended": ended, "change": row.change_kind }) };
    record_step(conn, now_ms, &service(), row, step).await?;
    let action = match row.change_kind {
        ChangeKind::Email => AuditAction::EmailChanged,
        ChangeKind::Phone => AuditAction::PhoneChanged,
        ChangeKind::RemoveTwoFactor => AuditAction::TwoFactorRemoved,
        ChangeKind::ResetSecurityQuestion => AuditAction::AnswerChanged,
    };
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(account.to_string()),
        detail: json!({ "request": row.reference }),
        ..Entry::new(action, "success")
    };
    crate::audit::record(conn, now_ms, &service(), entry).await?;
    Ok(())
}

/// The new address of an applied email change was confirmed through its link: it becomes
/// verified and the account's main address. Answers the account, or `None` for a link that is
/// unknown, used or expired. One conditional update decides, so the link works once.
#[tracing::instrument(name = "queue.verify_email", skip_all)]
pub async fn verify_email(db: &Db, now_ms: i64, token: &str, client: &str) -> DomainResult<Option<i64>> {
    let mut tx = db.write().await?;
    let Some(e) = store::accounts::confirm_email(&mut tx, &crypto::token_hash(token), now_ms).await? else {
        return Ok(None);
    };
    store::accounts::make_primary(&mut tx, e.account_id, e.id).await?;
    outbox::notify_all(
        &mut tx,
        now_ms,
        e.account_id,
        "Your new email address is confirmed",
        "The new address on your account was confirmed and is now its main address.\n\n\
         If this wasn't you, contact support at once.\n",
    )
    .await?;
    let entry = Entry {
        target_type: Some("account"),
        target_id: Some(e.account_id.to_string()),
        detail: json!({ "email_id": e.id }),
        ..Entry::new(AuditAction::EmailVerified, "success")
    };
    crate::audit::record(&mut tx, now_ms, &Actor::anonymous(client), entry).await?;
    store::commit(tx).await?;
    Ok(Some(e.account_id))
}

/// Deletes the evidence of requests whose contact address was never confirmed once they are
/// older than `unconfirmed_retention_secs`: nobody will look at it, and it is personal data.
/// Answers how many files went. Instances purging together may meet a file already gone.
pub async fn purge_unconfirmed_evidence(db: &Db, config: &Config, now_ms: i64) -> DomainResult<usize> {
    let stale = store::requests::unconfirmed_evidence(
        &mut *db.acquire().await?,
        now_ms - config.unconfirmed_retention_secs * 1000,
    )
    .await?;
    let dir = config.evidence_dir();
    for f in &stale {
        // Only evidence received before it moved into the database (migration 0013) is a file.
        if !f.stored_name.is_empty() {
            match tokio::fs::remove_file(dir.join(&f.stored_name)).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(DomainError::Internal(e.into())),
            }
        }
        // The record and its bytes go together: never a record whose bytes are gone.
        let mut tx = db.write().await?;
        store::requests::delete_evidence(&mut tx, f.id).await?;
        store::commit(tx).await?;
    }
    Ok(stale.len())
}

/// The service's periodic work: due changes, stale evidence, summaries of refusals, old counters.
/// Every part is safe to run on several instances at once (see each).
#[tracing::instrument(name = "queue.housekeeping", skip_all)]
pub async fn housekeeping(state: &crate::AppState) -> DomainResult<()> {
    let now = state.clock.now_ms();
    apply_due(&state.db, &state.config, now).await?;
    purge_unconfirmed_evidence(&state.db, &state.config, now).await?;
    crate::audit::rollups::flush(&state.db, now).await?;
    let mut tx = state.db.write().await?;
    store::sessions::prune(&mut tx, now - 2 * 24 * 3600 * 1000).await?;
    store::commit(tx).await?;
    Ok(())
}

pub fn spawn_applier(state: crate::AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(state.config.queue_tick_ms));
        loop {
            tick.tick().await;
            if let Err(e) = housekeeping(&state).await {
                // In the span of the step that failed: the line names which periodic job it was.
                e.log("periodic work failed (applying changes, purging, summarising); will retry");
            }
        }
    })
}
