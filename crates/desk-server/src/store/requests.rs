//! Security-details requests: the queue, its notes and steps, and the evidence files' records.
//!
//! Across instances: every move first takes the request's row with [`lock`] (`FOR UPDATE` on
//! PostgreSQL), so the state the rules were checked against is the state the move writes over;
//! claim-next takes the first row nobody else is taking ([`next_to_claim`], `FOR UPDATE SKIP
//! LOCKED`), so fifty claimers on two instances never get one request twice. A contact code's
//! tries are one conditional `UPDATE … RETURNING`.

use super::sql::Builder;
use super::{for_update, Backend, Conn, Flag, Step, StoreResult};
use desk_api::{ChangeKind, RequestState, RiskLevel};

/// A request as the rules see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub reference: String,
    pub state: RequestState,
    pub risk: RiskLevel,
    /// JSON: the reasons the risk was set so.
    pub risk_reasons: String,
    pub change_kind: ChangeKind,
    pub new_value: Option<String>,
    pub account_id: Option<i64>,
    pub contact_email: String,
    pub statement: String,
    /// JSON: the facts compared with the account.
    pub facts: String,
    pub submitted_ms: i64,
    pub sla_due_ms: i64,
    pub assignee_id: Option<i64>,
    pub lease_expires_ms: Option<i64>,
    pub escalated_by: Option<i64>,
    pub first_approver_id: Option<i64>,
    pub apply_at_ms: Option<i64>,
    pub touches_two_factor: Flag,
}

const ROW: &str =
    "SELECT id, reference, state, risk, risk_reasons, change_kind, new_value, account_id, contact_email, \
                   statement, facts, submitted_ms, sla_due_ms, assignee_id, lease_expires_ms, escalated_by, \
                   first_approver_id, apply_at_ms, touches_two_factor FROM security_requests";

pub async fn get(conn: &mut Conn, id: i64) -> StoreResult<Option<RequestRow>> {
    sqlx::query_as(&format!("{ROW} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading a request (security_requests)")
}

/// The request, its row held until the transaction ends.
pub async fn lock(conn: &mut Conn, id: i64) -> StoreResult<Option<RequestRow>> {
    let sql = format!("{ROW} WHERE id = $1{}", for_update(conn));
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await.step("locking a request (security_requests)")
}

/// The request due soonest that the caller may claim (open, or claimed with a lapsed lease, and
/// for leads escalated too), held until the transaction ends; rows other transactions hold are
/// passed over, not waited for.
pub async fn next_to_claim(conn: &mut Conn, now_ms: i64, lead: bool) -> StoreResult<Option<RequestRow>> {
    let skip = match Backend::of(conn) {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "{ROW} WHERE state = 'open' OR (state = 'claimed' AND lease_expires_ms <= $1 {}) {} \
         ORDER BY sla_due_ms, id LIMIT 1{skip}",
        if lead { "" } else { "AND escalated_by IS NULL" },
        if lead { "OR state = 'escalated'" } else { "" }
    );
    sqlx::query_as(&sql).bind(now_ms).fetch_optional(conn).await.step("picking the next request (security_requests)")
}

pub async fn id_by_reference(conn: &mut Conn, reference: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM security_requests WHERE reference = $1")
        .bind(reference)
        .fetch_optional(conn)
        .await
        .step("finding a request by reference (security_requests)")
}

/// The links a request's emails carry, each stored hashed on the request.
#[derive(Debug, Clone, Copy)]
pub enum RequestLink {
    /// "Answer here", after a question.
    Reply,
    /// "This wasn't me", after an approval.
    Cancel,
}

pub async fn id_by_link(conn: &mut Conn, link: RequestLink, token_hash: &str) -> StoreResult<Option<i64>> {
    let sql = match link {
        RequestLink::Reply => "SELECT id FROM security_requests WHERE reply_token_hash = $1",
        RequestLink::Cancel => "SELECT id FROM security_requests WHERE cancel_token_hash = $1",
    };
    sqlx::query_scalar(sql)
        .bind(token_hash)
        .fetch_optional(conn)
        .await
        .step("finding a request by link (security_requests)")
}

/// The agent holds the request until `lease_until`.
pub async fn set_claimed(conn: &mut Conn, id: i64, agent_id: i64, lease_until: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE security_requests SET state = 'claimed', assignee_id = $1, lease_expires_ms = $2, claimed_ms = $3, \
         updated_ms = $3 WHERE id = $4",
    )
    .bind(agent_id)
    .bind(lease_until)
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await
    .step("claiming a request (security_requests)")?;
    Ok(())
}

pub async fn renew(conn: &mut Conn, id: i64, lease_until: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE security_requests SET lease_expires_ms = $1, updated_ms = $2 WHERE id = $3")
        .bind(lease_until)
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await
        .step("renewing a claim (security_requests)")?;
    Ok(())
}

/// Nobody holds the request any more; it moves to `state`.
pub async fn put_down(conn: &mut Conn, id: i64, state: RequestState, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE security_requests SET state = $1, assignee_id = NULL, lease_expires_ms = NULL, updated_ms = $2 WHERE id = $3",
    )
    .bind(state)
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await
    .step("moving a request on (security_requests)")?;
    Ok(())
}

pub async fn set_escalated_by(conn: &mut Conn, id: i64, agent_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE security_requests SET escalated_by = $1 WHERE id = $2")
        .bind(agent_id)
        .bind(id)
        .execute(conn)
        .await
        .step("noting who escalated (security_requests)")?;
    Ok(())
}

pub async fn set_first_approver(conn: &mut Conn, id: i64, agent_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE security_requests SET first_approver_id = $1 WHERE id = $2")
        .bind(agent_id)
        .bind(id)
        .execute(conn)
        .await
        .step("noting the first approver (security_requests)")?;
    Ok(())
}

/// Approved once: it waits, held by nobody, for a second approver.
pub async fn await_second_approval(conn: &mut Conn, id: i64, first_approver: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE security_requests SET state = 'awaiting_second_approval', first_approver_id = $1, assignee_id = NULL, \
         lease_expires_ms = NULL, updated_ms = $2 WHERE id = $3",
    )
    .bind(first_approver)
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await
    .step("waiting for a second approval (security_requests)")?;
    Ok(())
}

/// Approved: it applies at `apply_at_ms` unless the cancel link is used first.
pub async fn approve(conn: &mut Conn, id: i64, apply_at_ms: i64, cancel_hash: &str, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE security_requests SET state = 'approved', apply_at_ms = $1, cancel_token_hash = $2, assignee_id = NULL, \
         lease_expires_ms = NULL, updated_ms = $3 WHERE id = $4",
    )
    .bind(apply_at_ms)
    .bind(cancel_hash)
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await
    .step("approving a request (security_requests)")?;
    Ok(())
}

pub async fn set_reply_link(conn: &mut Conn, id: i64, token_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE security_requests SET reply_token_hash = $1 WHERE id = $2")
        .bind(token_hash)
        .bind(id)
        .execute(conn)
        .await
        .step("storing a reply link (security_requests)")?;
    Ok(())
}

/// Takes one of the contact code's tries while fewer than `max` were taken; answers the stored
/// code hash (absent once confirmed), or `None` when no try was left.
pub async fn take_contact_try(conn: &mut Conn, id: i64, max: i64) -> StoreResult<Option<Option<String>>> {
    sqlx::query_scalar(
        "UPDATE security_requests SET contact_attempts = contact_attempts + 1 WHERE id = $1 AND contact_attempts < $2 \
         RETURNING contact_code_hash",
    )
    .bind(id)
    .bind(max)
    .fetch_optional(conn)
    .await
    .step("taking a contact code try (security_requests)")
}

/// Moves the request to `state` and spends the link or code the move came through.
pub async fn move_through(
    conn: &mut Conn,
    id: i64,
    through: Through,
    state: RequestState,
    now_ms: i64,
) -> StoreResult<()> {
    let sql = match through {
        Through::Nothing => "UPDATE security_requests SET state = $1, updated_ms = $2 WHERE id = $3",
        Through::ContactCode => {
            "UPDATE security_requests SET state = $1, contact_code_hash = NULL, updated_ms = $2 WHERE id = $3"
        }
        Through::ReplyLink => {
            "UPDATE security_requests SET state = $1, reply_token_hash = NULL, updated_ms = $2 WHERE id = $3"
        }
        Through::CancelLink => {
            "UPDATE security_requests SET state = $1, cancel_token_hash = NULL, updated_ms = $2 WHERE id = $3"
        }
    };
    sqlx::query(sql)
        .bind(state)
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await
        .step("moving a request on (security_requests)")?;
    Ok(())
}

/// What a move by the user or the service came through.
#[derive(Debug, Clone, Copy)]
pub enum Through {
    Nothing,
    ContactCode,
    ReplyLink,
    CancelLink,
}

/// Approved requests whose cooling-off has passed, soonest first.
pub async fn due_to_apply(conn: &mut Conn, now_ms: i64) -> StoreResult<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM security_requests WHERE state = 'approved' AND apply_at_ms <= $1 ORDER BY apply_at_ms",
    )
    .bind(now_ms)
    .fetch_all(conn)
    .await
    .step("finding changes due (security_requests)")
}

pub async fn insert_note(conn: &mut Conn, id: i64, author: &str, now_ms: i64, text: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO request_notes (request_id, author, at_ms, text) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(author)
        .bind(now_ms)
        .bind(text)
        .execute(conn)
        .await
        .step("adding a note (request_notes)")?;
    Ok(())
}

pub struct NewStep<'a> {
    pub request_id: i64,
    pub at_ms: i64,
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub from: RequestState,
    pub to: RequestState,
    pub note: Option<&'a str>,
}

pub async fn insert_step(conn: &mut Conn, s: &NewStep<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO request_steps (request_id, at_ms, actor, action, from_state, to_state, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.request_id)
    .bind(s.at_ms)
    .bind(s.actor)
    .bind(s.action)
    .bind(s.from)
    .bind(s.to)
    .bind(s.note)
    .execute(conn)
    .await
    .step("recording a step (request_steps)")?;
    Ok(())
}

/// A request as the queue lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub reference: String,
    pub state: RequestState,
    pub risk: RiskLevel,
    pub change_kind: ChangeKind,
    pub account_id: Option<i64>,
    pub username: Option<String>,
    pub submitted_ms: i64,
    pub sla_due_ms: i64,
    pub assignee_name: Option<String>,
    pub assignee_id: Option<i64>,
}

const ITEM: &str =
    "SELECT r.id, r.reference, r.state, r.risk, r.change_kind, r.account_id, a.username, r.submitted_ms, \
                    r.sla_due_ms, g.name AS assignee_name, r.assignee_id \
                    FROM security_requests r LEFT JOIN accounts a ON a.id = r.account_id \
                    LEFT JOIN agents g ON g.id = r.assignee_id";

/// Whose requests a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum Assignee {
    Anyone,
    Nobody,
    Agent(i64),
}

/// A page of the queue: filters, and the (due time, id) the previous page ended at.
pub struct Listing {
    pub state: Option<RequestState>,
    pub assignee: Assignee,
    pub risk: Option<RiskLevel>,
    pub submitted_before_ms: Option<i64>,
    pub after: Option<(i64, i64)>,
}

/// Confirmed requests in SLA order.
pub async fn list(conn: &mut Conn, l: &Listing, limit: i64) -> StoreResult<Vec<ItemRow>> {
    let mut qb = Builder::new(ITEM);
    qb.push(" WHERE r.state <> 'unconfirmed'");
    if let Some(s) = l.state {
        qb.push(" AND r.state = ").push_bind(s);
    }
    match l.assignee {
        Assignee::Anyone => {}
        Assignee::Nobody => {
            qb.push(" AND r.assignee_id IS NULL");
        }
        Assignee::Agent(id) => {
            qb.push(" AND r.assignee_id = ").push_bind(id);
        }
    }
    if let Some(r) = l.risk {
        qb.push(" AND r.risk = ").push_bind(r);
    }
    if let Some(before) = l.submitted_before_ms {
        qb.push(" AND r.submitted_ms <= ").push_bind(before);
    }
    if let Some((due, id)) = l.after {
        qb.push(" AND (r.sla_due_ms > ")
            .push_bind(due)
            .push(" OR (r.sla_due_ms = ")
            .push_bind(due)
            .push(" AND r.id > ")
            .push_bind(id)
            .push("))");
    }
    qb.push(" ORDER BY r.sla_due_ms, r.id LIMIT ").push_bind(limit);
    qb.fetch_all(conn).await.step("listing the queue (security_requests)")
}

pub async fn item(conn: &mut Conn, id: i64) -> StoreResult<Option<ItemRow>> {
    sqlx::query_as(&format!("{ITEM} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .step("reading a request (security_requests)")
}

/// The account's other confirmed requests, newest first.
pub async fn earlier(conn: &mut Conn, account_id: i64, except_id: i64) -> StoreResult<Vec<ItemRow>> {
    sqlx::query_as(&format!(
        "{ITEM} WHERE r.account_id = $1 AND r.id <> $2 AND r.state <> 'unconfirmed' ORDER BY r.id DESC LIMIT 10"
    ))
    .bind(account_id)
    .bind(except_id)
    .fetch_all(conn)
    .await
    .step("reading an account's earlier requests (security_requests)")
}

/// Requests filed for the account since then.
pub async fn count_for_account_since(conn: &mut Conn, account_id: i64, since_ms: i64) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM security_requests WHERE account_id = $1 AND submitted_ms > $2")
        .bind(account_id)
        .bind(since_ms)
        .fetch_one(conn)
        .await
        .step("counting an account's requests (security_requests)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct StateCount {
    pub state: RequestState,
    pub count: i64,
}

/// Confirmed requests per state (states without any are absent).
pub async fn counts(conn: &mut Conn) -> StoreResult<Vec<StateCount>> {
    sqlx::query_as("SELECT state, COUNT(*) AS count FROM security_requests WHERE state <> 'unconfirmed' GROUP BY state")
        .fetch_all(conn)
        .await
        .step("counting the queue (security_requests)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct NoteRow {
    pub author: String,
    pub at_ms: i64,
    pub text: String,
}

pub async fn notes(conn: &mut Conn, id: i64) -> StoreResult<Vec<NoteRow>> {
    sqlx::query_as("SELECT author, at_ms, text FROM request_notes WHERE request_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(conn)
        .await
        .step("reading a request's notes (request_notes)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct StepRow {
    pub at_ms: i64,
    pub actor: Option<String>,
    pub action: String,
    pub from_state: RequestState,
    pub to_state: RequestState,
    pub note: Option<String>,
}

pub async fn steps(conn: &mut Conn, id: i64) -> StoreResult<Vec<StepRow>> {
    sqlx::query_as(
        "SELECT at_ms, actor, action, from_state, to_state, note FROM request_steps WHERE request_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await
    .step("reading a request's steps (request_steps)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct EvidenceRow {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

pub async fn evidence(conn: &mut Conn, id: i64) -> StoreResult<Vec<EvidenceRow>> {
    sqlx::query_as("SELECT id, name, content_type, size FROM evidence_files WHERE request_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(conn)
        .await
        .step("listing evidence (evidence_files)")
}

#[derive(Debug, sqlx::FromRow)]
pub struct StoredFile {
    pub name: String,
    pub content_type: String,
    /// The file's name in `evidence_dir` for evidence stored before migration 0013; empty since.
    pub stored_name: String,
    /// The bytes, for evidence received since migration 0013 (`None`: a file in `evidence_dir`).
    pub bytes: Option<Vec<u8>>,
}

/// An evidence file's record and, when the database holds them, its bytes: one statement.
pub async fn evidence_file(conn: &mut Conn, request_id: i64, file_id: i64) -> StoreResult<Option<StoredFile>> {
    sqlx::query_as(
        "SELECT f.name, f.content_type, f.stored_name, c.bytes FROM evidence_files f \
         LEFT JOIN evidence_content c ON c.file_id = f.id WHERE f.id = $1 AND f.request_id = $2",
    )
    .bind(file_id)
    .bind(request_id)
    .fetch_optional(conn)
    .await
    .step("reading an evidence file's record (evidence_files)")
}

pub struct NewEvidence<'a> {
    pub request_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub created_ms: i64,
}

/// Records an evidence file and keeps its bytes in `evidence_content`, where every instance reads
/// them.
pub async fn insert_evidence(conn: &mut Conn, e: &NewEvidence<'_>, bytes: &[u8]) -> StoreResult<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO evidence_files (request_id, name, content_type, size, stored_name, sha256, created_ms) \
         VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id",
    )
    .bind(e.request_id)
    .bind(e.name)
    .bind(e.content_type)
    .bind(e.size)
    .bind(e.sha256)
    .bind(e.created_ms)
    .fetch_one(&mut *conn)
    .await
    .step("recording an evidence file (evidence_files)")?;
    sqlx::query("INSERT INTO evidence_content (file_id, bytes) VALUES ($1, $2)")
        .bind(id)
        .bind(bytes)
        .execute(conn)
        .await
        .step("storing an evidence file's bytes (evidence_content)")?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct StaleFile {
    pub id: i64,
    pub stored_name: String,
}

/// Evidence of requests still unconfirmed that were filed at or before then (500 at a time).
pub async fn unconfirmed_evidence(conn: &mut Conn, filed_before_ms: i64) -> StoreResult<Vec<StaleFile>> {
    sqlx::query_as(
        "SELECT f.id, f.stored_name FROM evidence_files f JOIN security_requests r ON r.id = f.request_id \
         WHERE r.state = 'unconfirmed' AND r.submitted_ms <= $1 LIMIT 500",
    )
    .bind(filed_before_ms)
    .fetch_all(conn)
    .await
    .step("finding stale evidence (evidence_files)")
}

pub async fn delete_evidence(conn: &mut Conn, file_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM evidence_content WHERE file_id = $1")
        .bind(file_id)
        .execute(&mut *conn)
        .await
        .step("forgetting an evidence file's bytes (evidence_content)")?;
    sqlx::query("DELETE FROM evidence_files WHERE id = $1")
        .bind(file_id)
        .execute(conn)
        .await
        .step("forgetting an evidence file (evidence_files)")?;
    Ok(())
}

pub struct NewRequest<'a> {
    pub reference: &'a str,
    pub state: RequestState,
    pub risk: RiskLevel,
    pub risk_reasons: &'a str,
    pub change: ChangeKind,
    pub new_value: Option<&'a str>,
    pub identifier: &'a str,
    pub account_id: Option<i64>,
    pub contact_email: &'a str,
    pub contact_code_hash: Option<&'a str>,
    pub full_name: &'a str,
    pub country: &'a str,
    pub former_address: Option<&'a str>,
    pub account_age_years: Option<i64>,
    pub statement: &'a str,
    pub facts: &'a str,
    pub submitted_ms: i64,
    pub sla_due_ms: i64,
    pub escalated_by: Option<i64>,
    pub touches_two_factor: bool,
}

pub async fn insert(conn: &mut Conn, r: &NewRequest<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, new_value, identifier, \
         account_id, contact_email, contact_code_hash, full_name, country, former_address, account_age_years, statement, \
         facts, submitted_ms, sla_due_ms, updated_ms, escalated_by, touches_two_factor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $17, $19, $20) \
         RETURNING id",
    )
    .bind(r.reference)
    .bind(r.state)
    .bind(r.risk)
    .bind(r.risk_reasons)
    .bind(r.change)
    .bind(r.new_value)
    .bind(r.identifier)
    .bind(r.account_id)
    .bind(r.contact_email)
    .bind(r.contact_code_hash)
    .bind(r.full_name)
    .bind(r.country)
    .bind(r.former_address)
    .bind(r.account_age_years)
    .bind(r.statement)
    .bind(r.facts)
    .bind(r.submitted_ms)
    .bind(r.sla_due_ms)
    .bind(r.escalated_by)
    .bind(Flag(r.touches_two_factor))
    .fetch_one(conn)
    .await
    .step("filing a request (security_requests)")
}
