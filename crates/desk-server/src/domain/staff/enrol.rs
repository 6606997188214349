//! Enrolment through a single-use link: choose a password (or confirm it, after an authenticator
//! reset), scan a new authenticator secret, confirm it with a first code, receive backup codes.
//! The staff member can sign in only once the last step commits.

use desk_api::{AuditAction, EmailAddress, Role};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::passwords;
use crate::audit::{self, Actor, Entry};
use crate::crypto::Keys;
use crate::db::begin_write;
use crate::domain::vault;
use crate::{crypto, totp, Config};

/// Wrong codes or passwords a link tolerates before it stops working.
pub const MAX_FAILURES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invite,
    AuthenticatorReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Invite => "invite",
            Purpose::AuthenticatorReset => "authenticator_reset",
        }
    }
}

/// A new link for the staff member; older unused ones stop working. Answers the full URL.
pub async fn issue_link(
    conn: &mut SqliteConnection,
    config: &Config,
    now_ms: i64,
    agent_id: i64,
    purpose: Purpose,
    created_by: Option<i64>,
) -> sqlx::Result<String> {
    sqlx::query(
        "UPDATE staff_enrolments SET superseded_ms = $1 WHERE agent_id = $2 AND used_ms IS NULL AND superseded_ms IS NULL",
    )
    .bind(now_ms)
    .bind(agent_id)
    .execute(&mut *conn)
    .await?;
    let token = vault::new_link_token();
    sqlx::query(
        "INSERT INTO staff_enrolments (agent_id, purpose, token_hash, created_by, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(agent_id)
    .bind(purpose.as_str())
    .bind(vault::link_token_hash(&token))
    .bind(created_by)
    .bind(now_ms)
    .bind(now_ms + config.staff_invite_ttl_secs * 1000)
    .execute(&mut *conn)
    .await?;
    Ok(format!("{}/enrol/{token}", config.public_url()))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    Valid(Enrolment),
    Unknown,
    Expired,
    Used,
    Superseded,
    TooManyFailures,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    pub id: i64,
    pub agent_id: i64,
    pub purpose: Purpose,
    pub email: String,
    pub name: String,
    /// The password step is done: chosen (invite) or confirmed (reset).
    pub password_done: bool,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    agent_id: i64,
    purpose: String,
    expires_ms: i64,
    password_ms: Option<i64>,
    used_ms: Option<i64>,
    superseded_ms: Option<i64>,
    failed_codes: i64,
    email: String,
    name: String,
    disabled: i64,
}

pub async fn open(db: &SqlitePool, token: &str, now_ms: i64) -> sqlx::Result<Opened> {
    if token.len() != 43 {
        return Ok(Opened::Unknown);
    }
    let row: Option<LinkRow> = sqlx::query_as(
        "SELECT e.id, e.agent_id, e.purpose, e.expires_ms, e.password_ms, e.used_ms, e.superseded_ms, e.failed_codes, \
                a.email, a.name, a.disabled \
         FROM staff_enrolments e JOIN agents a ON a.id = e.agent_id WHERE e.token_hash = $1",
    )
    .bind(vault::link_token_hash(token))
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(Opened::Unknown) };
    Ok(if r.used_ms.is_some() {
        Opened::Used
    } else if r.superseded_ms.is_some() {
        Opened::Superseded
    } else if r.expires_ms <= now_ms {
        Opened::Expired
    } else if r.failed_codes >= MAX_FAILURES || r.disabled != 0 {
        Opened::TooManyFailures
    } else {
        Opened::Valid(Enrolment {
            id: r.id,
            agent_id: r.agent_id,
            purpose: if r.purpose == "invite" { Purpose::Invite } else { Purpose::AuthenticatorReset },
            email: r.email,
            name: r.name,
            password_done: r.password_ms.is_some(),
        })
    })
}

async fn count_failure(db: &SqlitePool, e: &Enrolment) -> sqlx::Result<()> {
    sqlx::query("UPDATE staff_enrolments SET failed_codes = failed_codes + 1 WHERE id = $1")
        .bind(e.id)
        .execute(db)
        .await?;
    Ok(())
}

/// The password step. `Ok(Err(message))` is a refusal to show on the page.
pub async fn password_step(
    db: &SqlitePool,
    e: &Enrolment,
    password: &str,
    confirm: &str,
    now_ms: i64,
) -> anyhow::Result<Result<(), String>> {
    let hash = match e.purpose {
        Purpose::Invite => {
            if let Some(problem) = passwords::problem(password, &e.email, &e.name) {
                return Ok(Err(problem));
            }
            if password != confirm {
                return Ok(Err("The two passwords differ.".into()));
            }
            let p = password.to_string();
            Some(tokio::task::spawn_blocking(move || crypto::hash_password(&p)).await??)
        }
        Purpose::AuthenticatorReset => {
            let stored: String = sqlx::query_scalar("SELECT password_hash FROM agents WHERE id = $1")
                .bind(e.agent_id)
                .fetch_one(db)
                .await?;
            let p = password.to_string();
            if !tokio::task::spawn_blocking(move || crypto::verify_password(&p, &stored)).await? {
                count_failure(db, e).await?;
                return Ok(Err("That is not your current password.".into()));
            }
            None
        }
    };
    let done = sqlx::query(
        "UPDATE staff_enrolments SET password_hash = $1, password_ms = $2 \
         WHERE id = $3 AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $2",
    )
    .bind(hash)
    .bind(now_ms)
    .bind(e.id)
    .execute(db)
    .await?
    .rows_affected();
    Ok(if done == 1 { Ok(()) } else { Err("This link stopped working; ask your admin for a new one.".into()) })
}

/// A fresh authenticator secret for the staff member, replacing any not yet confirmed. The
/// page shows it once; asking again makes a new one.
pub async fn new_authenticator(db: &SqlitePool, keys: &Keys, e: &Enrolment) -> sqlx::Result<Option<String>> {
    if !e.password_done {
        return Ok(None);
    }
    let secret = vault::new_totp_secret();
    let set = sqlx::query("UPDATE agents SET totp_secret = $1 WHERE id = $2 AND enrolled_ms IS NULL")
        .bind(vault::seal_totp_secret(keys, &secret))
        .bind(e.agent_id)
        .execute(db)
        .await?
        .rows_affected();
    Ok((set == 1).then_some(secret))
}

fn uri_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `otpauth://` URI authenticator apps scan (Key Uri Format): SHA-1, 6 digits, 30 s.
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/Recovery%20Desk:{}?secret={secret}&issuer=Recovery%20Desk&algorithm=SHA1&digits=6&period=30",
        uri_escape(email)
    )
}

/// The last step: the first code from the new authenticator. On success the link is used up,
/// the password and authenticator take effect, and ten new backup codes are answered (only
/// their hashes are kept).
pub async fn confirm(
    db: &SqlitePool,
    keys: &Keys,
    e: &Enrolment,
    code: &str,
    now_ms: i64,
    client: &str,
) -> anyhow::Result<Result<Vec<String>, String>> {
    if !e.password_done {
        return Ok(Err("Choose your password first.".into()));
    }
    let (stored, role, enrolled): (String, String, Option<i64>) =
        sqlx::query_as("SELECT totp_secret, role, enrolled_ms FROM agents WHERE id = $1")
            .bind(e.agent_id)
            .fetch_one(db)
            .await?;
    let step = vault::open_totp_secret(keys, &stored)
        .filter(|_| enrolled.is_none())
        .and_then(|secret| totp::matching_step(secret.expose(), code, now_ms / 1000));
    let Some(step) = step else {
        count_failure(db, e).await?;
        return Ok(Err("That code is not right. Check the app shows Recovery Desk and enter its current code.".into()));
    };
    let codes = vault::new_backup_codes();
    let mut tx = begin_write(db).await?;
    let used = sqlx::query(
        "UPDATE staff_enrolments SET used_ms = $1 \
         WHERE id = $2 AND used_ms IS NULL AND superseded_ms IS NULL AND expires_ms > $1 AND password_ms IS NOT NULL",
    )
    .bind(now_ms)
    .bind(e.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used != 1 {
        return Ok(Err("This link stopped working; ask your admin for a new one.".into()));
    }
    // The confirming code counts as used, so it cannot also sign in.
    sqlx::query(
        "UPDATE agents SET password_hash = COALESCE((SELECT password_hash FROM staff_enrolments WHERE id = $1), password_hash), \
         enrolled_ms = $2, totp_last_step = $3 WHERE id = $4",
    )
    .bind(e.id)
    .bind(now_ms)
    .bind(step)
    .bind(e.agent_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE staff_enrolments SET password_hash = NULL WHERE id = $1").bind(e.id).execute(&mut *tx).await?;
    sqlx::query("UPDATE staff_backup_codes SET used_ms = $1 WHERE agent_id = $2 AND used_ms IS NULL")
        .bind(now_ms)
        .bind(e.agent_id)
        .execute(&mut *tx)
        .await?;
    for c in &codes {
        sqlx::query("INSERT INTO staff_backup_codes (agent_id, code_hash, created_ms) VALUES ($1, $2, $3)")
            .bind(e.agent_id)
            .bind(vault::backup_code_hash(keys, c))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
    }
    let actor =
        Actor { id: Some(e.agent_id), email: Some(e.email.clone()), role: Role::parse(&role), client: client.into() };
    audit::record(
        &mut tx,
        now_ms,
        &actor,
        Entry {
            target_type: Some("agent"),
            target_id: Some(e.agent_id.to_string()),
            detail: json!({ "purpose": e.purpose.as_str(), "backup_codes": codes.len() }),
            ..Entry::new(AuditAction::StaffEnrolled, "success")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(codes))
}

/// `desk-server admin create`: the first admin and their enrolment link. Refused when an admin
/// exists, unless forced with a reason (which the audit log keeps).
pub async fn create_first_admin(
    db: &SqlitePool,
    config: &Config,
    now_ms: i64,
    email: &str,
    name: &str,
    force_reason: Option<&str>,
) -> anyhow::Result<String> {
    let email = EmailAddress::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        anyhow::bail!("--name: a name is 1 to 100 characters");
    }
    if let Some(r) = force_reason {
        if r.trim().chars().count() < 3 {
            anyhow::bail!("--reason: say why in at least 3 characters");
        }
    }
    let mut tx = begin_write(db).await?;
    // The "no admin yet" rule and the insert are one statement.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms) \
         SELECT $1, $2, 'admin', '', '', $3 WHERE $4 OR NOT EXISTS (SELECT 1 FROM agents WHERE role = 'admin') \
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(email.as_str())
    .bind(name)
    .bind(now_ms)
    .bind(force_reason.is_some())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM agents WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            anyhow::bail!("a staff member with the address {} exists already", email.as_str());
        }
        anyhow::bail!("an admin exists already: invite more staff from the console, or pass --force --reason \"…\"");
    };
    let link = issue_link(&mut tx, config, now_ms, id, Purpose::Invite, None).await?;
    audit::record(
        &mut tx,
        now_ms,
        &Actor::anonymous("desk-server admin create (command line)"),
        Entry {
            target_type: Some("agent"),
            target_id: Some(id.to_string()),
            reason: force_reason.map(str::trim),
            detail: json!({ "email": email.as_str(), "forced": force_reason.is_some() }),
            ..Entry::new(AuditAction::AdminCreate, "success")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(link)
}
