//! The queue API. Role and state rules live in `domain::queue::transitions`; handlers only parse.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use desk_api::{
    AgentLoad, DecisionRequest, NoteRequest, Page, QueueFilter, QueueItem, ReassignRequest, RequestDetail,
    RequestState, RiskLevel, StateCount,
};

use super::extract::{positive_id, ApiJson, ApiPath, ApiQuery, Authorized, IdempotencyKey};
use crate::access;
use crate::domain::queue::{self, transitions::Act, Input};
use crate::domain::Acting;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

type Auth = Authorized<access::WorkQueue>;

/// A little over a century: larger ages would overflow the time they are subtracted from.
const MAX_AGE_HOURS: i64 = 1_000_000;

fn id_of(raw: &str) -> ApiResult<i64> {
    positive_id(raw, "id", "a request id")
}

async fn answer(state: &AppState, id: i64) -> ApiResult<Json<RequestDetail>> {
    Ok(Json(queue::detail(&state.db, id, state.clock.now_ms()).await?))
}

async fn act(state: &AppState, auth: &Auth, id: &str, act: Act, input: Input) -> ApiResult<Json<RequestDetail>> {
    let id = id_of(id)?;
    let by =
        Acting { config: &state.config, now_ms: state.clock.now_ms(), session: &auth.session, client: &auth.client };
    queue::perform(&state.db, &by, id, act, input).await?;
    answer(state, id).await
}

/// The queue, in SLA order.
#[utoipa::path(get, path = "/v1/requests", tag = "queue", operation_id = "queue_list", security(("bearer" = [])),
    params(("state" = Option<RequestState>, Query),
           ("assignee" = Option<String>, Query, description = "`me`, `none` or an agent id",
                pattern = r"^(me|none|[0-9]{1,18})$(?!\n)"),
           ("risk" = Option<RiskLevel>, Query),
           ("min_age_hours" = Option<i64>, Query, description = "only requests submitted at least this long ago",
                minimum = 0, maximum = 1000000),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty: the first",
                pattern = r"^(q[0-9]{1,18}\.[0-9]{1,18})?$(?!\n)")),
    responses((status = 200, body = Page<QueueItem>)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery,
) -> ApiResult<Json<Page<QueueItem>>> {
    let f = QueueFilter {
        state: match p.get("state") {
            Some(s) => Some(RequestState::parse(s).ok_or_else(|| ApiError::invalid("state", "not a request state"))?),
            None => None,
        },
        assignee: match p.get("assignee") {
            Some(a) if a == "me" || a == "none" || crate::domain::cursor_number(a).is_some() => Some(a.clone()),
            Some(_) => return Err(ApiError::invalid("assignee", "assignee is me, none or an agent id")),
            None => None,
        },
        risk: match p.get("risk") {
            Some(s) => {
                Some(RiskLevel::parse(s).ok_or_else(|| ApiError::invalid("risk", "risk is low, medium or high"))?)
            }
            None => None,
        },
        min_age_hours: match p.get("min_age_hours") {
            Some(s) => Some(
                s.parse::<i64>()
                    .ok()
                    .filter(|h| (0..=MAX_AGE_HOURS).contains(h))
                    .ok_or_else(|| ApiError::invalid("min_age_hours", "a whole number of hours, 0 to 1000000"))?,
            ),
            None => None,
        },
    };
    let cursor = queue::decode_cursor(p.get("cursor").map(String::as_str))
        .ok_or_else(|| ApiError::invalid("cursor", "this cursor is not one the service gave out"))?;
    Ok(Json(queue::list(&state.db, &f, auth.session.agent.id, state.clock.now_ms(), cursor, 50).await?))
}

/// Requests per state.
#[utoipa::path(get, path = "/v1/requests/counts", tag = "queue", operation_id = "queue_counts", security(("bearer" = [])),
    responses((status = 200, body = Vec<StateCount>)))]
pub async fn counts(State(state): State<AppState>, _auth: Auth) -> ApiResult<Json<Vec<StateCount>>> {
    Ok(Json(queue::counts(&state.db).await?))
}

/// Claims the request due soonest (atomic; a claim is a lease that must be renewed).
#[utoipa::path(post, path = "/v1/requests/claim-next", tag = "queue", operation_id = "claim_next", security(("bearer" = [])),
    responses((status = 200, body = RequestDetail), (status = 409, description = "`queue_empty`: nothing to claim")))]
pub async fn claim_next(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<RequestDetail>> {
    let by =
        Acting { config: &state.config, now_ms: state.clock.now_ms(), session: &auth.session, client: &auth.client };
    let id = queue::claim_next(&state.db, &by).await?;
    answer(&state, id).await
}

#[utoipa::path(get, path = "/v1/requests/{id}", tag = "queue", operation_id = "request_detail", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), responses((status = 200, body = RequestDetail)))]
pub async fn detail(
    State(state): State<AppState>,
    _auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RequestDetail>> {
    answer(&state, id_of(&id)?).await
}

#[utoipa::path(post, path = "/v1/requests/{id}/claim", tag = "queue", operation_id = "claim_request", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = RequestDetail), (status = 403, description = "`forbidden`: escalated requests are for leads"),
              (status = 409, description = "`claimed_by_other` or `invalid_state`")))]
pub async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Claim, Input::default()).await
}

#[utoipa::path(post, path = "/v1/requests/{id}/renew", tag = "queue", operation_id = "renew_claim", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = RequestDetail),
              (status = 409, description = "`claimed_by_other`, `lease_expired` or `invalid_state`")))]
pub async fn renew(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Renew, Input::default()).await
}

#[utoipa::path(post, path = "/v1/requests/{id}/release", tag = "queue", operation_id = "release_claim", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "Released"),
              (status = 409, description = "`claimed_by_other`, `lease_expired` or `invalid_state`")))]
pub async fn release(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    let _released = act(&state, &auth, &id, Act::Release, Input::default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/requests/{id}/notes", tag = "queue", operation_id = "add_note", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = NoteRequest,
    responses((status = 200, body = RequestDetail),
              (status = 409, description = "`invalid_state`: the request is not confirmed yet")))]
pub async fn note(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NoteRequest>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Note, Input { note: Some(req.text), ..Default::default() }).await
}

/// Approve, reject, ask for more information, or escalate — with the checklist and a note.
///
/// A retry with the same `Idempotency-Key` decides nothing again: it answers the request as it stands.
#[utoipa::path(post, path = "/v1/requests/{id}/decision", tag = "queue", operation_id = "decide", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1), IdempotencyKey), request_body = DecisionRequest,
    responses((status = 200, body = RequestDetail),
              (status = 403, description = "`forbidden`: an escalated request is for leads"),
              (status = 409, description = "`invalid_state`, `claimed_by_other`, `lease_expired`, `same_approver` \
                                            or `checklist_incomplete`")))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    key: IdempotencyKey,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<RequestDetail>> {
    let input = Input {
        note: Some(req.note),
        message: req.message,
        checklist: req.checklist,
        idempotency_key: Some(key.key),
        ..Default::default()
    };
    act(&state, &auth, &id, queue::act_of_decision(req.decision), input).await
}

/// The second approval of a high-risk change or a removal of 2FA: a lead who did not approve first.
///
/// A retry with the same `Idempotency-Key` approves nothing again: it answers the request as it stands.
#[utoipa::path(post, path = "/v1/requests/{id}/second-approval", tag = "queue", operation_id = "second_approval",
    security(("bearer" = [])), params(("id" = i64, Path, minimum = 1), IdempotencyKey), request_body = NoteRequest,
    responses((status = 200, body = RequestDetail), (status = 403, description = "`forbidden`: leads only"),
              (status = 409, description = "`invalid_state` or `same_approver`")))]
pub async fn second_approval(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    key: IdempotencyKey,
    ApiJson(req): ApiJson<NoteRequest>,
) -> ApiResult<Json<RequestDetail>> {
    let input = Input { note: Some(req.text), idempotency_key: Some(key.key), ..Default::default() };
    act(&state, &auth, &id, Act::SecondApprove, input).await
}

/// Active staff by name with the requests each holds now: whom a lead can hand a request to.
#[utoipa::path(get, path = "/v1/agents", tag = "queue", operation_id = "list_agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentLoad>),
              (status = 403, description = "leads only")))]
pub async fn agents(
    State(state): State<AppState>,
    _auth: Authorized<access::ListAgents>,
) -> ApiResult<Json<Vec<AgentLoad>>> {
    Ok(Json(queue::assignable_agents(&state.db).await?))
}

/// Leads give a request to an agent.
#[utoipa::path(post, path = "/v1/requests/{id}/reassign", tag = "queue", operation_id = "reassign", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = ReassignRequest,
    responses((status = 200, body = RequestDetail), (status = 403, description = "`forbidden`: leads only"),
              (status = 404, description = "`not_found`: no such request, or no such active agent"),
              (status = 409, description = "`invalid_state`")))]
pub async fn reassign(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReassignRequest>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Reassign, Input { reassign_to: Some(req.agent_id), ..Default::default() }).await
}

/// An evidence file; each view is on record.
#[utoipa::path(get, path = "/v1/requests/{id}/evidence/{file_id}", tag = "queue", operation_id = "evidence_file",
    security(("bearer" = [])), params(("id" = i64, Path, minimum = 1), ("file_id" = i64, Path, minimum = 1)),
    responses((status = 200, description = "The file, as an attachment",
               content((String = "image/png"), (String = "image/jpeg"), (String = "application/pdf")))))]
pub async fn evidence(
    State(state): State<AppState>,
    auth: Authorized<access::ViewEvidence>,
    ApiPath((id, file)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let id = id_of(&id)?;
    let file = positive_id(&file, "file_id", "a file id")?;
    let actor = auth.session.actor(&auth.client);
    let file = queue::view_evidence(&state.db, &state.config, state.clock.now_ms(), &actor, id, file).await?;
    let (content_type, bytes) = (file.content_type, file.bytes);
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // Evidence is never rendered by the service's origin: download only, no sniffing.
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(res)
}
