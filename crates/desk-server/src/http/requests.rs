//! The queue API. Role and state rules live in `domain::queue::transitions`; handlers only parse.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use desk_api::{
    DecisionRequest, NoteRequest, Page, QueueFilter, QueueItem, ReassignRequest, RequestDetail, RequestState,
    RiskLevel, StateCount,
};
use serde_json::json;

use super::extract::{parse_id, ApiJson, ApiQuery, Authorized};
use crate::access;
use crate::audit::{self, AuditAction, Entry};
use crate::db::begin_write;
use crate::domain::queue::{self, transitions::Act, Input};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

type Auth = Authorized<access::WorkQueue>;

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::invalid("id", "a request id is a positive whole number"))
}

async fn answer(state: &AppState, id: i64) -> ApiResult<Json<RequestDetail>> {
    Ok(Json(queue::detail(&state.db, id, state.clock.now_ms()).await?))
}

async fn act(state: &AppState, auth: &Auth, id: &str, act: Act, input: Input) -> ApiResult<Json<RequestDetail>> {
    let id = id_of(id)?;
    queue::perform(&state.db, &state.config, state.clock.now_ms(), &auth.session, &auth.client, id, act, input).await?;
    answer(state, id).await
}

/// The queue, in SLA order.
#[utoipa::path(get, path = "/v1/requests", tag = "queue", security(("bearer" = [])),
    params(("state" = Option<String>, Query), ("assignee" = Option<String>, Query, description = "me, none or an agent id"),
           ("risk" = Option<String>, Query), ("min_age_hours" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<QueueItem>)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery,
) -> ApiResult<Json<Page<QueueItem>>> {
    let f = QueueFilter {
        state: match p.get("state").filter(|s| !s.is_empty()) {
            Some(s) => Some(RequestState::parse(s).ok_or_else(|| ApiError::invalid("state", "not a request state"))?),
            None => None,
        },
        assignee: p.get("assignee").cloned(),
        risk: match p.get("risk").filter(|s| !s.is_empty()) {
            Some(s) => {
                Some(RiskLevel::parse(s).ok_or_else(|| ApiError::invalid("risk", "risk is low, medium or high"))?)
            }
            None => None,
        },
        min_age_hours: match p.get("min_age_hours").filter(|s| !s.is_empty()) {
            Some(s) => Some(
                s.parse::<i64>()
                    .ok()
                    .filter(|h| *h >= 0)
                    .ok_or_else(|| ApiError::invalid("min_age_hours", "a whole number of hours"))?,
            ),
            None => None,
        },
    };
    let cursor = queue::decode_cursor(p.get("cursor").map(String::as_str))
        .ok_or_else(|| ApiError::invalid("cursor", "this cursor is not one the service gave out"))?;
    Ok(Json(queue::list(&state.db, &f, auth.session.agent.id, state.clock.now_ms(), cursor, 50).await?))
}

/// Requests per state.
#[utoipa::path(get, path = "/v1/requests/counts", tag = "queue", security(("bearer" = [])), responses((status = 200, body = Vec<StateCount>)))]
pub async fn counts(State(state): State<AppState>, _auth: Auth) -> ApiResult<Json<Vec<StateCount>>> {
    Ok(Json(queue::counts(&state.db).await?))
}

/// Claims the request due soonest (atomic; a claim is a lease that must be renewed).
#[utoipa::path(post, path = "/v1/requests/claim-next", tag = "queue", security(("bearer" = [])),
    responses((status = 200, body = RequestDetail), (status = 409, body = desk_api::Problem, description = "queue_empty")))]
pub async fn claim_next(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<RequestDetail>> {
    let id = queue::claim_next(&state.db, &state.config, state.clock.now_ms(), &auth.session, &auth.client).await?;
    answer(&state, id).await
}

#[utoipa::path(get, path = "/v1/requests/{id}", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RequestDetail), (status = 404, body = desk_api::Problem)))]
pub async fn detail(
    State(state): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestDetail>> {
    answer(&state, id_of(&id)?).await
}

#[utoipa::path(post, path = "/v1/requests/{id}/claim", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RequestDetail), (status = 409, body = desk_api::Problem)))]
pub async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Claim, Input::default()).await
}

#[utoipa::path(post, path = "/v1/requests/{id}/renew", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RequestDetail), (status = 409, body = desk_api::Problem)))]
pub async fn renew(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Renew, Input::default()).await
}

#[utoipa::path(post, path = "/v1/requests/{id}/release", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 409, body = desk_api::Problem)))]
pub async fn release(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let _released = act(&state, &auth, &id, Act::Release, Input::default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/requests/{id}/notes", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = NoteRequest, responses((status = 200, body = RequestDetail)))]
pub async fn note(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteRequest>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Note, Input { note: Some(req.text), ..Default::default() }).await
}

/// Approve, reject, ask for more information, or escalate — with the checklist and a note.
#[utoipa::path(post, path = "/v1/requests/{id}/decision", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = DecisionRequest, responses((status = 200, body = RequestDetail), (status = 403, body = desk_api::Problem), (status = 409, body = desk_api::Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<RequestDetail>> {
    let input = Input { note: Some(req.note), message: req.message, checklist: req.checklist, reassign_to: None };
    act(&state, &auth, &id, queue::act_of_decision(req.decision), input).await
}

/// The second approval of a high-risk change or a removal of 2FA: a lead who did not approve first.
#[utoipa::path(post, path = "/v1/requests/{id}/second-approval", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = NoteRequest, responses((status = 200, body = RequestDetail), (status = 403, body = desk_api::Problem), (status = 409, body = desk_api::Problem)))]
pub async fn second_approval(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteRequest>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::SecondApprove, Input { note: Some(req.text), ..Default::default() }).await
}

/// Leads give a request to an agent.
#[utoipa::path(post, path = "/v1/requests/{id}/reassign", tag = "queue", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ReassignRequest, responses((status = 200, body = RequestDetail), (status = 403, body = desk_api::Problem)))]
pub async fn reassign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReassignRequest>,
) -> ApiResult<Json<RequestDetail>> {
    act(&state, &auth, &id, Act::Reassign, Input { reassign_to: Some(req.agent_id), ..Default::default() }).await
}

/// An evidence file; each view is on record.
#[utoipa::path(get, path = "/v1/requests/{id}/evidence/{file_id}", tag = "queue", security(("bearer" = [])),
    params(("id" = i64, Path), ("file_id" = i64, Path)), responses((status = 200, description = "the file"), (status = 404, body = desk_api::Problem)))]
pub async fn evidence(
    State(state): State<AppState>,
    auth: Authorized<access::ViewEvidence>,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = id_of(&id)?;
    let file = parse_id(&file).map_err(|_| ApiError::invalid("file_id", "a file id is a positive whole number"))?;
    let (name, content_type, bytes) = queue::evidence(&state.db, &state.config, id, file).await?;
    let mut tx = begin_write(&state.db).await?;
    audit::record(
        &mut tx,
        state.clock.now_ms(),
        &auth.session.actor(&auth.client),
        Entry {
            target_type: Some("request"),
            target_id: Some(id.to_string()),
            detail: json!({ "file": file, "name": name }),
            ..Entry::new(AuditAction::EvidenceView, "success")
        },
    )
    .await?;
    tx.commit().await?;
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
