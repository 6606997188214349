use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::access::{allowed, Perm};
use crate::domain::sessions::{self, Session};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// A JSON body whose rejections are problem documents.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into())
            }
            JsonRejection::JsonDataError(e) => ApiError::MalformedJson(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::MalformedJson(e.body_text()),
            JsonRejection::BytesRejection(_) => ApiError::PayloadTooLarge,
            other => ApiError::MalformedJson(other.body_text()),
        }
    }
}

/// Path parameters whose rejections (text that is not UTF-8 once percent-decoded) are problems.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::invalid("path", r.body_text())
    }
}

/// The query string as plain strings; each handler parses what it needs.
pub struct ApiQuery(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(map))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::invalid("query", r.body_text())
    }
}

/// The `Idempotency-Key` of an agent action: a retry with the same key answers the first result
/// and does nothing twice. Described once here for every operation that takes one.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// One key per action of the agent (1 to 128 visible ASCII characters); a retry of the same
    /// action sends the same key.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 128, pattern = r"^[!-~]+$(?!\n)")]
    pub key: String,
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.headers.get("idempotency-key").and_then(|v| v.to_str().ok());
        Ok(IdempotencyKey { key: crate::domain::idempotency::parse_key(raw)? })
    }
}

/// The caller's address and user agent ("ADDRESS AGENT"), for rate limits and the audit log.
/// Limits key on the address only ([`client_ip`]): a user agent is whatever the caller says.
pub struct ClientAddr(pub String);

/// The address part of a [`ClientAddr`] string.
pub fn client_ip(client: &str) -> &str {
    client.split(' ').next().unwrap_or(client)
}

/// The client's address: the socket's peer, or — only when the peer is a trusted proxy — the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy. Hops to the left of
/// it were written by whoever sent the request, and prove nothing.
pub fn client_address(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    let hops = forwarded.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|h| !h.is_empty()).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.trim_start_matches('[').trim_end_matches(']').parse().ok())
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let addr = client_address(peer, &forwarded, &state.proxies).map(|ip| ip.to_string());
        let agent: String = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect();
        Ok(ClientAddr(format!("{} {agent}", addr.as_deref().unwrap_or("unknown"))))
    }
}

/// A signed-in agent whose role holds permission `P`. Taking one of these is how a handler says
/// what it needs; there is no other way to get a session.
pub struct Authorized<P: Perm> {
    pub session: Session,
    pub client: String,
    _perm: PhantomData<P>,
}

impl<P: Perm> Authorized<P> {
    /// The signed-in agent acting now, as the domain takes it.
    pub fn acting<'a>(&'a self, state: &'a AppState) -> crate::domain::Acting<'a> {
        crate::domain::Acting {
            config: &state.config,
            now_ms: state.clock.now_ms(),
            session: &self.session,
            client: &self.client,
        }
    }
}

impl<P: Perm> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ApiError::UNAUTHORIZED)?;
        let session = sessions::authenticate(&state.db, &state.config, state.clock.now_ms(), token).await?;
        if !allowed(session.agent.role, P::PERMISSION) {
            return Err(ApiError::FORBIDDEN);
        }
        let ClientAddr(client) =
            ClientAddr::from_request_parts(parts, state).await.unwrap_or(ClientAddr("unknown".into()));
        Ok(Self { session, client, _perm: PhantomData })
    }
}

/// An account id in a path.
pub fn parse_id(raw: &str) -> ApiResult<i64> {
    positive_id(raw, "id", "an account id")
}

/// Ids (in paths, queries and bodies) are positive integers; anything else is a clear
/// `invalid_input` that names the `field` and says what `what` is.
pub fn positive_id(raw: &str, field: &'static str, what: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(field, format!("{what} is a positive whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy_and_only_up_to_the_first_untrusted_hop() {
        let peer = ip("10.0.0.2");
        let xff = ["198.51.100.1, 203.0.113.9", "10.0.0.7"];
        assert_eq!(client_address(peer, &xff, &[]), peer, "no trusted proxies: the socket");
        assert_eq!(client_address(peer, &xff, &nets(&["192.168.0.0/16"])), peer, "the peer is not trusted");
        assert_eq!(client_address(peer, &xff, &nets(&["10.0.0.0/8"])), ip("203.0.113.9"), "right-most untrusted hop");
        assert_eq!(
            client_address(peer, &xff, &nets(&["10.0.0.0/8", "203.0.113.0/24"])),
            ip("198.51.100.1"),
            "a chain of trusted proxies"
        );
        assert_eq!(client_address(peer, &["junk, 10.0.0.9"], &nets(&["10.0.0.0/8"])), ip("10.0.0.9"));
        assert_eq!(client_address(peer, &[], &nets(&["10.0.0.0/8"])), peer);
        assert_eq!(client_address(ip("::1"), &["[2001:db8::1]:443"], &nets(&["::1/128"])), ip("2001:db8::1"));
    }
}
