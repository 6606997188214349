//! Agent sign-in (email + argon2id password + TOTP), opaque bearer sessions stored hashed, sign-out.

use chrono::{DateTime, Utc};
use desk_api::{Agent, EmailAddress, Role, SecretText};
use sqlx::SqlitePool;

use super::rate::{self, Bucket};
use crate::audit::rollups::{self, Refusal};
use crate::audit::{self, Actor, AuditAction, Entry};
use crate::clock::from_ms;
use crate::crypto::{self, Sealed};
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::http::client_ip;
use crate::{totp, AppState, Config};

pub struct NewSession {
    pub token: SecretText,
    pub expires_at: DateTime<Utc>,
    pub agent: Agent,
}

/// A valid session, as the edge resolved it from a bearer token.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub agent: Agent,
    pub expires_at: DateTime<Utc>,
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

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    totp_secret: String,
    disabled: i64,
    totp_last_step: i64,
}

impl AgentRow {
    fn agent(&self) -> Agent {
        Agent {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Agent),
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
pub async fn sign_in(
    state: &AppState,
    client: &str,
    email: &str,
    password: &SecretText,
    code: &SecretText,
) -> ApiResult<NewSession> {
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

    let mut tx = begin_write(db).await?;
    let mut refused = None;
    for b in &limits {
        if let Err(wait_ms) = rate::take(&mut tx, now_ms, b).await? {
            refused = Some(wait_ms);
            break;
        }
    }
    if let Some(wait_ms) = refused {
        // Nothing taken stays taken; the refusal itself is summarised, not written each time.
        tx.rollback().await?;
        let mut tx = begin_write(db).await?;
        rollups::refused(
            &mut tx,
            now_ms,
            &Actor::anonymous(client),
            Refusal {
                action: AuditAction::SignIn,
                key: &email_norm,
                target_type: Some("agent"),
                target_id: Some(email_norm.clone()),
                window_ms: config.sign_in_window_secs * 1000,
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::TooManyAttempts { retry_after: rate::secs(wait_ms) });
    }
    tx.commit().await?;

    let row: Option<AgentRow> = sqlx::query_as(
        "SELECT id, email, name, role, password_hash, totp_secret, disabled, totp_last_step FROM agents WHERE email = $1",
    )
    .bind(&email_norm)
    .fetch_optional(db)
    .await?;

    // Verify the password even for an unknown agent, so both take the same time.
    let hash = row.as_ref().map(|r| r.password_hash.as_str()).unwrap_or_else(|| crypto::dummy_hash());
    let password_ok = match state.argon.verify(password, hash).await {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked, so not a failure: the units go back.
            let mut tx = begin_write(db).await?;
            for b in &limits {
                rate::give_back(&mut tx, b).await?;
            }
            tx.commit().await?;
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
        (Some(r), None) if password_ok && r.disabled == 0 => {
            crate::domain::staff::use_backup_code(db, &state.keys, r.id, code.expose(), now_ms).await?
        }
        _ => false,
    };

    let mut tx = begin_write(db).await?;
    let winner = match (&row, step) {
        (Some(r), Some(step)) if r.disabled == 0 && step > r.totp_last_step => {
            sqlx::query("UPDATE agents SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1 AND disabled = 0")
                .bind(step)
                .bind(r.id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        }
        _ => false,
    };
    // Right credentials are still refused while the enrolment is unfinished (mid authenticator
    // reset) or when the desk requires single sign-on (issue 9).
    let refusal = match &row {
        Some(r) if winner || backup_ok => crate::domain::staff::local_sign_in_refusal(db, r.id).await?,
        _ => None,
    };
    let ok = (winner || backup_ok) && refusal.is_none();
    let outcome = match (&refusal, ok) {
        (_, true) => "success",
        (Some(ApiError::Denied { .. }), _) => "refused_sso_required",
        _ => "failure",
    };
    let actor = match (&row, ok) {
        (Some(r), true) => {
            Actor { id: Some(r.id), email: Some(r.email.clone()), role: Role::parse(&r.role), client: client.into() }
        }
        _ => Actor::anonymous(client),
    };
    audit::record(
        &mut tx,
        now_ms,
        &actor,
        Entry {
            target_type: Some("agent"),
            target_id: Some(email_norm.clone()),
            ..Entry::new(AuditAction::SignIn, outcome)
        },
    )
    .await?;
    let result = match (row, ok) {
        (Some(r), true) => {
            // A success ends the run of failures from this client, and is no failure itself: the
            // address's and the client's units go back (an office behind one address signs in).
            rate::clear(&mut tx, &limits[0]).await?;
            rate::give_back(&mut tx, &limits[1]).await?;
            rate::give_back(&mut tx, &limits[2]).await?;
            let token = crypto::random_token();
            let expires_ms = now_ms + config.session_ttl_secs * 1000;
            sqlx::query(
                "INSERT INTO agent_sessions (agent_id, token_hash, created_ms, expires_ms, client) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(r.id)
            .bind(crypto::token_hash(&token))
            .bind(now_ms)
            .bind(expires_ms)
            .bind(client)
            .execute(&mut *tx)
            .await?;
            Ok(NewSession { token: SecretText::new(token), expires_at: from_ms(expires_ms), agent: r.agent() })
        }
        _ => Err(refusal.unwrap_or(ApiError::InvalidCredentials)),
    };
    tx.commit().await?;
    result
}

/// Resolves a bearer token. Unknown tokens are `unauthorized`; known but expired or revoked ones
/// are `session_expired`, so the console can say why the agent is back at sign-in.
pub async fn authenticate(db: &SqlitePool, now_ms: i64, token: &str) -> ApiResult<Session> {
    #[derive(sqlx::FromRow)]
    struct Row {
        sid: i64,
        expires_ms: i64,
        revoked_ms: Option<i64>,
        aid: i64,
        email: String,
        name: String,
        role: String,
        disabled: i64,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT s.id AS sid, s.expires_ms, s.revoked_ms, a.id AS aid, a.email, a.name, a.role, a.disabled \
         FROM agent_sessions s JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = $1",
    )
    .bind(crypto::token_hash(token))
    .fetch_optional(db)
    .await?;
    let Some(Row { sid, expires_ms, revoked_ms, aid, email, name, role, disabled }) = row else {
        return Err(ApiError::Unauthorized);
    };
    if revoked_ms.is_some() || expires_ms <= now_ms || disabled != 0 {
        return Err(ApiError::SessionExpired);
    }
    Ok(Session {
        id: sid,
        agent: Agent { id: aid, email, name, role: Role::parse(&role).unwrap_or(Role::Agent) },
        expires_at: from_ms(expires_ms),
    })
}

pub async fn sign_out(db: &SqlitePool, now_ms: i64, session: &Session, client: &str) -> ApiResult<()> {
    let mut tx = begin_write(db).await?;
    sqlx::query("UPDATE agent_sessions SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(session.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        now_ms,
        &session.actor(client),
        Entry {
            target_type: Some("agent"),
            target_id: Some(session.agent.id.to_string()),
            ..Entry::new(AuditAction::SignOut, "success")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A session for an agent the company's identity provider has identified (issue 9's single
/// sign-on): the same opaque token, stored hashed, as a password + code sign-in gives.
pub async fn issue_session(
    conn: &mut sqlx::SqliteConnection,
    config: &Config,
    now_ms: i64,
    agent: Agent,
    client: &str,
) -> sqlx::Result<NewSession> {
    let token = crypto::random_token();
    let expires_ms = now_ms + config.session_ttl_secs * 1000;
    sqlx::query(
        "INSERT INTO agent_sessions (agent_id, token_hash, created_ms, expires_ms, client) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(agent.id)
    .bind(crypto::token_hash(&token))
    .bind(now_ms)
    .bind(expires_ms)
    .bind(client)
    .execute(conn)
    .await?;
    Ok(NewSession { token: SecretText::new(token), expires_at: from_ms(expires_ms), agent })
}
