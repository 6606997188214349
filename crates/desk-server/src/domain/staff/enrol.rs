//! Enrolment through a single-use link: choose a password (or confirm it, after an authenticator
//! reset), scan a new authenticator secret, confirm it with a first code, receive backup codes.
//! The staff member can sign in only once the last step commits.

use desk_api::{AuditAction, EmailAddress};
use serde_json::json;

use super::passwords;
use crate::audit::{self, Actor, Entry};
use crate::crypto::Keys;
use crate::domain::{vault, DomainError, DomainResult};
use crate::store::{self, Conn, Db, StoreResult};
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
    conn: &mut Conn,
    config: &Config,
    now_ms: i64,
    agent_id: i64,
    purpose: Purpose,
    created_by: Option<i64>,
) -> StoreResult<String> {
    store::enrolments::supersede(conn, agent_id, now_ms).await?;
    let token = vault::new_link_token();
    let token_hash = vault::link_token_hash(&token);
    let link = store::enrolments::NewLink {
        agent_id,
        purpose: purpose.as_str(),
        token_hash: &token_hash,
        created_by,
        created_ms: now_ms,
        expires_ms: now_ms + config.staff_invite_ttl_secs * 1000,
    };
    store::enrolments::insert(conn, &link).await?;
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

#[tracing::instrument(name = "enrol.open", skip_all)]
pub async fn open(db: &Db, token: &str, now_ms: i64) -> DomainResult<Opened> {
    if token.len() != 43 {
        return Ok(Opened::Unknown);
    }
    let row = store::enrolments::by_hash(&mut *db.acquire().await?, &vault::link_token_hash(token)).await?;
    let Some(r) = row else { return Ok(Opened::Unknown) };
    let purpose = match r.purpose.as_str() {
        "invite" => Purpose::Invite,
        "authenticator_reset" => Purpose::AuthenticatorReset,
        other => return Err(DomainError::corrupt("staff_enrolments.purpose", format!("{other:?} is not a purpose"))),
    };
    Ok(if r.used_ms.is_some() {
        Opened::Used
    } else if r.superseded_ms.is_some() {
        Opened::Superseded
    } else if r.expires_ms <= now_ms {
        Opened::Expired
    } else if r.failed_codes >= MAX_FAILURES || r.disabled.0 {
        Opened::TooManyFailures
    } else {
        Opened::Valid(Enrolment {
            id: r.id,
            agent_id: r.agent_id,
            purpose,
            email: r.email,
            name: r.name,
            password_done: r.password_ms.is_some(),
        })
    })
}

async fn count_failure(db: &Db, e: &Enrolment) -> DomainResult<()> {
    let mut tx = db.write().await?;
    store::enrolments::count_failure(&mut tx, e.id).await?;
    Ok(store::commit(tx).await?)
}

/// The password step. `Ok(Err(message))` is a refusal to show on the page.
#[tracing::instrument(name = "enrol.password_step", skip_all)]
pub async fn password_step(
    db: &Db,
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
            let stored = store::enrolments::current_password_hash(&mut *db.acquire().await?, e.agent_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the staff member of an enrolment link is gone"))?;
            let p = password.to_string();
            if !tokio::task::spawn_blocking(move || crypto::verify_password(&p, &stored)).await? {
                count_failure(db, e).await?;
                return Ok(Err("That is not your current password.".into()));
            }
            None
        }
    };
    let mut tx = db.write().await?;
    let done = store::enrolments::set_password(&mut tx, e.id, hash.as_deref(), now_ms).await?;
    store::commit(tx).await?;
    Ok(if done { Ok(()) } else { Err("This link stopped working; ask your admin for a new one.".into()) })
}

/// A fresh authenticator secret for the staff member, replacing any not yet confirmed. The
/// page shows it once; asking again makes a new one.
pub async fn new_authenticator(db: &Db, keys: &Keys, e: &Enrolment) -> DomainResult<Option<String>> {
    if !e.password_done {
        return Ok(None);
    }
    let secret = vault::new_totp_secret();
    let mut tx = db.write().await?;
    let set =
        store::enrolments::set_pending_secret(&mut tx, e.agent_id, &vault::seal_totp_secret(keys, &secret)).await?;
    store::commit(tx).await?;
    Ok(set.then_some(secret))
}

/// What stays as it is in the account part of the URI: RFC 3986's unreserved characters, and the
/// `@` that authenticator apps show as it is.
const ACCOUNT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

/// The `otpauth://` URI authenticator apps scan (Key Uri Format): SHA-1, 6 digits, 30 s.
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/Recovery%20Desk:{}?secret={secret}&issuer=Recovery%20Desk&algorithm=SHA1&digits=6&period=30",
        percent_encoding::utf8_percent_encode(email, ACCOUNT)
    )
}

/// The last step: the first code from the new authenticator. On success the link is used up,
/// the password and authenticator take effect, and ten new backup codes are answered (only
/// their hashes are kept).
#[tracing::instrument(name = "enrol.confirm", skip_all)]
pub async fn confirm(
    db: &Db,
    keys: &Keys,
    e: &Enrolment,
    code: &str,
    now_ms: i64,
    client: &str,
) -> anyhow::Result<Result<Vec<String>, String>> {
    if !e.password_done {
        return Ok(Err("Choose your password first.".into()));
    }
    let pending = store::enrolments::pending(&mut *db.acquire().await?, e.agent_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the staff member of an enrolment link is gone"))?;
    let step = vault::open_totp_secret(keys, &pending.totp_secret)
        .filter(|_| pending.enrolled_ms.is_none())
        .and_then(|secret| totp::matching_step(secret.expose(), code, now_ms / 1000));
    let Some(step) = step else {
        count_failure(db, e).await?;
        return Ok(Err("That code is not right. Check the app shows Recovery Desk and enter its current code.".into()));
    };
    let codes = vault::new_backup_codes();
    let mut tx = db.write().await?;
    if !store::enrolments::use_link(&mut tx, e.id, now_ms).await? {
        return Ok(Err("This link stopped working; ask your admin for a new one.".into()));
    }
    // The confirming code counts as used, so it cannot also sign in.
    store::enrolments::take_effect(&mut tx, e.id, e.agent_id, now_ms, step).await?;
    store::staff::void_backup_codes(&mut tx, e.agent_id, now_ms).await?;
    let hashes: Vec<String> = codes.iter().map(|c| vault::backup_code_hash(keys, c)).collect();
    store::staff::insert_backup_codes(&mut tx, e.agent_id, &hashes, now_ms).await?;
    let actor =
        Actor { id: Some(e.agent_id), email: Some(e.email.clone()), role: Some(pending.role), client: client.into() };
    let entry = Entry {
        target_type: Some("agent"),
        target_id: Some(e.agent_id.to_string()),
        detail: json!({ "purpose": e.purpose.as_str(), "backup_codes": codes.len() }),
        ..Entry::new(AuditAction::StaffEnrolled, "success")
    };
    audit::record(&mut tx, now_ms, &actor, entry).await?;
    store::commit(tx).await?;
    Ok(Ok(codes))
}

/// `desk-server admin create`: the first admin and their enrolment link. Refused when an admin
/// exists, unless forced with a reason (which the audit log keeps).
#[tracing::instrument(name = "enrol.create_first_admin", skip_all)]
pub async fn create_first_admin(
    db: &Db,
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
    let mut tx = db.write().await?;
    let created =
        store::staff::insert_first_admin(&mut tx, email.as_str(), name, now_ms, force_reason.is_some()).await?;
    let Some(id) = created else {
        if store::staff::id_by_email(&mut tx, email.as_str()).await?.is_some() {
            anyhow::bail!("a staff member with the address {} exists already", email.as_str());
        }
        anyhow::bail!("an admin exists already: invite more staff from the console, or pass --force --reason \"…\"");
    };
    let link = issue_link(&mut tx, config, now_ms, id, Purpose::Invite, None).await?;
    let entry = Entry {
        target_type: Some("agent"),
        target_id: Some(id.to_string()),
        reason: force_reason.map(str::trim),
        detail: json!({ "email": email.as_str(), "forced": force_reason.is_some() }),
        ..Entry::new(AuditAction::AdminCreate, "success")
    };
    audit::record(&mut tx, now_ms, &Actor::anonymous("desk-server admin create (command line)"), entry).await?;
    store::commit(tx).await?;
    Ok(link)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_account_in_the_otpauth_uri_is_percent_encoded_but_for_unreserved_characters_and_the_at() {
        let uri = super::otpauth_uri("Lee.O'Neil+desk_1~x@demo.test", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with("otpauth://totp/Recovery%20Desk:Lee.O%27Neil%2Bdesk_1~x@demo.test?secret="), "{uri}");
        let uri = super::otpauth_uri("zoë@demo.test", "JBSWY3DPEHPK3PXP");
        assert!(uri.contains(":zo%C3%AB@demo.test?"), "{uri}");
    }
}
