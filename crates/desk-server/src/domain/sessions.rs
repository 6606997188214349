//! Agent sign-in (email + argon2id password + TOTP), opaque bearer sessions stored hashed, sign-out.

use chrono::{DateTime, Utc};
use desk_api::{Agent, EmailAddress, Role, SecretText};
use serde_json::json;
use sqlx::SqlitePool;

use crate::audit::{self, Actor, Entry};
use crate::clock::from_ms;
use crate::crypto;
use crate::db::begin_write;
use crate::error::{ApiError, ApiResult};
use crate::{totp, Config};

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

pub async fn sign_in(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    client: &str,
    email: &str,
    password: &SecretText,
    code: &SecretText,
) -> ApiResult<NewSession> {
    // A malformed address cannot belong to an agent: it fails like any wrong credential, but is
    // still counted and audited under what was typed.
    let email_norm = EmailAddress::parse(email).map(|e| e.as_str().to_string()).unwrap_or_else(|_| {
        let mut s = email.trim().to_lowercase();
        s.truncate(254);
        s
    });

    let window_start = now_ms - config.sign_in_window_secs * 1000;
    let (by_email, oldest_email): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at_ms) FROM sign_in_attempts WHERE email_norm = $1 AND success = 0 AND at_ms > $2",
    )
    .bind(&email_norm)
    .bind(window_start)
    .fetch_one(db)
    .await?;
    // Limits count per address, whatever user agent the caller claims.
    let client_ip = client.split(' ').next().unwrap_or(client);
    let (by_client, oldest_client): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at_ms) FROM sign_in_attempts WHERE client = $1 AND success = 0 AND at_ms > $2",
    )
    .bind(client_ip)
    .bind(window_start)
    .fetch_one(db)
    .await?;
    let limited = if by_email >= config.sign_in_max_failures {
        oldest_email
    } else if by_client >= config.sign_in_max_failures * 4 {
        oldest_client
    } else {
        None
    };
    if let Some(oldest) = limited {
        let retry_after = ((oldest + config.sign_in_window_secs * 1000 - now_ms) / 1000).max(1) as u64;
        let mut tx = begin_write(db).await?;
        audit::record(
            &mut tx,
            now_ms,
            &Actor::anonymous(client),
            Entry {
                action: "sign_in",
                target_type: Some("agent"),
                target_id: Some(email_norm.clone()),
                outcome: "rate_limited",
                detail: json!({}),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::TooManyAttempts { retry_after });
    }

    let row: Option<AgentRow> = sqlx::query_as(
        "SELECT id, email, name, role, password_hash, totp_secret, disabled, totp_last_step FROM agents WHERE email = $1",
    )
    .bind(&email_norm)
    .fetch_optional(db)
    .await?;

    // Verify the password even for an unknown agent, so both take the same time.
    let hash = row.as_ref().map(|r| r.password_hash.as_str()).unwrap_or_else(|| crypto::dummy_hash());
    let password_ok = {
        let (pw, hash) = (password.expose().to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || crypto::verify_password(&pw, &hash))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
    };
    // A code is good once: a step at or before the last one used is a replay.
    let step = row.as_ref().and_then(|r| totp::matching_step(&r.totp_secret, code.expose(), now_ms / 1000));
    let ok = match (&row, step) {
        (Some(r), Some(step)) => password_ok && r.disabled == 0 && step > r.totp_last_step,
        _ => false,
    };
    // Staff (issue 9): a backup code stands in for the authenticator's code, once each; an
    // unfinished enrolment or a desk that requires single sign-on refuses right credentials.
    let backup_ok = match (&row, step) {
        (Some(r), None) if password_ok && r.disabled == 0 => {
            crate::domain::staff::use_backup_code(db, r.id, code.expose(), now_ms).await?
        }
        _ => false,
    };
    let refusal = match &row {
        Some(r) if ok || backup_ok => crate::domain::staff::local_sign_in_refusal(db, r.id).await?,
        _ => None,
    };
    let ok = (ok || backup_ok) && refusal.is_none();

    let mut tx = begin_write(db).await?;
    sqlx::query("INSERT INTO sign_in_attempts (email_norm, client, success, at_ms) VALUES ($1, $2, $3, $4)")
        .bind(&email_norm)
        .bind(client_ip)
        .bind(ok as i64)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    let actor = match (&row, ok) {
        (Some(r), true) => {
            Actor { id: Some(r.id), email: Some(r.email.clone()), role: Role::parse(&r.role), client: client.into() }
        }
        _ => Actor::anonymous(client),
    };
    let outcome = match (&refusal, ok) {
        (_, true) => "success",
        (Some(ApiError::Denied { .. }), _) => "refused_sso_required",
        _ => "failure",
    };
    audit::record(
        &mut tx,
        now_ms,
        &actor,
        Entry {
            action: "sign_in",
            target_type: Some("agent"),
            target_id: Some(email_norm.clone()),
            outcome,
            detail: json!({}),
            ..Default::default()
        },
    )
    .await?;
    let result = match (row, ok) {
        (Some(r), true) => {
            if let Some(step) = step {
                sqlx::query("UPDATE agents SET totp_last_step = $1 WHERE id = $2")
                    .bind(step)
                    .bind(r.id)
                    .execute(&mut *tx)
                    .await?;
            }
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
            action: "sign_out",
            target_type: Some("agent"),
            target_id: Some(session.agent.id.to_string()),
            outcome: "success",
            detail: json!({}),
            ..Default::default()
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
