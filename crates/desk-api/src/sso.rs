//! Single sign-on for staff (OpenID Connect, authorization code + PKCE from the console).
//!
//! The split: the console opens the system browser, listens on a loopback port for the redirect
//! (RFC 8252), holds the PKCE verifier and exchanges the code at the provider as a public client;
//! the service starts each attempt (state, nonce), validates the ID token (signature from the
//! provider's JWKS, issuer, audience, expiry, nonce), maps it to a staff member and a role, and
//! answers the usual session — to the console's Rust side, never to the webview.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::SecretText;

/// `POST /v1/sso/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoStartRequest {
    /// The console's loopback redirect, `http://127.0.0.1:PORT/callback`.
    pub redirect_uri: String,
}

/// What the console needs to send the browser to the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoStart {
    pub state: String,
    pub nonce: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub client_id: String,
    pub scopes: String,
}

/// `POST /v1/sso/finish`: the attempt's state and the provider's ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoFinishRequest {
    pub state: String,
    pub id_token: SecretText,
}

/// `GET /v1/sso`: whether the sign-in screen offers single sign-on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoAvailability {
    pub enabled: bool,
    pub required: bool,
}

/// What the sign-in screen sends for "Sign in with your company account".
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SsoSignInForm {
    pub server_url: String,
    pub stay_signed_in: bool,
}
