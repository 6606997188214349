use axum::Json;
use desk_api::ServiceVersion;

/// Which build of the service answers. Public, like the OpenAPI document: the console's About box
/// asks it before anyone signs in (a version mismatch is a reason a sign-in fails), and it says
/// nothing about accounts, staff or the audit log.
#[utoipa::path(get, path = "/v1/version", tag = "service", operation_id = "version",
    responses((status = 200, body = ServiceVersion)))]
pub async fn version() -> Json<ServiceVersion> {
    Json(ServiceVersion { version: env!("CARGO_PKG_VERSION").to_string(), api: "v1".to_string() })
}
