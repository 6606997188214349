//! The security-details queue: listing, claiming with leases, decisions and second approvals.
//! Every move goes through `transitions::check` and writes a step and an audit entry in the same
//! transaction as its effect.

pub mod lifecycle;
pub mod submit;
pub mod transitions;

use desk_api::{
    mask_email, ChangeKind, ChecklistItem, Decision, EvidenceFile, FactCheck, OnFile, Page, QueueFilter, QueueItem,
    RequestDetail, RequestNote, RequestState, RequestStep, RiskLevel, Role, StateCount,
};
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use self::transitions::{check, needs_second_approval, Act, Ctx};
use super::idempotency;
use super::sessions::Session;
use crate::audit::{self, Actor, Entry};
use crate::clock::from_ms;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::Config;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub reference: String,
    pub state: String,
    pub risk: String,
    pub risk_reasons: String,
    pub change_kind: String,
    pub new_value: Option<String>,
    pub account_id: Option<i64>,
    pub contact_email: String,
    pub statement: String,
    pub facts: String,
    pub submitted_ms: i64,
    pub sla_due_ms: i64,
    pub assignee_id: Option<i64>,
    pub lease_expires_ms: Option<i64>,
    pub escalated_by: Option<i64>,
    pub first_approver_id: Option<i64>,
    pub apply_at_ms: Option<i64>,
    pub touches_two_factor: i64,
}

impl Row {
    pub fn state(&self) -> RequestState {
        RequestState::parse(&self.state).unwrap_or(RequestState::Open)
    }
    pub fn risk(&self) -> RiskLevel {
        RiskLevel::parse(&self.risk).unwrap_or(RiskLevel::High)
    }
    pub fn change(&self) -> ChangeKind {
        ChangeKind::parse(&self.change_kind).unwrap_or(ChangeKind::Email)
    }
    pub fn needs_second_approval(&self) -> bool {
        needs_second_approval(self.risk(), self.change(), self.touches_two_factor != 0)
    }
    /// The checklist an approval needs: the change's, and for a change that moves the second
    /// factor, the checks a removal of 2FA needs too.
    pub fn checklist(&self) -> Vec<ChecklistItem> {
        let mut items = checklist_for(self.change());
        if self.touches_two_factor != 0 {
            for extra in checklist_for(ChangeKind::RemoveTwoFactor) {
                if !items.contains(&extra) {
                    items.push(extra);
                }
            }
        }
        items
    }
}

const ROW: &str = "SELECT id, reference, state, risk, risk_reasons, change_kind, new_value, account_id, contact_email, statement, \
                   facts, submitted_ms, sla_due_ms, assignee_id, lease_expires_ms, escalated_by, first_approver_id, apply_at_ms, \
                   touches_two_factor FROM security_requests";

pub async fn load(conn: &mut SqliteConnection, id: i64) -> ApiResult<Row> {
    sqlx::query_as::<_, Row>(&format!("{ROW} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(ApiError::NotFound("request"))
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
    let live = row.lease_expires_ms.is_some_and(|t| t > now_ms) && row.state() == RequestState::Claimed;
    let me = who.map(|(id, _)| id);
    let mine = row.assignee_id.is_some() && row.assignee_id == me;
    Ctx {
        role: who.map(|(_, r)| r),
        holds: live && mine,
        held_by_other: live && !mine,
        own_lease_expired: mine && !live && row.state() == RequestState::Claimed,
        is_first_approver: row.first_approver_id.is_some() && row.first_approver_id == me,
        escalated: row.escalated_by.is_some(),
        escalated_by_caller: row.escalated_by.is_some() && row.escalated_by == me,
        needs_second_approval: row.needs_second_approval(),
    }
}

/// Writes the step and its audit entry.
// The storage layer (issue 11) replaces these arguments with a step struct.
#[allow(clippy::too_many_arguments)]
pub async fn record_step(
    conn: &mut SqliteConnection,
    now_ms: i64,
    actor: &Actor,
    row: &Row,
    act: Act,
    to: RequestState,
    note: Option<&str>,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    let name = actor.email.clone();
    sqlx::query("INSERT INTO request_steps (request_id, at_ms, actor, action, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(row.id)
        .bind(now_ms)
        .bind(&name)
        .bind(act.as_str())
        .bind(&row.state)
        .bind(to.as_str())
        .bind(note)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        now_ms,
        actor,
        Entry {
            target_type: Some("request"),
            target_id: Some(row.id.to_string()),
            detail: json!({ "from": row.state, "to": to.as_str(), "reference": row.reference, "account": row.account_id, "detail": detail }),
            ..Entry::new(act.audit_action(), "success")
        },
    )
    .await?;
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

fn decision_act(d: Decision) -> Act {
    match d {
        Decision::Approve => Act::Approve,
        Decision::Reject => Act::Reject,
        Decision::NeedInfo => Act::NeedInfo,
        Decision::Escalate => Act::Escalate,
    }
}

pub fn act_of_decision(d: Decision) -> Act {
    decision_act(d)
}

/// Makes one move on a request for a signed-in agent.
// The storage layer (issue 11) replaces these arguments with a context struct.
#[allow(clippy::too_many_arguments)]
pub async fn perform(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
    id: i64,
    act: Act,
    input: Input,
) -> ApiResult<()> {
    // The length counts what was sent, spaces included, as the API description's `maxLength` does.
    let field = if act == Act::Note { "text" } else { "note" };
    if input.note.as_deref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::invalid(field, "a note is at most 2000 characters"));
    }
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let deciding = matches!(act, Act::Approve | Act::Reject | Act::NeedInfo | Act::Escalate | Act::SecondApprove);
    if (deciding || act == Act::Note) && note.is_none() {
        return Err(ApiError::invalid(field, "write a note saying why"));
    }
    if input.message.as_deref().is_some_and(|m| m.chars().count() > 2000) {
        return Err(ApiError::invalid("message", "a message to the user is at most 2000 characters"));
    }
    let message = input.message.as_deref().map(str::trim).filter(|m| !m.is_empty());
    if act == Act::NeedInfo && message.is_none() {
        return Err(ApiError::invalid("message", "write the question the user is to answer (the note stays internal)"));
    }
    let mut tx = begin_write(db).await?;
    if let Some(key) = &input.idempotency_key {
        let request = json!({ "request": id, "act": act.as_str(), "note": input.note, "message": input.message,
                          "checklist": input.checklist });
        let hash = crate::crypto::sha256_hex(request.to_string().as_bytes());
        let first = json!({ "request_id": id });
        if idempotency::claim(&mut tx, session.agent.id, key, &hash, &first, now_ms).await?.is_some() {
            // Decided before under this key: nothing more happens, the caller answers the request.
            return Ok(());
        }
    }
    let row = load(&mut tx, id).await?;
    let who = (session.agent.id, session.agent.role);
    let to = check(row.state(), act, ctx_for(&row, Some(who), now_ms))?;
    if act == Act::Approve {
        let required = row.checklist();
        let missing: Vec<&str> =
            required.iter().filter(|i| !input.checklist.contains(i)).map(|i| checklist_label(*i)).collect();
        if !missing.is_empty() {
            return Err(ApiError::Conflict {
                code: desk_api::ErrorCode::ChecklistIncomplete,
                message: format!("tick every check before approving; missing: {}", missing.join(", ")),
            });
        }
    }
    let actor = session.actor(client);
    let lease = now_ms + config.lease_secs * 1000;
    match act {
        Act::Claim => {
            sqlx::query("UPDATE security_requests SET state = 'claimed', assignee_id = $1, lease_expires_ms = $2, claimed_ms = $3, updated_ms = $3 WHERE id = $4")
                .bind(session.agent.id).bind(lease).bind(now_ms).bind(id).execute(&mut *tx).await?;
        }
        Act::Renew => {
            sqlx::query("UPDATE security_requests SET lease_expires_ms = $1, updated_ms = $2 WHERE id = $3")
                .bind(lease)
                .bind(now_ms)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Act::Release | Act::Reject | Act::NeedInfo | Act::Escalate => {
            sqlx::query("UPDATE security_requests SET state = $1, assignee_id = NULL, lease_expires_ms = NULL, updated_ms = $2 WHERE id = $3")
                .bind(to.as_str()).bind(now_ms).bind(id).execute(&mut *tx).await?;
            if act == Act::Escalate {
                sqlx::query("UPDATE security_requests SET escalated_by = $1 WHERE id = $2")
                    .bind(session.agent.id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Act::Note => {
            sqlx::query("INSERT INTO request_notes (request_id, author, at_ms, text) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(&session.agent.name)
                .bind(now_ms)
                .bind(note)
                .execute(&mut *tx)
                .await?;
        }
        Act::Approve | Act::SecondApprove => {
            if to == RequestState::AwaitingSecondApproval {
                sqlx::query("UPDATE security_requests SET state = $1, first_approver_id = $2, assignee_id = NULL, lease_expires_ms = NULL, updated_ms = $3 WHERE id = $4")
                    .bind(to.as_str()).bind(session.agent.id).bind(now_ms).bind(id).execute(&mut *tx).await?;
            } else {
                if act == Act::Approve {
                    sqlx::query("UPDATE security_requests SET first_approver_id = $1 WHERE id = $2")
                        .bind(session.agent.id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                lifecycle::approve(&mut tx, config, now_ms, &row).await?;
            }
        }
        Act::Reassign => {
            let target =
                input.reassign_to.ok_or_else(|| ApiError::invalid("agent_id", "say whom to give the request to"))?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE id = $1 AND disabled = 0")
                .bind(target)
                .fetch_optional(&mut *tx)
                .await?;
            exists.ok_or(ApiError::NotFound("agent"))?;
            sqlx::query("UPDATE security_requests SET state = 'claimed', assignee_id = $1, lease_expires_ms = $2, claimed_ms = $3, updated_ms = $3 WHERE id = $4")
                .bind(target).bind(lease).bind(now_ms).bind(id).execute(&mut *tx).await?;
        }
        _ => return Err(ApiError::Forbidden),
    }
    if act != Act::Renew && act != Act::Note {
        // Renewals happen every minute and notes have their own table: neither needs a step.
        let detail = json!({ "checklist": input.checklist, "reassigned_to": input.reassign_to, "message": message });
        record_step(&mut tx, now_ms, &actor, &row, act, to, note, detail).await?;
    } else if act == Act::Note {
        audit::record(
            &mut tx,
            now_ms,
            &actor,
            Entry {
                target_type: Some("request"),
                target_id: Some(id.to_string()),
                ..Entry::new(Act::Note.audit_action(), "success")
            },
        )
        .await?;
    }
    match to {
        RequestState::NeedsInfo if act == Act::NeedInfo => {
            lifecycle::ask_for_info(&mut tx, config, now_ms, &row, message.unwrap_or("")).await?
        }
        RequestState::Rejected => {
            let why = message.map(|m| format!("\n\n{m}")).unwrap_or_default();
            lifecycle::tell_user(
                &mut tx,
                now_ms,
                &row,
                "Your request was declined",
                &format!(
                    "We could not approve request {}.{why}\n\nIf you still need help, reply to this email.",
                    row.reference
                ),
            )
            .await?
        }
        _ => {}
    }
    tx.commit().await?;
    Ok(())
}

/// Claims the request due soonest that the caller may work on. Atomic: the write lock is taken
/// before the pick, so two callers never get the same request.
pub async fn claim_next(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    session: &Session,
    client: &str,
) -> ApiResult<i64> {
    let lead = matches!(session.agent.role, Role::Lead | Role::Admin);
    let mut tx = begin_write(db).await?;
    let sql = format!(
        "{ROW} WHERE state = 'open' OR (state = 'claimed' AND lease_expires_ms <= $1 {}) {} ORDER BY sla_due_ms, id LIMIT 1",
        if lead { "" } else { "AND escalated_by IS NULL" },
        if lead { "OR state = 'escalated'" } else { "" }
    );
    let row: Option<Row> = sqlx::query_as(&sql).bind(now_ms).fetch_optional(&mut *tx).await?;
    let Some(row) = row else {
        return Err(ApiError::Conflict {
            code: desk_api::ErrorCode::QueueEmpty,
            message: "there is nothing to claim".into(),
        });
    };
    let to = check(row.state(), Act::Claim, ctx_for(&row, Some((session.agent.id, session.agent.role)), now_ms))?;
    sqlx::query("UPDATE security_requests SET state = 'claimed', assignee_id = $1, lease_expires_ms = $2, claimed_ms = $3, updated_ms = $3 WHERE id = $4")
        .bind(session.agent.id)
        .bind(now_ms + config.lease_secs * 1000)
        .bind(now_ms)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    record_step(&mut tx, now_ms, &session.actor(client), &row, Act::Claim, to, None, json!({ "next": true })).await?;
    tx.commit().await?;
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

type ItemRow =
    (i64, String, String, String, String, Option<i64>, Option<String>, i64, i64, Option<String>, Option<i64>);

const ITEM: &str = "SELECT r.id, r.reference, r.state, r.risk, r.change_kind, r.account_id, a.username, r.submitted_ms, r.sla_due_ms, g.name, r.assignee_id \
                    FROM security_requests r LEFT JOIN accounts a ON a.id = r.account_id LEFT JOIN agents g ON g.id = r.assignee_id";

fn item(r: ItemRow) -> QueueItem {
    QueueItem {
        id: r.0,
        reference: r.1,
        state: RequestState::parse(&r.2).unwrap_or(RequestState::Open),
        risk: RiskLevel::parse(&r.3).unwrap_or(RiskLevel::High),
        change: ChangeKind::parse(&r.4).unwrap_or(ChangeKind::Email),
        account_id: r.5,
        username: r.6,
        submitted_at: from_ms(r.7),
        sla_due_at: from_ms(r.8),
        assignee: r.9,
        assignee_id: r.10,
    }
}

/// The queue in SLA order; the cursor is the last (due time, id) served.
pub async fn list(
    db: &SqlitePool,
    f: &QueueFilter,
    me: i64,
    now_ms: i64,
    cursor: Option<(i64, i64)>,
    limit: i64,
) -> ApiResult<Page<QueueItem>> {
    let mut qb = QueryBuilder::<Sqlite>::new(ITEM);
    qb.push(" WHERE r.state <> 'unconfirmed'");
    if let Some(s) = f.state {
        qb.push(" AND r.state = ").push_bind(s.as_str());
    }
    match f.assignee.as_deref() {
        None | Some("") => {}
        Some("me") => {
            qb.push(" AND r.assignee_id = ").push_bind(me);
        }
        Some("none") => {
            qb.push(" AND r.assignee_id IS NULL");
        }
        Some(other) => {
            let id = other
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("assignee", "assignee is me, none or an agent id"))?;
            qb.push(" AND r.assignee_id = ").push_bind(id);
        }
    }
    if let Some(r) = f.risk {
        qb.push(" AND r.risk = ").push_bind(r.as_str());
    }
    if let Some(h) = f.min_age_hours {
        qb.push(" AND r.submitted_ms <= ").push_bind(now_ms - h * 3600 * 1000);
    }
    if let Some((due, id)) = cursor {
        qb.push(" AND (r.sla_due_ms > ")
            .push_bind(due)
            .push(" OR (r.sla_due_ms = ")
            .push_bind(due)
            .push(" AND r.id > ")
            .push_bind(id)
            .push("))");
    }
    qb.push(" ORDER BY r.sla_due_ms, r.id LIMIT ").push_bind(limit + 1);
    let rows: Vec<ItemRow> = qb.build_query_as().fetch_all(db).await?;
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

pub async fn counts(db: &SqlitePool) -> sqlx::Result<Vec<StateCount>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM security_requests WHERE state <> 'unconfirmed' GROUP BY state")
            .fetch_all(db)
            .await?;
    Ok(RequestState::ALL
        .into_iter()
        .filter(|s| *s != RequestState::Unconfirmed)
        .map(|s| StateCount {
            state: s,
            count: rows.iter().find(|(st, _)| st == s.as_str()).map(|(_, c)| *c as u64).unwrap_or(0),
        })
        .collect())
}

pub async fn detail(db: &SqlitePool, id: i64, now_ms: i64) -> ApiResult<RequestDetail> {
    let mut conn = db.acquire().await?;
    let row = load(&mut conn, id).await?;
    drop(conn);
    let it: ItemRow = sqlx::query_as(&format!("{ITEM} WHERE r.id = $1")).bind(id).fetch_one(db).await?;
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
    let (recent_activity, duplicates, earlier) = match row.account_id {
        Some(aid) => {
            let acts = super::events::page(db, aid, None, 10, now_ms).await?.items;
            let dups = super::accounts::duplicates(db, aid).await?;
            let earlier: Vec<ItemRow> = sqlx::query_as(&format!("{ITEM} WHERE r.account_id = $1 AND r.id <> $2 AND r.state <> 'unconfirmed' ORDER BY r.id DESC LIMIT 10"))
                .bind(aid)
                .bind(id)
                .fetch_all(db)
                .await?;
            (acts, dups, earlier.into_iter().map(item).collect())
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let evidence: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, name, content_type, size FROM evidence_files WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db)
            .await?;
    let notes: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT author, at_ms, text FROM request_notes WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db)
            .await?;
    #[derive(sqlx::FromRow)]
    struct StepRow {
        at_ms: i64,
        actor: Option<String>,
        action: String,
        from_state: String,
        to_state: String,
        note: Option<String>,
    }
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT at_ms, actor, action, from_state, to_state, note FROM request_steps WHERE request_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let first_approver: Option<String> = match row.first_approver_id {
        Some(a) => sqlx::query_scalar("SELECT name FROM agents WHERE id = $1").bind(a).fetch_optional(db).await?,
        None => None,
    };
    Ok(RequestDetail {
        item: item(it),
        risk_reasons: serde_json::from_str(&row.risk_reasons).unwrap_or_default(),
        new_value: row.new_value.clone(),
        statement: row.statement.clone(),
        contact: mask_email(&row.contact_email),
        facts: serde_json::from_str::<Vec<FactCheck>>(&row.facts).unwrap_or_default(),
        on_file,
        recent_activity,
        duplicates,
        earlier_requests: earlier,
        evidence: evidence
            .into_iter()
            .map(|(id, name, content_type, size)| EvidenceFile { id, name, content_type, size: size as u64 })
            .collect(),
        notes: notes.into_iter().map(|(author, at, text)| RequestNote { author, at: from_ms(at), text }).collect(),
        steps: steps
            .into_iter()
            .map(|s| RequestStep {
                at: from_ms(s.at_ms),
                actor: s.actor,
                action: s.action,
                from: RequestState::parse(&s.from_state).unwrap_or(RequestState::Open),
                to: RequestState::parse(&s.to_state).unwrap_or(RequestState::Open),
                note: s.note,
            })
            .collect(),
        checklist: row.checklist(),
        lease_expires_at: row.lease_expires_ms.filter(|_| row.state() == RequestState::Claimed).map(from_ms),
        first_approver,
        apply_at: row.apply_at_ms.map(from_ms),
        needs_second_approval: row.needs_second_approval(),
    })
}

/// An evidence file's bytes, for an agent (the caller audits the view).
pub async fn evidence(
    db: &SqlitePool,
    config: &Config,
    request_id: i64,
    file_id: i64,
) -> ApiResult<(String, String, Vec<u8>)> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT name, content_type, stored_name FROM evidence_files WHERE id = $1 AND request_id = $2")
            .bind(file_id)
            .bind(request_id)
            .fetch_optional(db)
            .await?;
    let (name, content_type, stored) = row.ok_or(ApiError::NotFound("evidence file"))?;
    let bytes = tokio::fs::read(config.evidence_dir().join(&stored)).await.map_err(|e| ApiError::Internal(e.into()))?;
    Ok((name, content_type, bytes))
}
