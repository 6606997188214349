//! Demo data: the two demo agents with their fixed credentials, a few well-known accounts the
//! README and tests name, and tens of thousands of varied accounts from a fixed seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::SqlitePool;

use crate::clock::Clock;
use crate::crypto;
use crate::db::begin_write;

pub const AGENT_EMAIL: &str = "agent@demo.test";
pub const AGENT_PASSWORD: &str = "demo-agent-pass";
pub const AGENT_TOTP: &str = "JBSWY3DPEHPK3PXP";
pub const LEAD_EMAIL: &str = "lead@demo.test";
pub const LEAD_PASSWORD: &str = "demo-lead-pass";
pub const LEAD_TOTP: &str = "KRSXG5CTMVRXEZLU";
pub const ADMIN_EMAIL: &str = "admin@demo.test";
pub const ADMIN_PASSWORD: &str = "demo-admin-pass";
pub const ADMIN_TOTP: &str = "MFRGGZDFMZTWQ2LK";

const FIRST: &[&str] = &[
    "Maria", "James", "Aiko", "Olusegun", "Priya", "Lucas", "Fatima", "Mateo", "Chen", "Anna", "Ivan", "Sofia", "Noah",
    "Amara", "Kenji", "Elena", "Omar", "Zoe", "Rafael", "Ingrid", "Tariq", "Mei", "Diego", "Hannah",
];
const LAST: &[&str] = &[
    "Lopez", "Smith", "Tanaka", "Adeyemi", "Sharma", "Silva", "Khan", "Garcia", "Wang", "Kowalski", "Petrov", "Rossi",
    "Brown", "Okafor", "Sato", "Popescu", "Haddad", "Martin", "Costa", "Larsen", "Aziz", "Lin", "Torres", "Müller",
];
const DOMAINS: &[&str] =
    &["gmail.com", "outlook.com", "yahoo.com", "proton.me", "example.com", "mail.test", "fastmail.com"];
const COUNTRIES: &[&str] = &["US", "GB", "IN", "PH", "UA", "BR", "NG", "DE", "PK", "ES", "CA", "JP", "RO", "EG"];

/// Maria Lopez's authenticator app secret and backup codes, for demos and tests of the reset page.
pub const MARIA_TOTP: &str = "GEZDGNBVGY3TQOJQ";
pub const MARIA_BACKUP_CODES: &[&str] = &["1111-2222", "3333-4444", "5555-6666"];

/// A well-known account the README, the tests and a demo can name.
pub struct Known {
    pub username: &'static str,
    pub display_name: &'static str,
    pub country: &'static str,
    pub phone: &'static str,
    pub emails: &'static [(&'static str, bool, bool)],
    pub two_factor: &'static [&'static str],
    pub sessions: usize,
    /// `locked`: too many failed sign-ins (the console's Unlock has something to do).
    pub status: &'static str,
}

pub const KNOWN: &[Known] = &[
    Known {
        username: "maria.lopez",
        display_name: "Maria Lopez",
        country: "US",
        phone: "+1 415 555 0100",
        emails: &[("maria.lopez@example.com", true, true), ("m.lopez.work@mail.test", false, true)],
        two_factor: &["authenticator_app", "backup_codes"],
        sessions: 2,
        status: "active",
    },
    Known {
        username: "jsmith",
        display_name: "James Smith",
        country: "GB",
        phone: "+44 7700 900123",
        emails: &[("james.smith@example.com", true, true), ("jimmy.s@mail.test", false, false)],
        two_factor: &[],
        sessions: 1,
        status: "active",
    },
    Known {
        username: "aiko.t",
        display_name: "Aiko Tanaka",
        country: "JP",
        phone: "+81 90 1234 5678",
        emails: &[("aiko@example.com", true, true), ("aiko.tanaka@gmail.com", false, true)],
        two_factor: &["sms"],
        sessions: 1,
        status: "active",
    },
    // Possible duplicates of the accounts above: the same phone and name, the same gmail address.
    Known {
        username: "maria.l.shop",
        display_name: "Maria Lopez",
        country: "US",
        phone: "+1 (415) 555-0100",
        emails: &[("maria.lopez.shop@mail.test", true, true)],
        two_factor: &[],
        sessions: 0,
        status: "active",
    },
    Known {
        username: "aikot_shop",
        display_name: "A. Tanaka",
        country: "JP",
        phone: "+81 80 0000 1111",
        emails: &[("aikotanaka+shop@gmail.com", true, false)],
        two_factor: &[],
        sessions: 0,
        status: "locked",
    },
];

pub async fn seed_if_empty(
    db: &SqlitePool,
    clock: &dyn Clock,
    keys: &crypto::Keys,
    accounts: usize,
    requests: usize,
) -> anyhow::Result<()> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents").fetch_one(db).await?;
    if count > 0 {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let now = clock.now_ms();
    let agent_hash = crypto::hash_password(AGENT_PASSWORD)?;
    let lead_hash = crypto::hash_password(LEAD_PASSWORD)?;
    let admin_hash = crypto::hash_password(ADMIN_PASSWORD)?;
    // End users' passwords matter only once they reset them; every demo account starts with one.
    let user_hash = crypto::hash_password("demo-user-pass")?;

    let mut tx = begin_write(db).await?;
    for (email, name, role, hash, secret) in [
        (AGENT_EMAIL, "Alex Agent", "agent", &agent_hash, AGENT_TOTP),
        (LEAD_EMAIL, "Lee Lead", "lead", &lead_hash, LEAD_TOTP),
        (ADMIN_EMAIL, "Ada Admin", "admin", &admin_hash, ADMIN_TOTP),
    ] {
        sqlx::query(
            "INSERT INTO agents (email, name, role, password_hash, totp_secret, created_ms, enrolled_ms) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(email)
        .bind(name)
        .bind(role)
        .bind(hash)
        .bind(keys.seal(crypto::Sealed::AgentTotp, secret))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }

    let mut rng = StdRng::seed_from_u64(20261126);
    let day = 86_400_000i64;
    let mut accounts_rows = Vec::with_capacity(accounts);
    let mut email_rows = Vec::new();
    let mut tfa_rows = Vec::new();
    let mut backup_rows: Vec<(i64, String)> = Vec::new();
    let mut session_rows: Vec<(i64, i64)> = Vec::new();
    for (i, k) in KNOWN.iter().enumerate() {
        let id = i as i64 + 1;
        accounts_rows.push((
            id,
            k.username.to_string(),
            k.display_name.to_string(),
            k.status,
            k.country,
            Some(k.phone.to_string()),
            true,
            now - 900 * day,
            Some(now - 3 * day),
        ));
        for (e, primary, verified) in k.emails {
            email_rows.push((id, e.to_string(), *primary, *verified, false));
        }
        for m in k.two_factor {
            let secret = (*m == "authenticator_app").then(|| keys.seal(crypto::Sealed::UserTotp, MARIA_TOTP));
            tfa_rows.push((id, *m, Some(now - 10 * day), secret));
            if *m == "backup_codes" {
                for c in MARIA_BACKUP_CODES {
                    backup_rows.push((id, keys.code_hash(crypto::Code::Backup, &c.replace('-', ""))));
                }
            }
        }
        for _ in 0..k.sessions {
            session_rows.push((id, now - day));
        }
    }
    for n in KNOWN.len()..accounts.max(KNOWN.len()) {
        let id = n as i64 + 1;
        let first = FIRST[rng.gen_range(0..FIRST.len())];
        let last = LAST[rng.gen_range(0..LAST.len())];
        let username = format!("{}{}{}", first.to_lowercase(), ["", ".", "_"][rng.gen_range(0..3)], id);
        // A middle initial keeps same-name-and-country duplicates as rare as they are in life.
        let initial = (b'A' + rng.gen_range(0..26)) as char;
        let status = match rng.gen_range(0..100) {
            0..=3 => "locked",
            4..=5 => "suspended",
            _ => "active",
        };
        let country = COUNTRIES[rng.gen_range(0..COUNTRIES.len())];
        let phone = rng
            .gen_bool(0.6)
            .then(|| format!("+{} {:03} {:04}", rng.gen_range(1..99), rng.gen_range(100..999), rng.gen_range(0..9999)));
        let created = now - rng.gen_range(30..3650) * day;
        let last_sign_in = rng.gen_bool(0.9).then(|| now - rng.gen_range(0..400) * day);
        accounts_rows.push((
            id,
            username,
            format!("{first} {initial}. {last}"),
            status,
            country,
            phone,
            rng.gen_bool(0.7),
            created,
            last_sign_in,
        ));
        if rng.gen_bool(0.5) {
            session_rows.push((id, now - rng.gen_range(0..30) * day));
        }
        let n_emails = rng.gen_range(1..=3);
        for j in 0..n_emails {
            let domain = DOMAINS[rng.gen_range(0..DOMAINS.len())];
            let local = match j {
                0 => format!("{}.{}{}", first.to_lowercase(), last.to_lowercase().replace('ü', "u"), id),
                1 => format!("{}{}", first.to_lowercase(), id),
                _ => format!("{}+work{}", last.to_lowercase().replace('ü', "u"), id),
            };
            email_rows.push((id, format!("{local}@{domain}"), j == 0, j == 0 || rng.gen_bool(0.6), rng.gen_bool(0.03)));
        }
        for (kind, p) in [("authenticator_app", 0.35), ("sms", 0.25), ("backup_codes", 0.2)] {
            if rng.gen_bool(p) {
                let secret = (kind == "authenticator_app").then(|| {
                    let bytes: [u8; 10] = rng.gen();
                    keys.seal(crypto::Sealed::UserTotp, &data_encoding::BASE32_NOPAD.encode(&bytes))
                });
                tfa_rows.push((id, kind, rng.gen_bool(0.7).then(|| now - rng.gen_range(0..200) * day), secret));
                if kind == "backup_codes" {
                    for _ in 0..3 {
                        let code = format!("{:08}", rng.gen_range(0..100_000_000u32));
                        backup_rows.push((id, keys.code_hash(crypto::Code::Backup, &code)));
                    }
                }
            }
        }
    }

    // Multi-row inserts: one statement per few hundred rows keeps seeding to about a second.
    for chunk in accounts_rows.chunks(500) {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO accounts (id, username, username_lc, display_name, display_name_lc, status, country, phone, \
             password_hash, security_question, created_ms, last_sign_in_ms, phone_digits) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.0)
                .push_bind(&r.1)
                .push_bind(r.1.to_lowercase())
                .push_bind(&r.2)
                .push_bind(r.2.to_lowercase())
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(&r.5)
                .push_bind(&user_hash)
                .push_bind(r.6.then_some("What was the name of your first pet?"))
                .push_bind(r.7)
                .push_bind(r.8)
                .push_bind(r.5.as_deref().map(desk_api::phone_digits));
        });
        qb.build().execute(&mut *tx).await?;
    }
    for chunk in email_rows.chunks(800) {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO account_emails (account_id, email, email_norm, email_canon, is_primary, verified, bounced) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.0)
                .push_bind(&r.1)
                .push_bind(r.1.to_lowercase())
                .push_bind(desk_api::canonical_email(&r.1))
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4);
        });
        qb.build().execute(&mut *tx).await?;
    }
    for chunk in tfa_rows.chunks(1000) {
        let mut qb =
            sqlx::QueryBuilder::new("INSERT INTO two_factor_methods (account_id, kind, last_used_ms, secret) ");
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind(&r.3);
        });
        qb.build().execute(&mut *tx).await?;
    }
    for chunk in backup_rows.chunks(1000) {
        let mut qb = sqlx::QueryBuilder::new("INSERT INTO backup_codes (account_id, code_hash) ");
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.0).push_bind(&r.1);
        });
        qb.build().execute(&mut *tx).await?;
    }
    for chunk in session_rows.chunks(1000) {
        let mut qb = sqlx::QueryBuilder::new("INSERT INTO user_sessions (account_id, created_ms) ");
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.0).push_bind(r.1);
        });
        qb.build().execute(&mut *tx).await?;
    }
    // A queue to work: requests of every kind and risk, due at different times.
    let changes = ["email", "phone", "remove_two_factor", "reset_security_question"];
    let total = accounts_rows.len() as i64;
    for i in 0..requests as i64 {
        let account = KNOWN.len() as i64 + 1 + rng.gen_range(0..(total - KNOWN.len() as i64).max(1));
        let (username, display_name, country): (String, String, String) =
            sqlx::query_as("SELECT username, display_name, country FROM accounts WHERE id = $1")
                .bind(account)
                .fetch_one(&mut *tx)
                .await?;
        let change = changes[(i % 4) as usize];
        let risk = ["low", "medium", "high"][rng.gen_range(0..3)];
        let state = match i % 10 {
            8 => "needs_info",
            9 => "escalated",
            _ => "open",
        };
        let name_matches = rng.gen_bool(0.8);
        let submitted_name = if name_matches { display_name.clone() } else { "Someone Else".to_string() };
        let facts = serde_json::json!([
            {"fact": "Name", "submitted": submitted_name, "on_file": display_name, "matches": name_matches},
            {"fact": "Country", "submitted": country, "on_file": country, "matches": true}
        ]);
        let mut reasons = vec!["The contact address is not on the account".to_string()];
        if !name_matches {
            reasons.push("Name differs from the account".into());
        }
        if change == "remove_two_factor" {
            reasons.push("Removes two-step verification".into());
        }
        let new_value = match change {
            "email" => Some(format!("{username}.new@mail.test")),
            "phone" => Some(format!("+1 555 01{i:02} 000")),
            _ => None,
        };
        let submitted = now - rng.gen_range(1..72) * 3600 * 1000;
        let sla_hours = match risk {
            "high" => 8,
            "medium" => 24,
            _ => 48,
        };
        sqlx::query(
            "INSERT INTO security_requests (reference, state, risk, risk_reasons, change_kind, new_value, identifier, account_id, contact_email, \
             full_name, country, statement, facts, submitted_ms, sla_due_ms, updated_ms, escalated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14, $16)",
        )
        .bind(format!("SD-DEMO{i:04}"))
        .bind(state)
        .bind(risk)
        .bind(serde_json::to_string(&reasons)?)
        .bind(change)
        .bind(new_value)
        .bind(&username)
        .bind(account)
        .bind(format!("{username}.contact@mail.test"))
        .bind(&submitted_name)
        .bind(&country)
        .bind("I cannot get into my account: the email and phone on it are no longer mine.")
        .bind(facts.to_string())
        .bind(submitted)
        .bind(submitted + sla_hours * 3600 * 1000)
        .bind((state == "escalated").then_some(1i64))
        .execute(&mut *tx)
        .await?;
    }

    tx.commit().await?;
    tracing::info!(accounts, elapsed_ms = started.elapsed().as_millis() as u64, "demo data seeded");
    Ok(())
}
