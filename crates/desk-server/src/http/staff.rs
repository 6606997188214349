//! Staff administration (admins only): the list, invites, roles, disabling, authenticator resets
//! with a second admin's approval, and the single-sign-on switch. Rules live in `domain::staff`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use desk_api::{InviteRequest, InviteSent, RoleChange, SsoSettings, SsoSettingsChange, StaffChange, StaffMember};

use super::extract::{positive_id, ApiJson, ApiPath, Authorized};
use crate::access;
use crate::domain::staff;
use crate::error::ApiResult;
use crate::AppState;

type Admin = Authorized<access::ManageStaff>;

fn staff_id(raw: &str) -> ApiResult<i64> {
    positive_id(raw, "id", "a staff id")
}

/// Every staff member with role, status, last sign-in, enrolment state and any reset waiting.
#[utoipa::path(get, path = "/v1/staff", tag = "staff", operation_id = "list_staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffMember>),
              (status = 403, description = "not an admin")))]
pub async fn list(State(state): State<AppState>, _auth: Admin) -> ApiResult<Json<Vec<StaffMember>>> {
    Ok(Json(staff::list(&state.db, state.clock.now_ms()).await?))
}

/// Invite an agent, lead or admin: mails a single-use enrolment link (48 h).
#[utoipa::path(post, path = "/v1/staff/invites", tag = "staff", operation_id = "invite_staff", security(("bearer" = [])), request_body = InviteRequest,
    responses((status = 201, body = InviteSent),
              (status = 403, description = "`forbidden`: not an admin"),
              (status = 409, description = "staff_exists: that address has enrolled")))]
pub async fn invite(
    State(state): State<AppState>,
    auth: Admin,
    ApiJson(req): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<InviteSent>)> {
    let sent = staff::invite(&state.db, &auth.acting(&state), &req).await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// Change a staff member's role. Nobody raises their own; the last active admin stays admin.
#[utoipa::path(post, path = "/v1/staff/{id}/role", tag = "staff", operation_id = "change_staff_role", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = RoleChange,
    responses((status = 200, body = StaffMember),
              (status = 403, description = "not an admin, or own_change"),
              (status = 409, description = "last_admin")))]
pub async fn role(
    State(state): State<AppState>,
    auth: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<RoleChange>,
) -> ApiResult<Json<StaffMember>> {
    let id = staff_id(&id)?;
    Ok(Json(staff::change_role(&state.db, &auth.acting(&state), id, &req).await?))
}

/// Disable a staff member: they cannot sign in, and every session of theirs ends at once.
#[utoipa::path(post, path = "/v1/staff/{id}/disable", tag = "staff", operation_id = "disable_staff", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = StaffChange,
    responses((status = 200, body = StaffMember),
              (status = 403, description = "not an admin, or own_change"),
              (status = 409, description = "invalid_state or last_admin")))]
pub async fn disable(
    State(state): State<AppState>,
    auth: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<StaffChange>,
) -> ApiResult<Json<StaffMember>> {
    let id = staff_id(&id)?;
    Ok(Json(staff::set_disabled(&state.db, &auth.acting(&state), id, true, &req).await?))
}

/// Re-enable a disabled staff member.
#[utoipa::path(post, path = "/v1/staff/{id}/enable", tag = "staff", operation_id = "enable_staff", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = StaffChange,
    responses((status = 200, body = StaffMember),
              (status = 403, description = "`forbidden`: not an admin"),
              (status = 409, description = "not disabled")))]
pub async fn enable(
    State(state): State<AppState>,
    auth: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<StaffChange>,
) -> ApiResult<Json<StaffMember>> {
    let id = staff_id(&id)?;
    Ok(Json(staff::set_disabled(&state.db, &auth.acting(&state), id, false, &req).await?))
}

/// Ask for a reset of a staff member's authenticator; a second admin must approve it.
#[utoipa::path(post, path = "/v1/staff/{id}/mfa-reset", tag = "staff", operation_id = "request_mfa_reset", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = StaffChange,
    responses((status = 200, body = StaffMember),
              (status = 403, description = "`forbidden`: not an admin"),
              (status = 409, description = "a reset already waits, or nothing is enrolled")))]
pub async fn mfa_reset(
    State(state): State<AppState>,
    auth: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<StaffChange>,
) -> ApiResult<Json<StaffMember>> {
    let id = staff_id(&id)?;
    Ok(Json(staff::request_mfa_reset(&state.db, &auth.acting(&state), id, &req).await?))
}

/// Approve an authenticator reset another admin asked for: the old authenticator and backup
/// codes stop working, every session ends, and a link to enrol a new one is mailed.
#[utoipa::path(post, path = "/v1/staff/mfa-resets/{reset_id}/approve", tag = "staff", operation_id = "approve_mfa_reset", security(("bearer" = [])),
    params(("reset_id" = i64, Path, minimum = 1)), request_body = StaffChange,
    responses((status = 200, body = StaffMember),
              (status = 403, description = "own_change: your own request, or your own authenticator"),
              (status = 409, description = "approved already")))]
pub async fn approve_mfa_reset(
    State(state): State<AppState>,
    auth: Admin,
    ApiPath(reset_id): ApiPath<String>,
    ApiJson(req): ApiJson<StaffChange>,
) -> ApiResult<Json<StaffMember>> {
    let reset_id = positive_id(&reset_id, "reset_id", "a reset id")?;
    Ok(Json(staff::approve_mfa_reset(&state.db, &auth.acting(&state), reset_id, &req).await?))
}

/// Whether single sign-on is configured and required.
#[utoipa::path(get, path = "/v1/settings/sso", tag = "staff", operation_id = "sso_settings", security(("bearer" = [])),
    responses((status = 200, body = SsoSettings),
              (status = 403, description = "`forbidden`: not an admin")))]
pub async fn sso_settings(State(state): State<AppState>, _auth: Admin) -> ApiResult<Json<SsoSettings>> {
    Ok(Json(staff::sso_settings(&state.db, &state.config).await?))
}

/// Require single sign-on for everyone (or stop requiring it).
#[utoipa::path(put, path = "/v1/settings/sso", tag = "staff", operation_id = "set_sso_settings", security(("bearer" = [])), request_body = SsoSettingsChange,
    responses((status = 200, body = SsoSettings),
              (status = 403, description = "`forbidden`: not an admin"),
              (status = 409, description = "no OpenID provider configured")))]
pub async fn set_sso(
    State(state): State<AppState>,
    auth: Admin,
    ApiJson(req): ApiJson<SsoSettingsChange>,
) -> ApiResult<Json<SsoSettings>> {
    let change = StaffChange { reason: req.reason.clone(), ticket: req.ticket.clone() };
    Ok(Json(staff::set_sso_required(&state.db, &auth.acting(&state), req.required, &change).await?))
}
