//! The security-details queue: listing, claiming with leases, decisions and second approvals.
//! Every move goes through `transitions::check` and writes a step and an audit entry in the same
//! transaction as its effect.
//!
//! Across instances: a move locks the request's row before it checks the rules (`load`), so the
//! state checked is the state written over; claim-next passes over rows another instance is
//! claiming (`store::requests::next_to_claim`).

pub mod lifecycle;
pub mod submit;
pub mod transitions;

use desk_api::{
    mask_email, AuditAction, ChangeKind, ChecklistItem, Decision, EvidenceFile, FactCheck, OnFile, Page, QueueFilter,
    QueueItem, RequestDetail, RequestNote, RequestState, RequestStep, Role, StateCount,
};
use serde_json::json;

use self::transitions::{check, needs_second_approval, Act, Ctx};
use super::{idempotency, Acting, DomainError, DomainResult};
use crate::audit::{self, Actor, Entry};
use crate::clock::from_ms;
pub use crate::store::requests::RequestRow as Row;
use crate::store::requests::{Assignee, ItemRow, Listing, NewStep};
use crate::store::{self, Conn, Db};
use crate::Config;

impl Row {
    pub fn needs_second_approval(&self) -> bool {
        needs_second_approval(self.risk, self.change_kind, self.touches_two_factor.0)
    }
    /// The checklist an approval needs: the change's, and for a change that moves the second
    /// factor, the checks a removal of 2FA needs too.
    pub fn checklist(&self) -> Vec<ChecklistItem> {
        let mut items = checklist_for(self.change_kind);
        if self.touches_two_factor.0 {
            for extra in checklist_for(ChangeKind::RemoveTwoFactor) {
                if !items.contains(&extra) {
                    items.push(extra);
                }
            }
        }
        items
    }
}

/// The request, locked for the rest of the caller's transaction.
pub async fn load(conn: &mut Conn, id: i64) -> DomainResult<Row> {
    store::requests::lock(conn, id).await?.ok_or(DomainError::NotFound("request"))
}

/// The checklist an approval of this change needs.
pub fn checklist_for(change: ChangeKind) -> Vec<ChecklistItem> {
    use ChecklistItem::*;
    match change {
        ChangeKind::Email => vec![
            FactsMatchAccount,
            RecentActivityReviewed,
            DuplicatesReviewed,
            StatementConsistent,
            NewValueNotOnAnotherAccount,
        ],
        ChangeKind::Phone => {
            vec![FactsMatchAccount, RecentActivityReviewed, StatementConsistent, NewValueNotOnAnotherAccount]
        }
        ChangeKind::RemoveTwoFactor => {
            vec![FactsMatchAccount, RecentActivityReviewed, DuplicatesReviewed, StatementConsistent, EvidenceReviewed]
        }
        ChangeKind::ResetSecurityQuestion => vec![FactsMatchAccount, RecentActivityReviewed, StatementConsistent],
    }
}

pub fn ctx_for(row: &Row, who: Option<(i64, Role)>, now_ms: i64) -> Ctx {
    let live = row.lease_expires_ms.is_some_and(|t| t > now_ms) && row.state == RequestState::Claimed;
    let me = who.map(|(id, _)| id);
    let mine = row.assignee_id.is_some() && row.assignee_id == me;
    Ctx {
        role: who.map(|(_, r)| r),
        holds: live && mine,
        held_by_other: live && !mine,
        own_lease_expired: mine && !live && row.state == RequestState::Claimed,
        is_first_approver: row.first_approver_id.is_some() && row.first_approver_id == me,
        escalated: row.escalated_by.is_some(),
        escalated_by_caller: row.escalated_by.is_some() && row.escalated_by == me,
        needs_second_approval: row.needs_second_approval(),
    }
}

/// One move of a request, as its step and audit entry record it.
pub struct Move<'a> {
    pub act: Act,
    pub to: RequestState,
    pub note: Option<&'a str>,
    pub detail: serde_json::Value,
}

/// Writes the step and its audit entry.
pub async fn record_step(conn: &mut Conn, now_ms: i64, actor: &Actor, row: &Row, m: Move<'_>) -> DomainResult<()> {
    let step = NewStep {
        request_id: row.id,
        at_ms: now_ms,
        actor: actor.email.as_deref(),
        action: m.act.as_str(),
        from: row.state,
        to: m.to,
        note: m.note,
    };
    store::requests::insert_step(conn, &step).await?;
    let entry = Entry {
        target_type: Some("request"),
        target_id: Some(row.id.to_string()),
        detail: json!({ "from": row.state, "to": m.to, "reference": row.reference, "account": row.account_id, "detail": m.detail }),
        ..Entry::new(m.act.audit_action(), "success")
    };
    audit::record(conn, now_ms, actor, entry).await?;
    Ok(())
}

/// What a move carries besides itself.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub note: Option<String>,
    /// The message mailed to the user with a rejection or a question; never the internal note.
    pub message: Option<String>,
    pub checklist: Vec<ChecklistItem>,
    pub reassign_to: Option<i64>,
    /// A decision's `Idempotency-Key`: a retry with it changes nothing and answers the request.
    pub idempotency_key: Option<String>,
}

/// The move a decision makes.
pub fn act_of_decision(d: Decision) -> Act {
    match d {
        Decision::Approve => Act::Approve,
        Decision::Reject => Act::Reject,
        Decision::NeedInfo => Act::NeedInfo,
        Decision::Escalate => Act::Escalate,
    }
}

/// Makes one move on a request for a signed-in agent.
#[tracing::instrument(name = "queue.perform", skip_all, fields(agent = by.session.agent.id, request = id, act = ?act))]
pub async fn perform(db: &Db, by: &Acting<'_>, id: i64, act: Act, input: Input) -> DomainResult<()> {
    let (config, now_ms, session) = (by.config, by.now_ms, by.session);
    // The length counts what was sent, spaces included, as the API description's `maxLength` does.
    let field = if act == Act::Note { "text" } else { "note" };
    if input.note.as_deref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(DomainError::invalid(field, "a note is at most 2000 characters"));
    }
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let deciding = matches!(act, Act::Approve | Act::Reject | Act::NeedInfo | Act::Escalate | Act::SecondApprove);
    if (deciding || act == Act::Note) && note.is_none() {
        return Err(DomainError::invalid(field, "write a note saying why"));
    }
    if input.message.as_deref().is_some_and(|m| m.chars().count() > 2000) {
        return Err(DomainError::invalid("message", "a message to the user is at most 2000 characters"));
    }
    let message = input.message.as_deref().map(str::trim).filter(|m| !m.is_empty());
    if act == Act::NeedInfo && message.is_none() {
        return Err(DomainError::invalid(
            "message",
            "write the question the user is to answer (the note stays internal)",
        ));
    }
    let mut tx = db.write().await?;
    if let Some(key) = &input.idempotency_key {
        let request = json!({ "request": id, "act": act.as_str(), "note": input.note, "message": input.message,
                          "checklist": input.checklist });
        let hash = crate::crypto::sha256_hex(request.to_string().as_bytes());
        if idempotency::claim(&mut tx, session.agent.id, key, &hash, now_ms).await?.is_some() {
            // Decided before under this key: nothing more happens, the caller answers the request.
            return Ok(());
        }
        // The answer is the request as it then is; a failure below rolls the claim back with the work.
        idempotency::answer(&mut tx, session.agent.id, key, 200, &json!({ "request_id": id })).await?;
    }
    let row = load(&mut tx, id).await?;
    let who = (session.agent.id, session.agent.role);
    let to = check(row.state, act, ctx_for(&row, Some(who), now_ms))?;
    if act == Act::Approve {
        let required = row.checklist();
        let missing: Vec<&str> =
            required.iter().filter(|i| !input.checklist.contains(i)).map(|i| checklist_label(*i)).collect();
        if !missing.is_empty() {
            return Err(DomainError::conflict(
                desk_api::ErrorCode::ChecklistIncomplete,
                format!("tick every check before approving; missing: {}", missing.join(", ")),
            ));
        }
    }
    let actor = session.actor(by.client);
    let lease = now_ms + config.lease_secs * 1000;
    match act {
        Act::Claim => store::requests::set_claimed(&mut tx, id, session.agent.id, lease, now_ms).await?,
        Act::Renew => store::requests::renew(&mut tx, id, lease, now_ms).await?,
        Act::Release | Act::Reject | Act::NeedInfo | Act::Escalate => {
            store::requests::put_down(&mut tx, id, to, now_ms).await?;
            if act == Act::Escalate {
                store::requests::set_escalated_by(&mut tx, id, session.agent.id).await?;
            }
        }
        Act::Note => store::requests::insert_note(&mut tx, id, &session.agent.name, now_ms, note.unwrap_or("")).await?,
        Act::Approve | Act::SecondApprove => {
            if to == RequestState::AwaitingSecondApproval {
                store::requests::await_second_approval(&mut tx, id, session.agent.id, now_ms).await?;
            } else {
                if act == Act::Approve {
                    store::requests::set_first_approver(&mut tx, id, session.agent.id).await?;
                }
                lifecycle::approve(&mut tx, config, now_ms, &row).await?;
            }
        }
        Act::Reassign => {
            let target =
                input.reassign_to.ok_or_else(|| DomainError::invalid("agent_id", "say whom to give the request to"))?;
            if !store::staff::is_enabled(&mut tx, target).await? {
                return Err(DomainError::NotFound("agent"));
            }
            store::requests::set_claimed(&mut tx, id, target, lease, now_ms).await?;
        }
        _ => return Err(DomainError::Forbidden),
    }
    match to {
        RequestState::NeedsInfo if act == Act::NeedInfo => {
            lifecycle::ask_for_info(&mut tx, config, now_ms, &row, message.unwrap_or("")).await?
        }
        RequestState::Rejected => {
            let why = message.map(|m| format!("\n\n{m}")).unwrap_or_default();
            let body = format!(
                "We could not approve request {}.{why}\n\nIf you still need help, reply to this email.",
                row.reference
            );
            lifecycle::tell_user(&mut tx, now_ms, &row, "Your request was declined", &body).await?
        }
        _ => {}
    }
    // The audit entry last: the chain's head is held from there to the commit.
    if act != Act::Renew && act != Act::Note {
        // Renewals happen every minute and notes have their own table: neither needs a step.
        let detail = json!({ "checklist": input.checklist, "reassigned_to": input.reassign_to, "message": message });
        record_step(&mut tx, now_ms, &actor, &row, Move { act, to, note, detail }).await?;
    } else if act == Act::Note {
        let entry = Entry {
            target_type: Some("request"),
            target_id: Some(id.to_string()),
            ..Entry::new(Act::Note.audit_action(), "success")
        };
        audit::record(&mut tx, now_ms, &actor, entry).await?;
    }
    store::commit(tx).await?;
    Ok(())
}

/// Claims the request due soonest that the caller may work on. Atomic: the row is taken before
/// the rules are checked, and a row another claimer is taking is passed over, so two callers never
/// get the same request.
/// Whom a lead can hand a request to: every enabled, enrolled staff member by name, with the
/// requests each holds now.
pub async fn assignable_agents(db: &Db) -> DomainResult<Vec<desk_api::AgentLoad>> {
    let rows = store::staff::active_with_load(&mut *db.acquire().await?).await?;
    Ok(rows
        .into_iter()
        .map(|r| desk_api::AgentLoad { id: r.id, name: r.name, email: r.email, role: r.role, claimed: r.claimed })
        .collect())
}

#[tracing::instrument(name = "queue.claim_next", skip_all, fields(agent = by.session.agent.id))]
pub async fn claim_next(db: &Db, by: &Acting<'_>) -> DomainResult<i64> {
    let (session, now_ms) = (by.session, by.now_ms);
    let lead = matches!(session.agent.role, Role::Lead | Role::Admin);
    let mut tx = db.write().await?;
    let Some(row) = store::requests::next_to_claim(&mut tx, now_ms, lead).await? else {
        return Err(DomainError::conflict(desk_api::ErrorCode::QueueEmpty, "there is nothing to claim"));
    };
    let to = check(row.state, Act::Claim, ctx_for(&row, Some((session.agent.id, session.agent.role)), now_ms))?;
    store::requests::set_claimed(&mut tx, row.id, session.agent.id, now_ms + by.config.lease_secs * 1000, now_ms)
        .await?;
    let step = Move { act: Act::Claim, to, note: None, detail: json!({ "next": true }) };
    record_step(&mut tx, now_ms, &session.actor(by.client), &row, step).await?;
    store::commit(tx).await?;
    Ok(row.id)
}

pub fn checklist_label(i: ChecklistItem) -> &'static str {
    match i {
        ChecklistItem::FactsMatchAccount => "facts match the account",
        ChecklistItem::RecentActivityReviewed => "recent activity reviewed",
        ChecklistItem::DuplicatesReviewed => "duplicates reviewed",
        ChecklistItem::StatementConsistent => "statement consistent",
        ChecklistItem::EvidenceReviewed => "evidence reviewed",
        ChecklistItem::NewValueNotOnAnotherAccount => "new value not on another account",
    }
}

fn item(r: ItemRow) -> QueueItem {
    QueueItem {
        id: r.id,
        reference: r.reference,
        state: r.state,
        risk: r.risk,
        change: r.change_kind,
        account_id: r.account_id,
        username: r.username,
        submitted_at: from_ms(r.submitted_ms),
        sla_due_at: from_ms(r.sla_due_ms),
        assignee: r.assignee_name,
        assignee_id: r.assignee_id,
    }
}

/// The queue in SLA order; the cursor is the last (due time, id) served.
pub async fn list(
    db: &Db,
    f: &QueueFilter,
    me: i64,
    now_ms: i64,
    cursor: Option<(i64, i64)>,
    limit: i64,
) -> DomainResult<Page<QueueItem>> {
    let assignee = match f.assignee.as_deref() {
        None | Some("") => Assignee::Anyone,
        Some("me") => Assignee::Agent(me),
        Some("none") => Assignee::Nobody,
        Some(other) => Assignee::Agent(
            other
                .parse::<i64>()
                .map_err(|_| DomainError::invalid("assignee", "assignee is me, none or an agent id"))?,
        ),
    };
    let listing = Listing {
        state: f.state,
        assignee,
        risk: f.risk,
        submitted_before_ms: f.min_age_hours.map(|h| now_ms - h * 3600 * 1000),
        after: cursor,
    };
    let rows = store::requests::list(&mut *db.acquire().await?, &listing, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<QueueItem> = rows.into_iter().take(limit as usize).map(item).collect();
    let next_cursor =
        if more { items.last().map(|i| format!("q{}.{}", i.sla_due_at.timestamp_millis(), i.id)) } else { None };
    Ok(Page { items, next_cursor })
}

pub fn decode_cursor(c: Option<&str>) -> Option<Option<(i64, i64)>> {
    match c {
        None | Some("") => Some(None),
        Some(c) => {
            let (due, id) = c.strip_prefix('q')?.split_once('.')?;
            Some(Some((super::cursor_number(due)?, super::cursor_number(id)?)))
        }
    }
}

pub async fn counts(db: &Db) -> DomainResult<Vec<StateCount>> {
    let rows = store::requests::counts(&mut *db.acquire().await?).await?;
    Ok(RequestState::ALL
        .iter()
        .copied()
        .filter(|s| *s != RequestState::Unconfirmed)
        .map(|s| StateCount {
            state: s,
            count: rows.iter().find(|r| r.state == s).map(|r| r.count as u64).unwrap_or(0),
        })
        .collect())
}

fn parse_json<T: serde::de::DeserializeOwned>(row: &Row, column: &str, text: &str) -> DomainResult<T> {
    serde_json::from_str(text)
        .map_err(|e| DomainError::corrupt(&format!("security_requests.{column} of request {}", row.id), e))
}

#[tracing::instrument(name = "queue.detail", skip_all, fields(request = id))]
pub async fn detail(db: &Db, id: i64, now_ms: i64) -> DomainResult<RequestDetail> {
    let mut conn = db.acquire().await?;
    let row = store::requests::get(&mut conn, id).await?.ok_or(DomainError::NotFound("request"))?;
    let it = store::requests::item(&mut conn, id).await?.ok_or(DomainError::NotFound("request"))?;
    drop(conn);
    let on_file = match row.account_id {
        Some(aid) => {
            let d = super::accounts::detail(db, aid, now_ms, 0).await?;
            Some(OnFile {
                username: d.username,
                display_name: d.display_name,
                status: d.status,
                country: d.country,
                created_at: d.created_at,
                emails: d.emails,
                phone: d.phone,
                two_factor: d.two_factor,
                security_question_set: d.security_question_set,
            })
        }
        None => None,
    };
    let recent_activity = match row.account_id {
        Some(aid) => super::events::page(db, aid, None, 10, now_ms).await?.items,
        None => Vec::new(),
    };
    let mut conn = db.acquire().await?;
    let (duplicates, earlier, contact_on_file) = match row.account_id {
        Some(aid) => (
            super::accounts::duplicates(&mut conn, aid).await?,
            store::requests::earlier(&mut conn, aid, id).await?.into_iter().map(item).collect(),
            store::accounts::normalised_addresses(&mut conn, aid).await?.contains(&row.contact_email),
        ),
        None => (Vec::new(), Vec::new(), false),
    };
    let evidence = store::requests::evidence(&mut conn, id).await?;
    let notes = store::requests::notes(&mut conn, id).await?;
    let steps = store::requests::steps(&mut conn, id).await?;
    let first_approver = match row.first_approver_id {
        Some(a) => store::staff::name(&mut conn, a).await?,
        None => None,
    };
    Ok(RequestDetail {
        item: item(it),
        risk_reasons: parse_json(&row, "risk_reasons", &row.risk_reasons)?,
        new_value: row.new_value.clone(),
        statement: row.statement.clone(),
        contact: mask_email(&row.contact_email),
        contact_on_file,
        facts: parse_json::<Vec<FactCheck>>(&row, "facts", &row.facts)?,
        on_file,
        recent_activity,
        duplicates,
        earlier_requests: earlier,
        evidence: evidence
            .into_iter()
            .map(|e| EvidenceFile { id: e.id, name: e.name, content_type: e.content_type, size: e.size as u64 })
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| RequestNote { author: n.author, at: from_ms(n.at_ms), text: n.text })
            .collect(),
        steps: steps
            .into_iter()
            .map(|s| RequestStep {
                at: from_ms(s.at_ms),
                actor: s.actor,
                action: s.action,
                from: s.from_state,
                to: s.to_state,
                note: s.note,
            })
            .collect(),
        checklist: row.checklist(),
        lease_expires_at: row.lease_expires_ms.filter(|_| row.state == RequestState::Claimed).map(from_ms),
        first_approver,
        apply_at: row.apply_at_ms.map(from_ms),
        needs_second_approval: row.needs_second_approval(),
    })
}

/// An evidence file, as an agent downloads it.
pub struct EvidenceBytes {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An evidence file's bytes, for an agent; each view is on record.
#[tracing::instrument(name = "queue.view_evidence", skip_all, fields(agent = ?actor.id, request = request_id, file = file_id))]
pub async fn view_evidence(
    db: &Db,
    config: &Config,
    now_ms: i64,
    actor: &Actor,
    request_id: i64,
    file_id: i64,
) -> DomainResult<EvidenceBytes> {
    let f = store::requests::evidence_file(&mut *db.acquire().await?, request_id, file_id)
        .await?
        .ok_or(DomainError::NotFound("evidence file"))?;
    let bytes = match f.bytes {
        Some(bytes) => bytes,
        // Received before evidence moved into the database: a file of this instance's folder.
        None => tokio::fs::read(config.evidence_dir().join(&f.stored_name))
            .await
            .map_err(|e| DomainError::Internal(anyhow::anyhow!("reading evidence file {file_id}: {e}")))?,
    };
    let mut tx = db.write().await?;
    let entry = Entry {
        target_type: Some("request"),
        target_id: Some(request_id.to_string()),
        detail: json!({ "file": file_id, "name": f.name }),
        ..Entry::new(AuditAction::EvidenceView, "success")
    };
    audit::record(&mut tx, now_ms, actor, entry).await?;
    store::commit(tx).await?;
    Ok(EvidenceBytes { name: f.name, content_type: f.content_type, bytes })
}
