//! Caller verification: challenges, their hourly counts, and the authenticator steps read back.
//!
//! Across instances: the hourly cap is one upsert that stops at the cap (`ON CONFLICT DO UPDATE …
//! WHERE n < $cap RETURNING`); a challenge's attempts grow by one conditional `UPDATE … WHERE
//! attempts < $max RETURNING`, so parallel guesses never get more than the cap; an authenticator
//! step verifies one challenge at most through the primary key of `caller_totp_steps`.

use desk_api::CallerMethod;

use super::{Conn, Step, StoreResult};

/// Counts a challenge in the account's hour: false when the hour's cap is reached.
pub async fn count_challenge(conn: &mut Conn, account_id: i64, window_start: i64, cap: i64) -> StoreResult<bool> {
    let n: Option<i64> = sqlx::query_scalar(
        "INSERT INTO caller_challenge_counts (account_id, window_start, n) VALUES ($1, $2, 1) \
         ON CONFLICT (account_id, window_start) DO UPDATE SET n = caller_challenge_counts.n + 1 \
         WHERE caller_challenge_counts.n < $3 RETURNING n",
    )
    .bind(account_id)
    .bind(window_start)
    .bind(cap)
    .fetch_optional(conn)
    .await
    .step("counting a caller challenge (caller_challenge_counts)")?;
    Ok(n.is_some())
}

pub struct NewChallenge<'a> {
    pub account_id: i64,
    pub agent_id: i64,
    pub method: CallerMethod,
    /// Keyed hash of a sent code; `None` for an authenticator challenge.
    pub code_hash: Option<&'a str>,
    pub created_ms: i64,
    pub expires_ms: i64,
}

pub async fn insert_challenge(conn: &mut Conn, c: &NewChallenge<'_>) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO caller_challenges (account_id, agent_id, method, code_hash, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(c.account_id)
    .bind(c.agent_id)
    .bind(c.method)
    .bind(c.code_hash)
    .bind(c.created_ms)
    .bind(c.expires_ms)
    .fetch_one(conn)
    .await
    .step("starting a caller challenge (caller_challenges)")
}

/// A challenge whose attempt was just spent.
#[derive(Debug, sqlx::FromRow)]
pub struct Spent {
    pub method: CallerMethod,
    pub code_hash: Option<String>,
    pub attempts: i64,
}

/// Spends one attempt of the agent's open, unexpired challenge: `None` when there is none to spend.
pub async fn spend_attempt(
    conn: &mut Conn,
    challenge_id: i64,
    account_id: i64,
    agent_id: i64,
    now_ms: i64,
    max_attempts: i64,
) -> StoreResult<Option<Spent>> {
    sqlx::query_as(
        "UPDATE caller_challenges SET attempts = attempts + 1 \
         WHERE id = $1 AND account_id = $2 AND agent_id = $3 AND verified_ms IS NULL AND expires_ms > $4 \
         AND attempts < $5 RETURNING method, code_hash, attempts",
    )
    .bind(challenge_id)
    .bind(account_id)
    .bind(agent_id)
    .bind(now_ms)
    .bind(max_attempts)
    .fetch_optional(conn)
    .await
    .step("spending a caller-check attempt (caller_challenges)")
}

/// Why a challenge had no attempt to spend.
#[derive(Debug, sqlx::FromRow)]
pub struct ChallengeState {
    pub expires_ms: i64,
    pub verified_ms: Option<i64>,
    pub agent_id: i64,
}

pub async fn challenge_state(
    conn: &mut Conn,
    challenge_id: i64,
    account_id: i64,
) -> StoreResult<Option<ChallengeState>> {
    sqlx::query_as("SELECT expires_ms, verified_ms, agent_id FROM caller_challenges WHERE id = $1 AND account_id = $2")
        .bind(challenge_id)
        .bind(account_id)
        .fetch_optional(conn)
        .await
        .step("reading a caller challenge (caller_challenges)")
}

/// Records an authenticator step as read back: true for the one check that recorded it.
pub async fn take_totp_step(conn: &mut Conn, account_id: i64, step: i64) -> StoreResult<bool> {
    Ok(sqlx::query("INSERT INTO caller_totp_steps (account_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(account_id)
        .bind(step)
        .execute(conn)
        .await
        .step("using an authenticator step (caller_totp_steps)")?
        .rows_affected()
        == 1)
}

pub async fn mark_verified(conn: &mut Conn, challenge_id: i64, now_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE caller_challenges SET verified_ms = $1 WHERE id = $2 AND verified_ms IS NULL")
        .bind(now_ms)
        .bind(challenge_id)
        .execute(conn)
        .await
        .step("marking a caller verified (caller_challenges)")?;
    Ok(())
}

/// The newest verification of the account since `since_ms`, by whichever agent.
#[derive(Debug, sqlx::FromRow)]
pub struct Verified {
    pub method: CallerMethod,
    pub verified_ms: i64,
    pub name: String,
    pub agent_id: i64,
}

pub async fn latest_verified(conn: &mut Conn, account_id: i64, since_ms: i64) -> StoreResult<Option<Verified>> {
    sqlx::query_as(
        "SELECT c.method, c.verified_ms, a.name, a.id AS agent_id FROM caller_challenges c \
         JOIN agents a ON a.id = c.agent_id \
         WHERE c.account_id = $1 AND c.verified_ms > $2 ORDER BY c.verified_ms DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(since_ms)
    .fetch_optional(conn)
    .await
    .step("reading the caller's verification (caller_challenges)")
}

/// Whether this agent verified the account's caller since `since_ms`.
pub async fn verified_by(conn: &mut Conn, account_id: i64, agent_id: i64, since_ms: i64) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM caller_challenges WHERE account_id = $1 AND agent_id = $2 AND verified_ms > $3 LIMIT 1",
    )
    .bind(account_id)
    .bind(agent_id)
    .bind(since_ms)
    .fetch_optional(conn)
    .await
    .step("reading the caller's verification (caller_challenges)")?;
    Ok(found.is_some())
}

/// The address a caller code goes to: the first verified address that receives mail, primary first.
pub async fn code_address(conn: &mut Conn, account_id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar(
        "SELECT email FROM account_emails WHERE account_id = $1 AND verified = 1 AND bounced = 0 \
         ORDER BY is_primary DESC, id LIMIT 1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await
    .step("choosing the address for a caller code (account_emails)")
}
