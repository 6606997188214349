use axum::extract::State;
use axum::Json;
use desk_api::{
    AccountDetail, AccountSummary, ActivityEvent, AddressCheckRequest, AddressCheckResult, EmailAddress, Page,
    RevealRequest, RevealedAddress, Ticket,
};

use super::extract::{parse_id, positive_id, ApiJson, ApiPath, ApiQuery, Authorized};
use crate::access;
use crate::domain::accounts::{self, SearchQuery, MAX_LIMIT};
use crate::domain::search::SearchCursor;
use crate::domain::{caller_verification, events, Acting};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Search accounts by username or display-name prefix (from one character), any of their email
/// addresses, phone number or id: exact matches first, then prefixes in the order of what matched,
/// then accounts whose name, username or an address's local part contains the text (3 characters
/// or more).
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", operation_id = "search_accounts", security(("bearer" = [])),
    params(("q" = String, Query, description = "username, email, name, phone number or id, or a part of a name, username or address; spaces around it are ignored",
                max_length = 254, pattern = r"^[^\x00-\x1f\x7f-\x9f\ufffd]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufffd][^\x00-\x1f\x7f-\x9f\ufffd]*$(?!\n)"),
           ("limit" = Option<i64>, Query, description = "default 25", minimum = 1, maximum = 100),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty: the first",
                max_length = 4200, pattern = r"^(b(-|([0-9a-f]{2}){0,1024})\.(-|([0-9a-f]{2}){0,1024})\.[0-9]{1,18}|c[0-9]{1,18})?$(?!\n)")),
    responses((status = 200, body = Page<AccountSummary>)))]
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
    let at = SearchCursor::decode(params.get("cursor").map(String::as_str))?;
    Ok(Json(accounts::search(&state.db, &q, &at, limit).await?))
}

/// One account in detail, masked.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", operation_id = "account_detail", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = AccountDetail)))]
pub async fn detail(
    State(state): State<AppState>,
    _auth: Authorized<access::ViewAccount>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AccountDetail>> {
    let id = parse_id(&id)?;
    let now = state.clock.now_ms();
    let mut detail = accounts::detail(&state.db, id, now, state.config.reset_cooldown_secs).await?;
    detail.caller_verified = caller_verification::current(&state.db, &state.config, id, now).await?;
    Ok(Json(detail))
}

/// The account's recovery activity, newest first.
#[utoipa::path(get, path = "/v1/accounts/{id}/activity", tag = "accounts", operation_id = "account_activity",
    security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty: the newest",
                pattern = r"^(v[0-9]{1,18})?$(?!\n)")),
    responses((status = 200, body = Page<ActivityEvent>)))]
pub async fn activity(
    State(state): State<AppState>,
    _auth: Authorized<access::ViewAccount>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery,
) -> ApiResult<Json<Page<ActivityEvent>>> {
    let id = parse_id(&id)?;
    let before = events::decode_cursor(params.get("cursor").map(String::as_str))
        .ok_or_else(|| ApiError::invalid("cursor", "this cursor is not one the service gave out"))?;
    Ok(Json(accounts::activity(&state.db, id, before, state.clock.now_ms()).await?))
}

/// Does the address the user states match one on file? Answers without revealing any address.
#[utoipa::path(post, path = "/v1/accounts/{id}/address-check", tag = "accounts", operation_id = "address_check",
    security(("bearer" = [])), params(("id" = i64, Path, minimum = 1)), request_body = AddressCheckRequest,
    responses((status = 200, body = AddressCheckResult)))]
pub async fn address_check(
    State(state): State<AppState>,
    auth: Authorized<access::ViewAccount>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AddressCheckRequest>,
) -> ApiResult<Json<AddressCheckResult>> {
    let id = parse_id(&id)?;
    let address = EmailAddress::parse_exact(&req.address).map_err(|m| ApiError::invalid("address", m))?;
    let actor = auth.session.actor(&auth.client);
    let result = accounts::check_address(&state.db, state.clock.now_ms(), &actor, id, &address).await?;
    Ok(Json(result))
}

/// The full address, for a stated reason; the reveal is on record before it is answered.
#[utoipa::path(post, path = "/v1/accounts/{id}/emails/{email_id}/reveal", tag = "accounts", operation_id = "reveal_address",
    security(("bearer" = [])), params(("id" = i64, Path, minimum = 1), ("email_id" = i64, Path, minimum = 1)),
    request_body = RevealRequest,
    responses((status = 200, body = RevealedAddress),
              (status = 404, description = "`not_found`: no such account, or the address is not the account's"),
              (status = 403, description = "`caller_verification_required`: the caller was not verified within the window")))]
pub async fn reveal(
    State(state): State<AppState>,
    auth: Authorized<access::RevealAddress>,
    ApiPath((id, email_id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<RevealedAddress>> {
    let id = parse_id(&id)?;
    let email_id = positive_id(&email_id, "email_id", "an email id")?;
    let reason = req.reason.as_str();
    let chars = reason.chars().count();
    if reason.trim() != reason || !(10..=500).contains(&chars) {
        return Err(ApiError::invalid(
            "reason",
            "say why the full address is needed (10 to 500 characters, no spaces around them)",
        ));
    }
    let ticket = Ticket::parse(&req.ticket).map_err(|m| ApiError::invalid("ticket", m))?;
    crate::domain::recovery::ticket_has_the_form(&state.config, &ticket)?;
    let by =
        Acting { config: &state.config, now_ms: state.clock.now_ms(), session: &auth.session, client: &auth.client };
    let address = accounts::reveal(&state.db, &by, id, email_id, reason, &ticket).await?;
    Ok(Json(RevealedAddress { address }))
}
