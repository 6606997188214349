use axum::extract::{Path, State};
use axum::Json;
use desk_api::{AccountDetail, AccountSummary, Page};

use super::extract::{parse_id, ApiQuery, Authorized};
use crate::access;
use crate::domain::accounts::{self, SearchQuery, MAX_LIMIT};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Search accounts by username or display-name prefix, any of their email addresses, or id.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", security(("bearer" = [])),
    params(("q" = String, Query, description = "username, email, name or id"),
           ("limit" = Option<i64>, Query, description = "1 to 100, default 25"),
           ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, body = Page<AccountSummary>), (status = 422, body = desk_api::Problem)))]
pub async fn search(
    State(state): State<AppState>,
    _auth: Authorized<access::SearchAccounts>,
    ApiQuery(params): ApiQuery,
) -> ApiResult<Json<Page<AccountSummary>>> {
    let q = SearchQuery::parse(params.get("q").map(String::as_str).unwrap_or(""))?;
    let limit = match params.get("limit") {
        None => 25,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", format!("limit is a number from 1 to {MAX_LIMIT}")))?,
    };
    let after = accounts::decode_cursor(params.get("cursor").map(String::as_str))?;
    Ok(Json(accounts::search(&state.db, &q, after, limit).await?))
}

/// One account in detail, masked.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = AccountDetail), (status = 404, body = desk_api::Problem)))]
pub async fn detail(
    State(state): State<AppState>,
    _auth: Authorized<access::ViewAccount>,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountDetail>> {
    let id = parse_id(&id)?;
    Ok(Json(accounts::detail(&state.db, id, state.clock.now_ms(), state.config.reset_cooldown_secs).await?))
}
