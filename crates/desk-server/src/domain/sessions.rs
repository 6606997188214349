//! Agent sign-in (email + argon2id password + TOTP), opaque bearer sessions stored hashed, sign-out.

use chrono::{DateTime, Utc};
use desk_api::{Agent, EmailAddress, SecretText};

use super::rate::{self, Bucket};
use super::{DomainError, DomainResult};
use crate::audit::rollups::{self, Refusal};
use crate::audit::{self, Actor, AuditAction, Entry};
use crate::clock::from_ms;
use crate::crypto::{self, Sealed};
use crate::http::client_ip;
use crate::store::{self, Db};
use crate::{totp, AppState, Config};

pub struct NewSession {
    pub token: SecretText,
    pub expires_at: DateTime<Utc>,
    /// The absolute end: no use renews the session past it.
    pub ends_at: DateTime<Utc>,
    pub agent: Agent,
}

/// A valid session, as the edge resolved it from a bearer token.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub agent: Agent,
    /// When it ends unless used again (each use renews it, up to `ends_at`).
    pub expires_at: DateTime<Utc>,
    /// The absolute cap (`session_max_secs` after sign-in).
    pub ends_at: DateTime<Utc>,
}

impl Session {
    pub fn actor(&self, client: &str) -> Actor {
        Actor {
            id: Some(self.agent.id),
            email: Some(self.agent.email.clone()),
            role: Some(self.agent.role),
            client: client.to_string(),
        }
    }
}

/// The three limits a sign-in attempt takes a unit of before its password is checked: the
/// address from this client (so a flood from one client cannot lock the agent out of their own),
/// the address from every client (an overall ceiling), and this client for every address.
fn buckets(config: &Config, email_norm: &str, ip: &str) -> [Bucket; 3] {
    let window = config.sign_in_window_secs * 1000;
    [
        Bucket::new("sign_in_address_client", format!("{email_norm} {ip}"), config.sign_in_max_failures, window),
        Bucket::new("sign_in_address", email_norm, config.sign_in_account_max_failures, window),
        Bucket::new("sign_in_client", ip, config.sign_in_client_max_failures, window),
    ]
}

/// Signs an agent in. The attempt is counted against the limits first, in one transaction of
/// atomic takes, so concurrent attempts cannot all slip under them; only then does argon2 run,
/// within the bounds of the gate. A TOTP step is accepted once, by a conditional update, so two
/// requests racing with one code get one session.
#[tracing::instrument(name = "sessions.sign_in", skip_all, fields(client = client))]
pub async fn sign_in(
    state: &AppState,
    client: &str,
    email: &str,
    password: &SecretText,
    code: &SecretText,
) -> DomainResult<NewSession> {
    let (db, config, now_ms) = (&state.db, &state.config, state.clock.now_ms());
    // A malformed address cannot belong to an agent: it fails like any wrong credential, but is
    // still counted and audited under what was typed.
    let email_norm = EmailAddress::parse(email).map(|e| e.as_str().to_string()).unwrap_or_else(|_| {
        let mut s = email.trim().to_lowercase();
        s.truncate(254);
        s
    });
    let ip = client_ip(client);
    let limits = buckets(config, &email_norm, ip);

    let mut tx = db.write().await?;
    let mut refused = None;
    for b in &limits {
        if let Err(wait_ms) = rate::take(&mut tx, now_ms, b).await? {
            refused = Some(wait_ms);
            break;
        }
    }
    if let Some(wait_ms) = refused {
        // Nothing taken stays taken; the refusal itself is summarised, not written each time.
        store::rollback(tx).await?;
        let mut tx = db.write().await?;
        let refusal = Refusal {
            action: AuditAction::SignIn,
            key: &email_norm,
            target_type: Some("agent"),
            target_id: Some(email_norm.clone()),
            window_ms: config.sign_in_window_secs * 1000,
        };
        rollups::refused(&mut tx, now_ms, &Actor::anonymous(client), refusal).await?;
        store::commit(tx).await?;
        return Err(DomainError::TooManyAttempts { retry_after: rate::secs(wait_ms) });
    }
    store::commit(tx).await?;

    let row = store::staff::credentials(&mut *db.acquire().await?, &email_norm).await?;

    // Verify the password even for an unknown agent, so both take the same time.
    let hash = row.as_ref().map(|r| r.password_hash.as_str()).unwrap_or_else(|| crypto::dummy_hash());
    let password_ok = match state.argon.verify(password, hash).await {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked, so not a failure: the units go back.
            let mut tx = db.write().await?;
            for b in &limits {
                rate::give_back(&mut tx, b).await?;
            }
            store::commit(tx).await?;
            return Err(e.into());
        }
    };
    // A code is good once: a step at or before the last one used is a replay.
    let step = row.as_ref().filter(|_| password_ok).and_then(|r| {
        let Some(secret) = state.keys.open(Sealed::AgentTotp, &r.totp_secret) else {
            // Only a key other than the one that sealed it: the operator must hear of it.
            tracing::error!(agent_id = r.id, "an agent's TOTP secret does not open with this service's key");
            return None;
        };
        totp::matching_step(secret.expose(), code.expose(), now_ms / 1000)
    });

    // Staff (issue 9): a backup code stands in for the authenticator's code, once each.
    let backup_ok = match (&row, step) {
        (Some(r), None) if password_ok && !r.disabled.0 => {
            crate::domain::staff::use_backup_code(db, &state.keys, r.id, code.expose(), now_ms).await?
        }
        _ => false,
    };

    let mut tx = db.write().await?;
    let winner = match (&row, step) {
        (Some(r), Some(step)) if !r.disabled.0 && step > r.totp_last_step => {
            store::staff::take_totp_step(&mut tx, r.id, step).await?
        }
        _ => false,
    };
    // Right credentials are still refused while the enrolment is unfinished (mid authenticator
    // reset) or when the desk requires single sign-on (issue 9).
    let refusal = match &row {
        Some(r) if winner || backup_ok => crate::domain::staff::local_sign_in_refusal(&mut tx, r.id).await?,
        _ => None,
    };
    let ok = (winner || backup_ok) && refusal.is_none();
    let outcome = match (&refusal, ok) {
        (_, true) => "success",
        (Some(DomainError::Denied { .. }), _) => "refused_sso_required",
        _ => "failure",
    };
    let actor = match (&row, ok) {
        (Some(r), true) => {
            Actor { id: Some(r.id), email: Some(r.email.clone()), role: Some(r.role), client: client.into() }
        }
        _ => Actor::anonymous(client),
    };
    let result = match (row, ok) {
        (Some(r), true) => {
            // A success ends the run of failures from this client, and is no failure itself: the
            // address's and the client's units go back (an office behind one address signs in).
            rate::clear(&mut tx, &limits[0]).await?;
            rate::give_back(&mut tx, &limits[1]).await?;
            rate::give_back(&mut tx, &limits[2]).await?;
            let agent = Agent { id: r.id, email: r.email, name: r.name, role: r.role };
            Ok(issue_session(&mut tx, config, now_ms, agent, client).await?)
        }
        _ => Err(refusal.unwrap_or(DomainError::InvalidCredentials)),
    };
    let entry = Entry {
        target_type: Some("agent"),
        target_id: Some(email_norm.clone()),
        ..Entry::new(AuditAction::SignIn, outcome)
    };
    audit::record(&mut tx, now_ms, &actor, entry).await?;
    store::commit(tx).await?;
    result
}

/// A use renews the session only when that moves its end by at least this much, so a burst of
/// requests writes once, not once each.
const RENEW_STEP_MS: i64 = 60_000;

/// When a session used at `now_ms` ends: `session_ttl_secs` later (sliding), but never after
/// `session_max_secs` from its sign-in (the absolute cap, however active the agent is).
fn renewed_expiry(config: &Config, created_ms: i64, now_ms: i64) -> i64 {
    (now_ms + config.session_ttl_secs * 1000).min(created_ms + config.session_max_secs * 1000)
}

/// Resolves a bearer token, and renews the session it names (sliding expiry up to the cap).
/// Unknown tokens are `unauthorized`; known but expired, capped or revoked ones are
/// `session_expired`, so the console can say why the agent is back at sign-in.
pub async fn authenticate(db: &Db, config: &Config, now_ms: i64, token: &str) -> DomainResult<Session> {
    let mut conn = db.acquire().await?;
    let row = store::sessions::by_token_hash(&mut conn, &crypto::token_hash(token)).await?;
    let Some(r) = row else {
        return Err(DomainError::Unauthorized);
    };
    let ends_ms = r.created_ms + config.session_max_secs * 1000;
    if r.revoked_ms.is_some() || r.expires_ms <= now_ms || ends_ms <= now_ms || r.disabled.0 {
        return Err(DomainError::SessionExpired);
    }
    let mut expires_ms = r.expires_ms;
    let renewed = renewed_expiry(config, r.created_ms, now_ms);
    if renewed >= expires_ms + RENEW_STEP_MS || (renewed == ends_ms && renewed > expires_ms) {
        store::sessions::extend(&mut conn, r.session_id, now_ms, renewed).await?;
        expires_ms = renewed;
    }
    Ok(Session {
        id: r.session_id,
        agent: Agent { id: r.agent_id, email: r.email, name: r.name, role: r.role },
        expires_at: from_ms(expires_ms.min(ends_ms)),
        ends_at: from_ms(ends_ms),
    })
}

#[tracing::instrument(name = "sessions.sign_out", skip_all, fields(agent = session.agent.id))]
pub async fn sign_out(db: &Db, now_ms: i64, session: &Session, client: &str) -> DomainResult<()> {
    let mut tx = db.write().await?;
    store::sessions::revoke(&mut tx, session.id, now_ms).await?;
    let entry = Entry {
        target_type: Some("agent"),
        target_id: Some(session.agent.id.to_string()),
        ..Entry::new(AuditAction::SignOut, "success")
    };
    audit::record(&mut tx, now_ms, &session.actor(client), entry).await?;
    store::commit(tx).await?;
    Ok(())
}

/// A new session: an opaque token, stored hashed, for a password + code sign-in or an agent the
/// company's identity provider has identified (single sign-on).
pub async fn issue_session(
    conn: &mut store::Conn,
    config: &Config,
    now_ms: i64,
    agent: Agent,
    client: &str,
) -> DomainResult<NewSession> {
    let token = crypto::random_token();
    let token_hash = crypto::token_hash(&token);
    let expires_ms = renewed_expiry(config, now_ms, now_ms);
    let session = store::sessions::NewSession {
        agent_id: agent.id,
        token_hash: &token_hash,
        created_ms: now_ms,
        expires_ms,
        client,
    };
    store::sessions::insert(conn, &session).await?;
    Ok(NewSession {
        token: SecretText::new(token),
        expires_at: from_ms(expires_ms),
        ends_at: from_ms(now_ms + config.session_max_secs * 1000),
        agent,
    })
}
