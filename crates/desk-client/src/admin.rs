//! The calls of issue 9 beside sign-in: staff administration (admins), the account actions of a
//! support call, and caller verification. Typed wrappers over one JSON call each.

use desk_api::{
    ActionDone, CallerChallenge, CallerChallengeRequest, CallerCodeRequest, CallerMethod, CallerVerified,
    InviteRequest, InviteSent, ResetRequest, RoleChange, SsoSettings, SsoSettingsChange, StaffChange, StaffMember,
};
use reqwest::Method;

use crate::client::NONE;
use crate::{ClientError, Console};

impl Console {
    pub async fn staff_list(&self) -> Result<Vec<StaffMember>, ClientError> {
        self.call(Method::GET, "/v1/staff".into(), NONE, None).await
    }

    pub async fn staff_invite(&self, req: InviteRequest) -> Result<InviteSent, ClientError> {
        self.call(Method::POST, "/v1/staff/invites".into(), Some(req), None).await
    }

    pub async fn staff_set_role(&self, id: i64, req: RoleChange) -> Result<StaffMember, ClientError> {
        self.call(Method::POST, format!("/v1/staff/{id}/role"), Some(req), None).await
    }

    /// `what` is `disable`, `enable` or `mfa-reset`.
    pub async fn staff_change(&self, id: i64, what: &str, req: StaffChange) -> Result<StaffMember, ClientError> {
        if !matches!(what, "disable" | "enable" | "mfa-reset") {
            return Err(ClientError::UnexpectedResponse(format!("no staff change called {what}")));
        }
        self.call(Method::POST, format!("/v1/staff/{id}/{what}"), Some(req), None).await
    }

    pub async fn staff_approve_mfa_reset(&self, reset_id: i64, req: StaffChange) -> Result<StaffMember, ClientError> {
        let path = format!("/v1/staff/mfa-resets/{reset_id}/approve");
        self.call(Method::POST, path, Some(req), None).await
    }

    pub async fn sso_settings(&self) -> Result<SsoSettings, ClientError> {
        self.call(Method::GET, "/v1/settings/sso".into(), NONE, None).await
    }

    pub async fn set_sso_required(&self, req: SsoSettingsChange) -> Result<SsoSettings, ClientError> {
        self.call(Method::PUT, "/v1/settings/sso".into(), Some(req), None).await
    }

    pub async fn unlock(&self, id: i64, req: ResetRequest, key: &str) -> Result<ActionDone, ClientError> {
        self.call(Method::POST, format!("/v1/accounts/{id}/unlock"), Some(req), Some(key)).await
    }

    pub async fn end_sessions(&self, id: i64, req: ResetRequest, key: &str) -> Result<ActionDone, ClientError> {
        let path = format!("/v1/accounts/{id}/end-sessions");
        self.call(Method::POST, path, Some(req), Some(key)).await
    }

    pub async fn verification_email(
        &self,
        id: i64,
        email_id: i64,
        req: ResetRequest,
        key: &str,
    ) -> Result<ActionDone, ClientError> {
        let path = format!("/v1/accounts/{id}/emails/{email_id}/verification");
        self.call(Method::POST, path, Some(req), Some(key)).await
    }

    pub async fn caller_challenge(&self, id: i64, method: CallerMethod) -> Result<CallerChallenge, ClientError> {
        let body = serde_json::to_value(CallerChallengeRequest { method }).ok();
        self.call(Method::POST, format!("/v1/accounts/{id}/caller-verification"), body, None).await
    }

    pub async fn caller_check(&self, id: i64, challenge_id: i64, code: String) -> Result<CallerVerified, ClientError> {
        let body = serde_json::to_value(CallerCodeRequest { code }).ok();
        let path = format!("/v1/accounts/{id}/caller-verification/{challenge_id}/check");
        self.call(Method::POST, path, body, None).await
    }
}
