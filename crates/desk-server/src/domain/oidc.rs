//! Single sign-on for staff through the company's OpenID provider.
//!
//! The console runs the browser side (authorization code + PKCE, loopback redirect per RFC 8252)
//! and exchanges the code as a public client, so the PKCE verifier never leaves it. The service
//! starts each attempt (a single-use `state` and a `nonce`, stored hashed, ten minutes), and at the
//! end validates the ID token the console brings: the signature against the provider's JWKS, the
//! issuer, the audience (our client id), the expiry and issue time against the injected clock,
//! and the nonce of that very attempt. It then maps the configured claim to an enrolled staff
//! member and the group claim to a role, and issues the usual session.

use std::collections::HashMap;
use std::sync::Mutex;

use desk_api::{Agent, AuditAction, ErrorCode, Role, SecretText, SsoStart};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;

use super::sessions::{self, NewSession};
use super::{staff, vault, DomainError, DomainResult};
use crate::audit::{self, Actor, Entry};
use crate::config::OidcConfig;
use crate::store::{self, Db};
use crate::Config;

const ATTEMPT_TTL_MS: i64 = 10 * 60 * 1000;
/// Clock difference tolerated between the provider and the service.
const LEEWAY_SECS: i64 = 60;

fn failed(message: impl Into<String>) -> DomainError {
    DomainError::SignInRefused { code: ErrorCode::SsoFailed, message: message.into() }
}

fn not_configured() -> DomainError {
    DomainError::conflict(ErrorCode::InvalidState, "single sign-on is not configured on this service")
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Clone)]
struct Provider {
    discovery: Discovery,
    keys: JwkSet,
}

/// Discovery and keys per issuer; keys are fetched again when a token names an unknown `kid`
/// (the provider rotated them).
fn cache() -> &'static Mutex<HashMap<String, Provider>> {
    static CACHE: std::sync::OnceLock<Mutex<HashMap<String, Provider>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

async fn fetch(oidc: &OidcConfig) -> DomainResult<Provider> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| DomainError::Internal(e.into()))?;
    let url = format!("{}/.well-known/openid-configuration", oidc.issuer.trim_end_matches('/'));
    let unreachable = |e: reqwest::Error| {
        tracing::warn!(error = %e.without_url(), "the OpenID provider could not be reached");
        DomainError::Conflict {
            code: ErrorCode::SsoFailed,
            message: "the identity provider cannot be reached; try again, or sign in with password and code".into(),
        }
    };
    let get = |url: String| async {
        let answer = http.get(url).send().await.and_then(|r| r.error_for_status()).map_err(unreachable)?;
        Ok::<_, DomainError>(answer)
    };
    let discovery: Discovery = get(url).await?.json().await.map_err(unreachable)?;
    if discovery.issuer.trim_end_matches('/') != oidc.issuer.trim_end_matches('/') {
        return Err(failed("the identity provider's discovery document names another issuer"));
    }
    let keys: JwkSet = get(discovery.jwks_uri.clone()).await?.json().await.map_err(unreachable)?;
    let provider = Provider { discovery, keys };
    cache().lock().expect("oidc cache").insert(oidc.issuer.clone(), provider.clone());
    Ok(provider)
}

async fn provider(oidc: &OidcConfig, refresh: bool) -> DomainResult<Provider> {
    if !refresh {
        if let Some(p) = cache().lock().expect("oidc cache").get(&oidc.issuer).cloned() {
            return Ok(p);
        }
    }
    fetch(oidc).await
}

/// Only the console's own loopback listener may receive the code (RFC 8252 §7.3).
fn loopback_redirect(uri: &str) -> DomainResult<String> {
    let ok = ["http://127.0.0.1:", "http://[::1]:"].iter().any(|p| uri.starts_with(p))
        && uri.len() <= 200
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(DomainError::invalid(
            "redirect_uri",
            "the redirect is the console's loopback address, http://127.0.0.1:PORT/…",
        ));
    }
    Ok(uri.to_string())
}

#[tracing::instrument(name = "sso.start", skip_all, fields(client = client))]
pub async fn start(db: &Db, config: &Config, now_ms: i64, client: &str, redirect_uri: &str) -> DomainResult<SsoStart> {
    let oidc = config.oidc.as_ref().ok_or_else(not_configured)?;
    let redirect_uri = loopback_redirect(redirect_uri)?;
    let p = provider(oidc, false).await?;
    let (state, nonce) = (vault::new_nonce(), vault::new_nonce());
    let (state_hash, nonce_hash) = (vault::link_token_hash(&state), vault::link_token_hash(&nonce));
    let mut tx = db.write().await?;
    // Attempts nobody finished go when they expire.
    store::sso::prune(&mut tx, now_ms - ATTEMPT_TTL_MS).await?;
    let attempt = store::sso::NewAttempt {
        state_hash: &state_hash,
        nonce_hash: &nonce_hash,
        redirect_uri: &redirect_uri,
        client,
        created_ms: now_ms,
        expires_ms: now_ms + ATTEMPT_TTL_MS,
    };
    store::sso::insert(&mut tx, &attempt).await?;
    store::commit(tx).await?;
    Ok(SsoStart {
        state,
        nonce,
        authorization_endpoint: p.discovery.authorization_endpoint,
        token_endpoint: p.discovery.token_endpoint,
        client_id: oidc.client_id.clone(),
        scopes: oidc.scopes.clone(),
    })
}

#[derive(Debug, Deserialize)]
struct Claims {
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

/// The checks, in the order a person can act on: who signed it, for whom, when, for which attempt.
async fn validate(oidc: &OidcConfig, id_token: &str, nonce_hash: &str, now_ms: i64) -> DomainResult<Claims> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|_| failed("the identity provider's answer is not an ID token"))?;
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::ES384
    ) {
        return Err(failed("the ID token is not signed with an algorithm this service accepts"));
    }
    let kid = header.kid.clone().unwrap_or_default();
    let mut p = provider(oidc, false).await?;
    if p.keys.find(&kid).is_none() {
        p = provider(oidc, true).await?;
    }
    let jwk = p
        .keys
        .find(&kid)
        .ok_or_else(|| failed("the ID token is signed with a key the identity provider does not publish"))?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| failed("the identity provider publishes a key this service cannot use"))?;
    let mut v = Validation::new(header.alg);
    // Time is checked below against the service's clock; the rest here.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.set_issuer(&[oidc.issuer.trim_end_matches('/'), &format!("{}/", oidc.issuer.trim_end_matches('/'))]);
    v.set_audience(&[&oidc.client_id]);
    let data = jsonwebtoken::decode::<Claims>(id_token, &key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        failed(match e.kind() {
            ErrorKind::InvalidSignature => {
                "the ID token's signature does not verify: it was not signed by the identity provider"
            }
            ErrorKind::InvalidAudience => "the ID token was issued for another application (wrong audience)",
            ErrorKind::InvalidIssuer => "the ID token comes from another identity provider (wrong issuer)",
            ErrorKind::MissingRequiredClaim(_) => "the ID token lacks a claim it must carry",
            _ => "the ID token is not valid",
        })
    })?;
    let claims = data.claims;
    let now = now_ms / 1000;
    if claims.exp + LEEWAY_SECS <= now {
        return Err(failed("the ID token has expired; sign in again"));
    }
    if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECS) {
        return Err(failed("the ID token was issued in the future; check the clocks of the service and the provider"));
    }
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| crate::crypto::constant_time_eq(vault::link_token_hash(n).as_bytes(), nonce_hash.as_bytes()));
    if !nonce_ok {
        return Err(failed("the ID token does not belong to this sign-in (nonce)"));
    }
    Ok(claims)
}

fn role_of(oidc: &OidcConfig, claims: &Claims) -> Option<Role> {
    let groups: Vec<String> = match claims.rest.get(&oidc.groups_claim) {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|g| g.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        _ => vec![],
    };
    let has = |g: &str| groups.iter().any(|x| x == g);
    let m = &oidc.role_groups;
    if has(&m.admin) {
        Some(Role::Admin)
    } else if has(&m.lead) {
        Some(Role::Lead)
    } else if has(&m.agent) {
        Some(Role::Agent)
    } else {
        None
    }
}

/// Ends the attempt (once, whatever the outcome), validates the token and signs the person in.
#[tracing::instrument(name = "sso.finish", skip_all, fields(client = client))]
pub async fn finish(
    db: &Db,
    config: &Config,
    now_ms: i64,
    client: &str,
    state: &str,
    id_token: &SecretText,
) -> DomainResult<NewSession> {
    let oidc = config.oidc.as_ref().ok_or_else(not_configured)?;
    // The token is checked (which may fetch the provider's keys) before the write transaction, so
    // no writer waits on the network; the attempt is then used up, once, with the audit entry.
    let state_hash = vault::link_token_hash(state);
    let open = store::sso::open_nonce(&mut *db.acquire().await?, &state_hash, now_ms).await?;
    let checked = match &open {
        None => None,
        Some(nonce_hash) => Some(validate(oidc, id_token.expose(), nonce_hash, now_ms).await),
    };
    let mut tx = db.write().await?;
    let used = store::sso::finish(&mut tx, &state_hash, now_ms).await?;
    let claims = match (used, checked) {
        (Some(nonce_hash), Some(result)) if Some(&nonce_hash) == open.as_ref() => result,
        _ => Err(failed("this sign-in was already completed or has expired; start again")),
    };
    let outcome = match claims {
        Err(e) => Err(e),
        Ok(claims) => {
            let subject = claims.rest.get(&oidc.user_claim).and_then(|v| v.as_str()).map(|s| s.trim().to_lowercase());
            let row = match &subject {
                Some(email) => store::staff::enrolled_by_email(&mut tx, email).await?,
                None => None,
            };
            match (row, role_of(oidc, &claims)) {
                (None, _) => Err(failed(format!(
                    "no staff member of this desk matches your company account ({}); ask an admin to invite you",
                    subject.as_deref().unwrap_or("no email in the token")
                ))),
                (Some(r), _) if r.disabled.0 => Err(failed("your desk account is disabled")),
                (Some(_), None) => {
                    Err(failed("your company account is in none of the desk's groups, so it has no role here"))
                }
                (Some(r), Some(role)) => Ok((Agent { id: r.id, email: r.email, name: r.name, role }, r.role)),
            }
        }
    };
    let (agent, stored_role) = match outcome {
        Ok(found) => found,
        Err(e) => {
            let entry = Entry {
                target_type: Some("agent"),
                detail: json!({ "method": "sso", "why": e.to_string() }),
                ..Entry::new(AuditAction::SignIn, "failure")
            };
            audit::record(&mut tx, now_ms, &Actor::anonymous(client), entry).await?;
            store::commit(tx).await?;
            return Err(e);
        }
    };
    // The provider's groups decide the role.
    if stored_role != agent.role {
        store::staff::set_role(&mut tx, agent.id, agent.role).await?;
    }
    let actor =
        Actor { id: Some(agent.id), email: Some(agent.email.clone()), role: Some(agent.role), client: client.into() };
    let entry = Entry {
        target_type: Some("agent"),
        target_id: Some(agent.email.clone()),
        detail: json!({ "method": "sso", "role_from": stored_role.as_str(), "role": agent.role.as_str() }),
        ..Entry::new(AuditAction::SignIn, "success")
    };
    let session = sessions::issue_session(&mut tx, config, now_ms, agent, client).await?;
    audit::record(&mut tx, now_ms, &actor, entry).await?;
    store::commit(tx).await?;
    Ok(session)
}

/// Whether the sign-in screen offers single sign-on, and whether it is the only way in.
pub async fn availability(db: &Db, config: &Config) -> DomainResult<desk_api::SsoAvailability> {
    let required = staff::sso_required(&mut *db.acquire().await?).await?;
    Ok(desk_api::SsoAvailability { enabled: config.oidc.is_some(), required })
}
