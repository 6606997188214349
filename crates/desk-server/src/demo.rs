//! Demo data: the two demo agents with their fixed credentials, a few well-known accounts the
//! README and tests name, and tens of thousands of varied accounts from a fixed seed.

use anyhow::Context as _;
use desk_api::{AccountStatus, ChangeKind, RequestState, RiskLevel, Role, TwoFactorKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::Clock;
use crate::crypto;
use crate::store::{self, Db};

mod batch;
use batch::Batch;

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
    pub two_factor: &'static [TwoFactorKind],
    pub sessions: usize,
    /// `locked`: too many failed sign-ins (the console's Unlock has something to do).
    pub status: AccountStatus,
}

pub const KNOWN: &[Known] = &[
    Known {
        username: "maria.lopez",
        display_name: "Maria Lopez",
        country: "US",
        phone: "+1 415 555 0100",
        emails: &[("maria.lopez@example.com", true, true), ("m.lopez.work@mail.test", false, true)],
        two_factor: &[TwoFactorKind::AuthenticatorApp, TwoFactorKind::BackupCodes],
        sessions: 2,
        status: AccountStatus::Active,
    },
    Known {
        username: "jsmith",
        display_name: "James Smith",
        country: "GB",
        phone: "+44 7700 900123",
        emails: &[("james.smith@example.com", true, true), ("jimmy.s@mail.test", false, false)],
        two_factor: &[],
        sessions: 1,
        status: AccountStatus::Active,
    },
    Known {
        username: "aiko.t",
        display_name: "Aiko Tanaka",
        country: "JP",
        phone: "+81 90 1234 5678",
        emails: &[("aiko@example.com", true, true), ("aiko.tanaka@gmail.com", false, true)],
        two_factor: &[TwoFactorKind::Sms],
        sessions: 1,
        status: AccountStatus::Active,
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
        status: AccountStatus::Active,
    },
    Known {
        username: "aikot_shop",
        display_name: "A. Tanaka",
        country: "JP",
        phone: "+81 80 0000 1111",
        emails: &[("aikotanaka+shop@gmail.com", true, false)],
        two_factor: &[],
        sessions: 0,
        status: AccountStatus::Locked,
    },
];

/// The lock two instances starting with `--demo` on one empty PostgreSQL database meet on.
const SEED_LOCK: i64 = 0x6465_736b_7365_6564;

/// Generated accounts made and written this many at a time: memory stays flat whatever the size
/// (`make bench` seeds ten million).
const BATCH: i64 = 20_000;

/// Seeds an empty database, in one transaction; a database with agents is left alone. Instances
/// starting together seed once: the second waits for the first's lock, then finds the agents.
pub async fn seed_if_empty(
    db: &Db,
    clock: &dyn Clock,
    keys: &crypto::Keys,
    accounts: usize,
    requests: usize,
) -> anyhow::Result<()> {
    let mut tx = db.write().await?;
    store::audit::advisory_lock(&mut tx, SEED_LOCK).await?;
    if store::staff::count(&mut tx).await? > 0 {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let now = clock.now_ms();
    let agent_hash = crypto::hash_password(AGENT_PASSWORD)?;
    let lead_hash = crypto::hash_password(LEAD_PASSWORD)?;
    let admin_hash = crypto::hash_password(ADMIN_PASSWORD)?;
    // End users' passwords matter only once they reset them; every demo account starts with one.
    let user_hash = crypto::hash_password("demo-user-pass")?;

    for (email, name, role, hash, secret) in [
        (AGENT_EMAIL, "Alex Agent", Role::Agent, &agent_hash, AGENT_TOTP),
        (LEAD_EMAIL, "Lee Lead", Role::Lead, &lead_hash, LEAD_TOTP),
        (ADMIN_EMAIL, "Ada Admin", Role::Admin, &admin_hash, ADMIN_TOTP),
    ] {
        let sealed = keys.seal(crypto::Sealed::AgentTotp, secret);
        let agent = store::staff::NewAgent {
            email,
            name,
            role,
            password_hash: hash,
            totp_secret: &sealed,
            created_ms: now,
            enrolled_ms: Some(now),
        };
        store::staff::insert(&mut tx, &agent).await?;
    }

    // The indexes of millions of rows are written at random places: on SQLite, a page cache of
    // about a KiB per account (at least SQLite's default 2 MiB, at most 4 GiB) for this transaction
    // keeps them in memory instead of spilling every few thousand rows. It is put back before the commit.
    let cache_was = store::grow_page_cache(&mut tx, (accounts as i64).clamp(2000, 4 << 20)).await?;
    let mut rng = StdRng::seed_from_u64(20261126);
    Batch::known(now, keys).insert(&mut tx, &user_hash).await?;
    let total = accounts.max(KNOWN.len()) as i64;
    let mut next = KNOWN.len() as i64 + 1;
    while next <= total {
        let end = (next + BATCH).min(total + 1);
        Batch::generated(&mut rng, next..end, now, keys).insert(&mut tx, &user_hash).await?;
        if end / 1_000_000 > next / 1_000_000 {
            tracing::info!(accounts = end - 1, elapsed_s = started.elapsed().as_secs(), "seeding demo accounts");
        }
        next = end;
    }
    store::accounts::carry_ids_on(&mut tx).await?;

    // A morning's queue: a few overdue, most within their SLA, every kind and risk.
    for i in 0..requests as i64 {
        let plan = DemoRequest::plan(i);
        let account = KNOWN.len() as i64 + 1 + rng.gen_range(0..(total - KNOWN.len() as i64).max(1));
        let p = store::accounts::profile(&mut tx, account).await?.context("a demo request's account")?;
        let (change, risk, state) = (plan.change, plan.risk, plan.state);
        // Low risk only when every fact is right and the contact is an address of the account.
        let name_matches = risk != RiskLevel::High;
        let submitted_name = if name_matches { p.display_name.clone() } else { "Someone Else".to_string() };
        let facts = serde_json::json!([
            {"fact": "Name", "submitted": submitted_name, "on_file": p.display_name, "matches": name_matches},
            {"fact": "Country", "submitted": p.country, "on_file": p.country, "matches": true}
        ]);
        let primary = store::accounts::primary_email(&mut tx, account)
            .await?
            .and_then(|e| desk_api::EmailAddress::parse(&e).ok())
            .map(|e| e.as_str().to_string());
        let contact = match (risk, primary) {
            (RiskLevel::Low, Some(primary)) => primary,
            _ => format!("{}.contact@mail.test", p.username),
        };
        let mut reasons = vec![if risk == RiskLevel::Low {
            "The contact address is on the account".to_string()
        } else {
            "The contact address is not on the account: never seen on it before".to_string()
        }];
        if !name_matches {
            reasons.push("Name differs from the account".into());
        }
        if change == ChangeKind::RemoveTwoFactor {
            reasons.push("Removes two-step verification".into());
        }
        let new_value = match change {
            ChangeKind::Email => Some(format!("{}.new@mail.test", p.username)),
            ChangeKind::Phone => Some(format!("+1 555 01{i:02} 000")),
            _ => None,
        };
        let sla_ms = plan.sla_hours() * 3600 * 1000;
        let submitted = now - (sla_ms as f64 * plan.sla_used) as i64;
        let sla_hours = plan.sla_hours();
        let reference = format!("SD-DEMO{i:04}");
        let reasons = serde_json::to_string(&reasons)?;
        let facts = facts.to_string();
        let request = store::requests::NewRequest {
            reference: &reference,
            state,
            risk,
            risk_reasons: &reasons,
            change,
            new_value: new_value.as_deref(),
            identifier: &p.username,
            account_id: Some(account),
            contact_email: &contact,
            contact_code_hash: None,
            full_name: &submitted_name,
            country: &p.country,
            former_address: None,
            account_age_years: None,
            statement: "I cannot get into my account: the email and phone on it are no longer mine.",
            facts: &facts,
            submitted_ms: submitted,
            sla_due_ms: submitted + sla_hours * 3600 * 1000,
            escalated_by: (state == RequestState::Escalated).then_some(1),
            touches_two_factor: false,
        };
        store::requests::insert(&mut tx, &request).await?;
    }

    if let Some(was) = cache_was {
        store::set_page_cache(&mut tx, was).await?;
    }
    store::commit(tx).await?;
    tracing::info!(accounts, elapsed_ms = started.elapsed().as_millis() as u64, "demo data seeded");
    Ok(())
}

/// One demo request's shape, from its number: a morning's queue, the same on every seed.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRequest {
    pub risk: RiskLevel,
    pub change: ChangeKind,
    pub state: RequestState,
    /// How much of its SLA has gone by now: above 1 it is overdue.
    pub sla_used: f64,
}

impl DemoRequest {
    pub fn plan(i: i64) -> Self {
        use RiskLevel::{High, Low, Medium};
        const RISKS: [RiskLevel; 10] = [Low, Low, Medium, Low, High, Medium, Low, Medium, Low, High];
        // The first (the most overdue, which "claim next" takes) is a low-risk reset of a
        // security question: one agent decides it, no second approval.
        const CHANGES: [ChangeKind; 4] =
            [ChangeKind::ResetSecurityQuestion, ChangeKind::Email, ChangeKind::Phone, ChangeKind::RemoveTwoFactor];
        let slot = i.rem_euclid(10) as usize;
        let state = match slot {
            8 => RequestState::NeedsInfo,
            9 => RequestState::Escalated,
            _ => RequestState::Open,
        };
        // A few overdue (one in ten low-risk ones, the first the longest, and one in twenty
        // medium ones just now); the rest spread over their SLA.
        let sla_used = if slot == 0 {
            1.3 - 0.05 * (i / 10).min(5) as f64
        } else if i.rem_euclid(20) == 5 {
            1.05
        } else {
            0.08 + 0.09 * ((i * 7).rem_euclid(10) as f64)
        };
        Self { risk: RISKS[slot], change: CHANGES[i.rem_euclid(4) as usize], state, sla_used }
    }

    /// The SLA of its risk (the defaults of `sla_hours_*`).
    pub fn sla_hours(&self) -> i64 {
        match self.risk {
            RiskLevel::High => 8,
            RiskLevel::Medium => 24,
            RiskLevel::Low => 48,
        }
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    #[test]
    fn the_demo_queue_has_a_few_overdue_and_every_kind_and_risk() {
        let plans: Vec<DemoRequest> = (0..40).map(DemoRequest::plan).collect();
        let overdue = plans.iter().filter(|p| p.sla_used > 1.0).count();
        assert!((2..=8).contains(&overdue), "{overdue} of 40 overdue");
        assert!(plans.iter().filter(|p| p.sla_used > 1.0).any(|p| p.risk != RiskLevel::Low), "more than one risk");
        // The first is the most overdue: "claim next" takes it.
        let due_in = |p: &DemoRequest| p.sla_hours() as f64 * (1.0 - p.sla_used);
        assert!(plans.iter().skip(1).all(|p| due_in(p) > due_in(&plans[0])));
        for risk in [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High] {
            assert!(plans.iter().filter(|p| p.risk == risk).count() >= 4, "{risk:?}");
        }
        for change in ChangeKind::ALL {
            assert!(plans.iter().any(|p| p.change == *change), "{change:?}");
        }
        assert!(plans.iter().all(|p| p.sla_used > 0.0));
        assert_eq!((plans[0].risk, plans[0].change), (RiskLevel::Low, ChangeKind::ResetSecurityQuestion));
    }
}
