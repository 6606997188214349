use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The service's settings. Read from a TOML file (`--config`), then overridden by environment
/// variables (`DESK_*`) and command-line flags, in that order.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The SQLite database file (created when missing).
    pub db: PathBuf,
    pub bind: SocketAddr,
    /// The address end users reach the service at; reset links are built from it, never from the
    /// request's Host header. Defaults to the bound address.
    pub public_url: Option<String>,
    /// Seed an empty database with demo data.
    pub demo: bool,
    pub demo_accounts: usize,
    /// Security-details requests the demo puts in the queue.
    pub demo_requests: usize,
    pub session_ttl_secs: i64,
    pub reset_token_ttl_secs: i64,
    /// How long after one recovery email of a kind the next one for the same account may be sent.
    pub reset_cooldown_secs: i64,
    /// Recovery emails an agent may send one account in 24 hours, and one agent in an hour.
    pub account_daily_cap: i64,
    pub agent_hourly_cap: i64,
    /// Public recovery requests allowed per address (and per client, ×5) in 15 minutes.
    pub public_max_requests: i64,
    /// Failed sign-ins allowed per address within `sign_in_window_secs`, and per client (×4).
    pub sign_in_max_failures: i64,
    pub sign_in_window_secs: i64,
    /// How often the outbox sender looks for queued mail.
    pub mail_poll_ms: u64,
    /// Where audit checkpoints (head id and hash) are appended; keep it apart from the database,
    /// ideally on another volume or host. Default: the database path with `.checkpoints` added.
    pub audit_checkpoint_path: Option<PathBuf>,
    pub audit_checkpoint_secs: u64,
    /// Deliver the outbox over SMTP; without it, mail goes to the local mailbox (`/dev/mailbox`).
    pub smtp: Option<SmtpConfig>,
    /// Delivery attempts before an email is marked failed, and the first retry's delay (doubling).
    pub mail_max_attempts: i64,
    pub mail_backoff_ms: i64,
    /// The shared secret the mail provider's delivery/bounce webhook must present.
    pub mail_webhook_secret: Option<String>,
    /// Hours from submission to a request's SLA due time, per risk level.
    pub sla_hours_low: i64,
    pub sla_hours_medium: i64,
    pub sla_hours_high: i64,
    /// Seconds an approved change waits (cancellable) before it applies, per risk level.
    pub cooling_off_low_secs: i64,
    pub cooling_off_medium_secs: i64,
    pub cooling_off_high_secs: i64,
    /// How long a claim holds without renewal.
    pub lease_secs: i64,
    /// Where evidence files are stored. Default: the database path with `.evidence` added.
    pub evidence_dir: Option<PathBuf>,
    /// How often due approved changes are applied.
    pub queue_tick_ms: u64,
    /// How long a staff enrolment link (invite or authenticator reset) works.
    pub staff_invite_ttl_secs: i64,
    /// How long a caller-verification challenge may be answered, and how long a passed one
    /// counts as recent.
    pub caller_challenge_ttl_secs: i64,
    pub caller_verified_for_secs: i64,
    /// Wrong answers a challenge tolerates; challenges one account may get in an hour.
    pub caller_max_attempts: i64,
    pub caller_challenges_per_hour: i64,
    /// The actions that need the caller verified first: any of `unlock`, `end_sessions`,
    /// `reveal`, `verification_email`, `password_reset`, `security_answer_reset`.
    pub caller_verification_required: Vec<String>,
    /// OpenID Connect single sign-on for staff; without it, only password + code.
    pub oidc: Option<OidcConfig>,
}

/// The company's identity provider, as the service validates its ID tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer URL; its `/.well-known/openid-configuration` names the endpoints and keys.
    pub issuer: String,
    /// The console's client id at the provider: the audience ID tokens must carry.
    pub client_id: String,
    /// The claim that names the staff member (matched against their email address).
    #[serde(default = "email_claim")]
    pub user_claim: String,
    /// The claim listing the person's groups, and which group gives which role.
    #[serde(default = "groups_claim")]
    pub groups_claim: String,
    #[serde(default)]
    pub role_groups: RoleGroups,
    /// Scopes the console asks for.
    #[serde(default = "default_scopes")]
    pub scopes: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGroups {
    pub agent: String,
    pub lead: String,
    pub admin: String,
}

impl Default for RoleGroups {
    fn default() -> Self {
        Self { agent: "desk-agents".into(), lead: "desk-leads".into(), admin: "desk-admins".into() }
    }
}

fn email_claim() -> String {
    "email".into()
}
fn groups_claim() -> String {
    "groups".into()
}
fn default_scopes() -> String {
    "openid email profile".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The From address of every email.
    pub from: String,
    /// Require STARTTLS (the default); plain SMTP only for loopback relays and tests.
    #[serde(default = "yes")]
    pub starttls: bool,
}

fn yes() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Self {
            db: PathBuf::from("recovery-desk.db"),
            bind: "127.0.0.1:8787".parse().expect("literal address"),
            public_url: None,
            demo: false,
            demo_accounts: 20_000,
            demo_requests: 40,
            session_ttl_secs: 8 * 3600,
            reset_token_ttl_secs: 30 * 60,
            reset_cooldown_secs: 120,
            account_daily_cap: 5,
            agent_hourly_cap: 60,
            public_max_requests: 3,
            sign_in_max_failures: 5,
            sign_in_window_secs: 15 * 60,
            mail_poll_ms: 200,
            audit_checkpoint_path: None,
            audit_checkpoint_secs: 60,
            smtp: None,
            mail_max_attempts: 8,
            mail_backoff_ms: 1_000,
            mail_webhook_secret: None,
            sla_hours_low: 48,
            sla_hours_medium: 24,
            sla_hours_high: 8,
            cooling_off_low_secs: 0,
            cooling_off_medium_secs: 24 * 3600,
            cooling_off_high_secs: 72 * 3600,
            lease_secs: 300,
            evidence_dir: None,
            queue_tick_ms: 1000,
            staff_invite_ttl_secs: 48 * 3600,
            caller_challenge_ttl_secs: 10 * 60,
            caller_verified_for_secs: 15 * 60,
            caller_max_attempts: 5,
            caller_challenges_per_hour: 5,
            caller_verification_required: vec!["unlock".into(), "end_sessions".into(), "reveal".into()],
            oidc: None,
        }
    }
}

impl Config {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
    }

    pub fn audit_checkpoint_path(&self) -> Option<PathBuf> {
        Some(self.audit_checkpoint_path.clone().unwrap_or_else(|| {
            let mut p = self.db.clone().into_os_string();
            p.push(".checkpoints");
            PathBuf::from(p)
        }))
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence_dir.clone().unwrap_or_else(|| {
            let mut p = self.db.clone().into_os_string();
            p.push(".evidence");
            PathBuf::from(p)
        })
    }

    pub fn sla_hours(&self, risk: desk_api::RiskLevel) -> i64 {
        match risk {
            desk_api::RiskLevel::Low => self.sla_hours_low,
            desk_api::RiskLevel::Medium => self.sla_hours_medium,
            desk_api::RiskLevel::High => self.sla_hours_high,
        }
    }

    pub fn cooling_off_secs(&self, risk: desk_api::RiskLevel) -> i64 {
        match risk {
            desk_api::RiskLevel::Low => self.cooling_off_low_secs,
            desk_api::RiskLevel::Medium => self.cooling_off_medium_secs,
            desk_api::RiskLevel::High => self.cooling_off_high_secs,
        }
    }

    /// The `DESK_*` variables of the staff, caller-verification and single-sign-on settings
    /// (issue 9), over what the file said. `DESK_OIDC_ISSUER` and `DESK_OIDC_CLIENT_ID` together
    /// configure a provider; `DESK_CALLER_VERIFICATION_REQUIRED` is a comma-separated list.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let num = |name: &str| -> anyhow::Result<Option<i64>> {
            get(name)
                .map(|v| v.trim().parse::<i64>().map_err(|_| anyhow::anyhow!("{name} is a whole number")))
                .transpose()
        };
        if let Some(v) = num("DESK_STAFF_INVITE_TTL_SECS")? {
            self.staff_invite_ttl_secs = v;
        }
        if let Some(v) = num("DESK_CALLER_VERIFIED_FOR_SECS")? {
            self.caller_verified_for_secs = v;
        }
        if let Some(v) = num("DESK_CALLER_MAX_ATTEMPTS")? {
            self.caller_max_attempts = v;
        }
        if let Some(v) = get("DESK_CALLER_VERIFICATION_REQUIRED") {
            self.caller_verification_required =
                v.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect();
        }
        match (get("DESK_OIDC_ISSUER"), get("DESK_OIDC_CLIENT_ID")) {
            (Some(issuer), Some(client_id)) => {
                let mut oidc = self.oidc.clone().unwrap_or(OidcConfig {
                    issuer: String::new(),
                    client_id: String::new(),
                    user_claim: email_claim(),
                    groups_claim: groups_claim(),
                    role_groups: RoleGroups::default(),
                    scopes: default_scopes(),
                });
                oidc.issuer = issuer;
                oidc.client_id = client_id;
                self.oidc = Some(oidc);
            }
            (None, None) => {}
            _ => anyhow::bail!("set DESK_OIDC_ISSUER and DESK_OIDC_CLIENT_ID together"),
        }
        Ok(())
    }

    /// Whether `action` needs a recent caller verification.
    pub fn needs_caller_verification(&self, action: &str) -> bool {
        self.caller_verification_required.iter().any(|a| a == action)
    }

    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_settings_override_defaults_and_unknown_keys_are_refused() {
        let c: Config = toml::from_str("reset_cooldown_secs = 5\nbind = \"127.0.0.1:9000\"").unwrap();
        assert_eq!(c.reset_cooldown_secs, 5);
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.reset_token_ttl_secs, 1800);
        assert!(toml::from_str::<Config>("no_such_setting = 1").is_err());
    }

    #[test]
    fn staff_and_sso_settings_come_from_the_environment_too() {
        let mut c: Config = toml::from_str("[oidc]\nissuer = \"https://a.test\"\nclient_id = \"x\"\n").unwrap();
        assert_eq!(c.oidc.as_ref().unwrap().role_groups.lead, "desk-leads");
        let env = |k: &str| match k {
            "DESK_CALLER_VERIFICATION_REQUIRED" => Some("unlock, reveal".to_string()),
            "DESK_OIDC_ISSUER" => Some("https://b.test".to_string()),
            "DESK_OIDC_CLIENT_ID" => Some("desk".to_string()),
            _ => None,
        };
        c.apply_env(env).unwrap();
        assert_eq!(c.caller_verification_required, vec!["unlock", "reveal"]);
        assert_eq!(c.oidc.as_ref().unwrap().issuer, "https://b.test");
        assert!(c.apply_env(|k| (k == "DESK_OIDC_ISSUER").then(|| "x".to_string())).is_err());
    }
}
