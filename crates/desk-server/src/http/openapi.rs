use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Recovery Desk API", version = "1", description = "The service behind the Recovery Desk console. Errors are RFC 9457 problem documents with a stable `code`."),
    paths(
        super::sessions::create,
        super::sessions::delete,
        super::sessions::me,
        super::sso::availability,
        super::sso::start,
        super::sso::finish,
        super::accounts::search,
        super::accounts::detail,
        super::actions::password_reset,
        super::actions::answer_reset,
        super::accounts::activity,
        super::accounts::address_check,
        super::accounts::reveal,
        super::requests::list,
        super::requests::counts,
        super::requests::claim_next,
        super::requests::detail,
        super::requests::claim,
        super::requests::renew,
        super::requests::release,
        super::requests::note,
        super::requests::decide,
        super::requests::second_approval,
        super::requests::reassign,
        super::requests::evidence,
        super::audit::list,
        super::audit::verify,
        super::audit::export,
        super::audit::figures,
        super::mail_events::receive,
        super::account_actions::unlock,
        super::account_actions::verification_email,
        super::account_actions::end_sessions,
        super::account_actions::challenge,
        super::account_actions::check,
        super::staff::list,
        super::staff::invite,
        super::staff::role,
        super::staff::disable,
        super::staff::enable,
        super::staff::mfa_reset,
        super::staff::approve_mfa_reset,
        super::staff::sso_settings,
        super::staff::set_sso,
    ),
    components(schemas(desk_api::Problem, desk_api::ErrorCode)),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
