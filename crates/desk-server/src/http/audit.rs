use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use desk_api::{AuditEntry, AuditFilter, ExportFormat, Figures, Page, VerifyChunk};

use super::extract::{positive_id, ApiQuery, Authorized};
use crate::access;
use crate::audit::{self, query, verify};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

type Params = std::collections::HashMap<String, String>;

// A parameter that is present is parsed, even when empty: the API description says which
// values each takes, and an empty one is none of them.
fn int(p: &Params, key: &'static str) -> ApiResult<Option<i64>> {
    p.get(key).map(|v| positive_id(v, key, key)).transpose()
}

fn time(p: &Params, key: &'static str) -> ApiResult<Option<DateTime<Utc>>> {
    p.get(key)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::invalid(key, format!("{key} is an RFC 3339 time such as 2026-11-26T09:00:00Z")))
        })
        .transpose()
}

fn text(p: &Params, key: &'static str) -> ApiResult<Option<String>> {
    match p.get(key) {
        None => Ok(None),
        Some(v) if (1..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Ok(Some(v.clone()))
        }
        Some(_) => Err(ApiError::invalid(key, format!("{key} is a code of letters, digits and _"))),
    }
}

fn filter(p: &Params) -> ApiResult<AuditFilter> {
    // A `to` at or before `from` is an empty period: it matches nothing, like any other filter.
    Ok(AuditFilter {
        agent: int(p, "agent")?,
        action: text(p, "action")?,
        account: int(p, "account")?,
        request: int(p, "request")?,
        outcome: text(p, "outcome")?,
        from: time(p, "from")?,
        to: time(p, "to")?,
    })
}

/// The audit log, newest first, filtered.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", operation_id = "audit_list", security(("bearer" = [])),
    params(AuditFilter,
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty: the newest",
                pattern = r"^(e[0-9]{1,18})?$(?!\n)"),
           ("limit" = Option<i64>, Query, description = "default 100", minimum = 1, maximum = 500)),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, description = "`forbidden`: leads and admins only")))]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authorized<access::ReadAudit>,
    ApiQuery(p): ApiQuery,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let f = filter(&p)?;
    let before = query::decode_cursor(p.get("cursor").map(String::as_str))
        .ok_or_else(|| ApiError::invalid("cursor", "this cursor is not one the service gave out"))?;
    let limit = match int(&p, "limit")? {
        None => 100,
        Some(l) if l <= query::PAGE_MAX => l,
        Some(_) => return Err(ApiError::invalid("limit", format!("limit is at most {}", query::PAGE_MAX))),
    };
    Ok(Json(query::page(&state.db, &f, before, limit).await?))
}

/// Checks one stretch of the chain; pass `last_id` back as `after` until `done`.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", operation_id = "audit_verify", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "the `last_id` of the previous stretch; 0 to start", minimum = 0),
           ("limit" = Option<i64>, Query, description = "default 5000", minimum = 1, maximum = 20000)),
    responses((status = 200, body = VerifyChunk), (status = 403, description = "`forbidden`: leads and admins only")))]
pub async fn verify(
    State(state): State<AppState>,
    auth: Authorized<access::ReadAudit>,
    ApiQuery(p): ApiQuery,
) -> ApiResult<Json<VerifyChunk>> {
    let after = match p.get("after").filter(|v| !v.is_empty()) {
        None => 0,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid("after", "after is an entry id (0 to start)"))?,
    };
    let limit = int(&p, "limit")?.unwrap_or(5_000);
    if limit > verify::MAX_CHUNK {
        return Err(ApiError::invalid("limit", format!("limit is at most {}", verify::MAX_CHUNK)));
    }
    let checkpoints = state.config.audit_checkpoint_path();
    let stretch = verify::Stretch { session_id: auth.session.id, after, limit };
    let actor = auth.session.actor(&auth.client);
    let chunk =
        verify::walk(&state.db, &state.keys, checkpoints.as_deref(), &actor, state.clock.now_ms(), stretch).await?;
    Ok(Json(chunk))
}

/// The filtered log as CSV or NDJSON, oldest first, streamed.
#[utoipa::path(get, path = "/v1/audit/export", tag = "audit", operation_id = "audit_export", security(("bearer" = [])),
    params(AuditFilter, ("format" = Option<ExportFormat>, Query, description = "default `csv`")),
    responses((status = 200, description = "The entries, oldest first, as an attachment",
               content((String = "text/csv"), (String = "application/x-ndjson"))),
              (status = 403, description = "`forbidden`: leads and admins only")))]
pub async fn export(
    State(state): State<AppState>,
    auth: Authorized<access::ReadAudit>,
    ApiQuery(p): ApiQuery,
) -> ApiResult<Response> {
    let f = filter(&p)?;
    let format = match p.get("format").map(String::as_str) {
        Some("csv") | None => ExportFormat::Csv,
        Some("ndjson") => ExportFormat::Ndjson,
        Some(_) => return Err(ApiError::invalid("format", "format is csv or ndjson")),
    };
    // The export is a sensitive read: it is on record before a byte leaves.
    query::record_export(&state.db, state.clock.now_ms(), &auth.session.actor(&auth.client), &f, format).await?;
    let (content_type, ext) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let body = Body::from_stream(query::export_stream(state.db.clone(), f, format));
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"audit.{ext}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Per-agent figures and anomaly flags for a period (default: the last 7 days).
///
/// A period longer than a year is cut to the year before `to`, and one whose `to` is not after
/// its `from` is empty: the answer's `from` and `to` say which period the figures cover.
#[utoipa::path(get, path = "/v1/audit/figures", tag = "audit", operation_id = "audit_figures", security(("bearer" = [])),
    params(("from" = Option<DateTime<Utc>>, Query, description = "default: 7 days before `to`"),
           ("to" = Option<DateTime<Utc>>, Query, description = "default: now")),
    responses((status = 200, body = Figures), (status = 403, description = "`forbidden`: leads and admins only")))]
pub async fn figures(
    State(state): State<AppState>,
    _auth: Authorized<access::ReadAudit>,
    ApiQuery(p): ApiQuery,
) -> ApiResult<Json<Figures>> {
    let to = time(&p, "to")?.unwrap_or_else(|| state.clock.now() + Duration::seconds(1));
    let from = time(&p, "from")?.unwrap_or(to - Duration::days(7)).clamp(to - Duration::days(366), to);
    Ok(Json(audit::figures::figures(&state.db, from, to).await?))
}
