use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use desk_api::SecretText;
use serde::{Deserialize, Serialize};

/// The service's settings. Read from a TOML file (`--config`), then overridden by environment
/// variables (`DESK_*`) and command-line flags, in that order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The database: a SQLite file path (created when missing) or a `postgres://` URL.
    pub db: String,
    /// Connections one instance keeps to PostgreSQL at most (instances × this must stay under
    /// the server's `max_connections`). SQLite uses 8.
    pub db_max_connections: u32,
    /// Where the files that go with the database are kept unless set one by one (the demo's
    /// master key, `audit_checkpoint_path`, `evidence_dir`): default beside a SQLite file. Required
    /// on PostgreSQL (unless `audit_checkpoint_path` is set outside a demo): a folder that every
    /// instance sees.
    pub data_dir: Option<PathBuf>,
    pub bind: SocketAddr,
    /// The address end users reach the service at; reset links are built from it, never from the
    /// request's Host header. Defaults to the bound address.
    pub public_url: Option<String>,
    /// Seed an empty database with demo data.
    pub demo: bool,
    pub demo_accounts: usize,
    /// Security-details requests the demo puts in the queue.
    pub demo_requests: usize,
    /// A session unused for this long ends; every use renews it (sliding expiry)…
    pub session_ttl_secs: i64,
    /// …up to this long after sign-in, however active the agent is (the absolute cap).
    pub session_max_secs: i64,
    pub reset_token_ttl_secs: i64,
    /// How long after one recovery email of a kind the next one for the same account may be sent.
    pub reset_cooldown_secs: i64,
    /// Recovery emails an agent may send one account in 24 hours, and one agent in an hour.
    pub account_daily_cap: i64,
    pub agent_hourly_cap: i64,
    /// The form of the help desk's ticket references: a regular expression the whole reference
    /// must match (e.g. `SUP-\d+`). None: any reference of letters, digits and `- _ # . / :`.
    pub ticket_pattern: Option<String>,
    /// Public recovery requests allowed per address (and per client, ×5) in 15 minutes.
    pub public_max_requests: i64,
    /// Failed sign-ins allowed for one address from one client within `sign_in_window_secs`. A
    /// flood from one client then stops without locking the agent out of their own client.
    pub sign_in_max_failures: i64,
    /// Failed sign-ins allowed for one address from all clients together in the window (NIST SP
    /// 800-63B-4 allows at most 100 in a row).
    pub sign_in_account_max_failures: i64,
    /// Failed sign-ins allowed from one client for all addresses together in the window.
    pub sign_in_client_max_failures: i64,
    pub sign_in_window_secs: i64,
    /// Password checks (argon2, 19 MiB each) run at once; default one per core.
    pub argon2_workers: Option<usize>,
    /// Password checks that may wait for a worker; beyond it sign-ins are answered 503 at once.
    pub argon2_waiting: usize,
    /// Proxies (CIDRs) whose `X-Forwarded-For` is believed; without them the client is the socket.
    pub trusted_proxies: Vec<String>,
    /// The file holding the master key that seals secrets at rest and signs audit checkpoints
    /// (`desk-server keygen` prints one). `DESK_SECRET_KEY` may carry the key itself instead.
    /// Demo mode creates one beside the database when neither is given.
    pub secret_key_file: Option<PathBuf>,
    /// The key itself, from `DESK_SECRET_KEY` only (never from the file).
    #[serde(skip)]
    pub secret_key: Option<SecretText>,
    /// SMS codes one reset link may send, and one account may get in an hour.
    pub sms_per_link: i64,
    pub sms_account_hourly_cap: i64,
    /// How long a request may take before it is answered 408 (the body of an upload included).
    pub request_timeout_secs: u64,
    /// Evidence of security-details requests never confirmed is deleted after this long.
    pub unconfirmed_retention_secs: i64,
    /// How often the outbox sender looks for queued mail.
    pub mail_poll_ms: u64,
    /// How long an email being sent stays in one sender's hands: an instance that dies mid-send
    /// lets another send it after this long (and a pass must take less).
    pub mail_lease_secs: i64,
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The From address of every email.
    pub from: String,
    /// Require STARTTLS (the default). Plain SMTP is refused unless the host is loopback.
    #[serde(default = "yes")]
    pub starttls: bool,
    /// A CA file (PEM) trusted besides the OS's certificate store: a company's own CA or a
    /// TLS-inspecting relay. `DESK_SMTP_CA_FILE` / `--smtp-ca-file` override it.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS.
    #[serde(default)]
    pub tls: bool,
    /// Sign in to the relay as this user; the password comes from `DESK_SMTP_PASSWORD`.
    #[serde(default)]
    pub username: Option<String>,
    /// From `DESK_SMTP_PASSWORD` only, never from the file.
    #[serde(skip)]
    pub password: Option<SecretText>,
}

impl SmtpConfig {
    /// Whether the relay is this machine, where plain SMTP crosses no network.
    pub fn host_is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

fn yes() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Self {
            db: "recovery-desk.db".to_string(),
            db_max_connections: 10,
            data_dir: None,
            bind: "127.0.0.1:8787".parse().expect("literal address"),
            public_url: None,
            demo: false,
            demo_accounts: 20_000,
            demo_requests: 40,
            session_ttl_secs: 8 * 3600,
            session_max_secs: 12 * 3600,
            reset_token_ttl_secs: 30 * 60,
            reset_cooldown_secs: 120,
            account_daily_cap: 5,
            agent_hourly_cap: 60,
            ticket_pattern: None,
            public_max_requests: 3,
            sign_in_max_failures: 5,
            sign_in_account_max_failures: 100,
            sign_in_client_max_failures: 20,
            sign_in_window_secs: 15 * 60,
            argon2_workers: None,
            argon2_waiting: 32,
            trusted_proxies: Vec::new(),
            secret_key_file: None,
            secret_key: None,
            sms_per_link: 3,
            sms_account_hourly_cap: 5,
            request_timeout_secs: 30,
            unconfirmed_retention_secs: 24 * 3600,
            mail_poll_ms: 200,
            mail_lease_secs: 600,
            audit_checkpoint_path: None,
            audit_checkpoint_secs: 60,
            smtp: None,
            mail_max_attempts: 8,
            mail_backoff_ms: 1_000,
            mail_webhook_secret: None,
            sla_hours_low: 48,
            sla_hours_medium: 24,
            sla_hours_high: 8,
            // Every change of a recovery factor waits at least a day, so that the owner has time
            // to see the "this wasn't me" mail and cancel.
            cooling_off_low_secs: 24 * 3600,
            cooling_off_medium_secs: 48 * 3600,
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

/// Settings the command line reads itself (flags with their own `DESK_*` variables).
const FLAG_KEYS: &[&str] = &["config", "demo", "db", "bind", "public_url", "demo_accounts"];

impl Config {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        Self::load(Some(path), std::iter::empty())
    }

    /// The file's settings (if any), then every `DESK_<KEY>` variable over them: each top-level
    /// key of the file has one. `DESK_TRUSTED_PROXIES` is a comma-separated list;
    /// `DESK_SECRET_KEY` and `DESK_SMTP_PASSWORD` carry secrets that never sit in the file.
    pub fn load(path: Option<&Path>, env: impl Iterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let mut table: toml::Table = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?
            }
            None => toml::Table::new(),
        };
        let known: Vec<String> = match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let (mut secret_key, mut smtp_password) = (None, None);
        for (name, value) in env {
            let Some(key) = name.strip_prefix("DESK_").map(str::to_lowercase) else { continue };
            match key.as_str() {
                "secret_key" => secret_key = Some(SecretText::new(value.trim())),
                "smtp_password" => smtp_password = Some(SecretText::new(value)),
                "trusted_proxies" => {
                    let list = value.split(',').map(str::trim).filter(|s| !s.is_empty());
                    table.insert(key, toml::Value::Array(list.map(|s| toml::Value::String(s.into())).collect()));
                }
                "caller_verification_required" => {
                    let list = value.split(',').map(str::trim).filter(|s| !s.is_empty());
                    table.insert(key, toml::Value::Array(list.map(|s| toml::Value::String(s.into())).collect()));
                }
                // The provider's address and our client id; the rest of `[oidc]` is in the file.
                "oidc_issuer" | "oidc_client_id" => {
                    let oidc = table.entry("oidc").or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    if let Some(t) = oidc.as_table_mut() {
                        t.insert(key.trim_start_matches("oidc_").to_string(), toml::Value::String(value));
                    }
                }
                k if FLAG_KEYS.contains(&k) => {}
                // `smtp` is a table: it is set in the file.
                k if k != "smtp" && k != "oidc" && known.iter().any(|n| n == k) => {
                    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
                        .ok()
                        .and_then(|mut t| t.remove("v"))
                        .unwrap_or(toml::Value::String(value));
                    table.insert(key, parsed);
                }
                _ => {}
            }
        }
        let mut config: Config = toml::Value::Table(table).try_into().map_err(|e| {
            anyhow::anyhow!("settings{}: {e}", path.map(|p| format!(" ({})", p.display())).unwrap_or_default())
        })?;
        config.secret_key = secret_key;
        if let Some(smtp) = config.smtp.as_mut() {
            smtp.password = smtp_password;
        }
        Ok(config)
    }

    /// `ticket_pattern`, anchored to the whole reference; `Ok(None)` when there is none.
    pub fn ticket_regex(&self) -> Result<Option<regex::Regex>, regex::Error> {
        self.ticket_pattern.as_deref().map(|p| regex::Regex::new(&format!("^(?:{p})$"))).transpose()
    }

    /// Refuses settings that would run the service unsafely, with a message saying what to fix.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Err(e) = self.ticket_regex() {
            anyhow::bail!("ticket_pattern is not a regular expression: {e}");
        }
        if let Some(smtp) = &self.smtp {
            if !smtp.starttls && !smtp.tls && !smtp.host_is_loopback() {
                anyhow::bail!(
                    "smtp: plain SMTP to {} would send reset links across the network in the clear; \
                     set smtp.starttls = true (or smtp.tls = true for SMTPS)",
                    smtp.host
                );
            }
            if smtp.username.is_some() != smtp.password.is_some() {
                anyhow::bail!("smtp: set both smtp.username (in the file) and DESK_SMTP_PASSWORD, or neither");
            }
        }
        for (name, v) in [
            ("sign_in_max_failures", self.sign_in_max_failures),
            ("sign_in_account_max_failures", self.sign_in_account_max_failures),
            ("sign_in_client_max_failures", self.sign_in_client_max_failures),
            ("sign_in_window_secs", self.sign_in_window_secs),
            ("public_max_requests", self.public_max_requests),
            ("sms_per_link", self.sms_per_link),
            ("sms_account_hourly_cap", self.sms_account_hourly_cap),
        ] {
            if v < 1 {
                anyhow::bail!("{name} must be at least 1");
            }
        }
        // The instances on one PostgreSQL database share one audit checkpoint file (and in a demo
        // its key): a folder they all see, never one machine's working folder by default.
        if matches!(crate::store::Location::parse(&self.db), crate::store::Location::Postgres(_))
            && self.data_dir.is_none()
            && (self.audit_checkpoint_path.is_none() || self.demo)
        {
            anyhow::bail!(
                "on PostgreSQL, set data_dir (DESK_DATA_DIR): the folder every instance of the service shares for \
                 the audit checkpoints{}",
                if self.demo { " and the demo's key" } else { " (or audit_checkpoint_path)" }
            );
        }
        if self.session_ttl_secs < 60 || self.session_max_secs < 60 {
            anyhow::bail!("session_ttl_secs and session_max_secs must be at least 60");
        }
        if self.request_timeout_secs == 0 {
            anyhow::bail!("request_timeout_secs must be at least 1");
        }
        // A link that is dead when sent, or one that lives for days in a mailbox, is a mistake.
        if !(1..=24 * 3600).contains(&self.reset_token_ttl_secs) {
            anyhow::bail!("reset_token_ttl_secs must be between 1 and 86400 (24 h)");
        }
        self.proxies()?;
        Ok(())
    }

    /// The trusted proxies, parsed.
    pub fn proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>().or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)).map_err(
                    |_| anyhow::anyhow!("trusted_proxies: {p:?} is not an address or a CIDR such as 10.0.0.0/8"),
                )
            })
            .collect()
    }

    /// The local mailbox exists only for a demo on this machine: mail is shown there instead of
    /// being sent, so anywhere else it would hand reset links to whoever asks.
    pub fn local_mailbox(&self) -> bool {
        self.demo && self.smtp.is_none() && self.bind.ip().is_loopback()
    }

    /// Where the files that belong with the database go by default: in `data_dir`, else beside a
    /// SQLite file. PostgreSQL needs `data_dir` (see [`Config::validate`]) but for the evidence
    /// folder of files from before migration 0013, which it never had: the working directory.
    fn beside_db(&self, suffix: &str) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.join(format!("recovery-desk{suffix}"));
        }
        let mut p = match crate::store::Location::parse(&self.db) {
            crate::store::Location::Sqlite(path) => path.into_os_string(),
            crate::store::Location::Postgres(url) => {
                let name = url.split('?').next().unwrap_or("").rsplit('/').next().unwrap_or("");
                let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                format!("recovery-desk-{}", if name.is_empty() { "postgres" } else { &name }).into()
            }
        };
        p.push(suffix);
        PathBuf::from(p)
    }

    /// The master key's file in demo mode: beside the database.
    pub fn demo_key_path(&self) -> PathBuf {
        self.beside_db(".key")
    }

    pub fn audit_checkpoint_path(&self) -> Option<PathBuf> {
        Some(self.audit_checkpoint_path.clone().unwrap_or_else(|| self.beside_db(".checkpoints")))
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence_dir.clone().unwrap_or_else(|| self.beside_db(".evidence"))
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
    fn every_setting_has_a_desk_variable_and_secrets_come_only_from_the_environment() {
        let env = [
            ("DESK_RESET_COOLDOWN_SECS", "7"),
            ("DESK_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
            ("DESK_SECRET_KEY_FILE", "/etc/desk/key"),
            ("DESK_SECRET_KEY", "c2VjcmV0"),
            ("DESK_SMTP_PASSWORD", "hunter2-smtp"),
            ("DESK_PUBLIC_URL", "https://ignored.example"),
            ("PATH", "/bin"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("desk.toml");
        std::fs::write(&file, "reset_cooldown_secs = 5\n[smtp]\nhost = \"smtp.example\"\nport = 587\nfrom = \"d@example\"\nusername = \"desk\"\n").unwrap();
        let c = Config::load(Some(&file), env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
        assert_eq!(c.reset_cooldown_secs, 7, "the variable wins over the file");
        assert_eq!(c.trusted_proxies, vec!["10.0.0.0/8", "127.0.0.1"]);
        assert_eq!(c.proxies().unwrap().len(), 2);
        assert_eq!(c.secret_key_file.as_deref(), Some(Path::new("/etc/desk/key")));
        assert_eq!(c.secret_key.as_ref().unwrap().expose(), "c2VjcmV0");
        assert_eq!(c.smtp.as_ref().unwrap().password.as_ref().unwrap().expose(), "hunter2-smtp");
        assert_eq!(c.public_url, None, "flags read their own variables");
        assert!(!format!("{c:?}").contains("hunter2-smtp"), "a logged config never shows the password");
        assert!(toml::from_str::<Config>("secret_key = \"x\"").is_err(), "the key is not a file setting");
        c.validate().unwrap();
    }

    #[test]
    fn the_readme_names_every_setting() {
        let readme = include_str!("../../../README.md");
        let serde_json::Value::Object(fields) = serde_json::to_value(Config::default()).unwrap() else {
            panic!("the settings serialise as a table")
        };
        let missing: Vec<&String> = fields
            .keys()
            .filter(|k| !readme.contains(&format!("`{k}`")) && !readme.contains(&format!("`[{k}]`")))
            .collect();
        assert!(missing.is_empty(), "settings the README does not name: {missing:?}");
    }

    #[test]
    fn a_reset_link_lives_between_one_second_and_a_day() {
        let ttl = |secs| Config { db: "desk.db".into(), reset_token_ttl_secs: secs, ..Config::default() }.validate();
        for bad in [0, -1, 24 * 3600 + 1] {
            let e = ttl(bad).unwrap_err().to_string();
            assert!(e.contains("reset_token_ttl_secs"), "{bad}: {e}");
        }
        assert!(ttl(1).is_ok() && ttl(24 * 3600).is_ok());
    }

    #[test]
    fn postgres_needs_a_shared_folder_for_its_checkpoints_and_never_the_working_folder() {
        let pg = |tweak: fn(&mut Config)| {
            let mut c = Config { db: "postgres://desk_service@db.internal/desk".into(), ..Config::default() };
            tweak(&mut c);
            c.validate()
        };
        let e = pg(|_| {}).unwrap_err().to_string();
        assert!(e.contains("set data_dir (DESK_DATA_DIR)"), "{e}");
        assert!(pg(|c| c.data_dir = Some("/srv/desk".into())).is_ok());
        assert!(pg(|c| c.audit_checkpoint_path = Some("/srv/desk/checkpoints".into())).is_ok());
        let demo = pg(|c| {
            c.demo = true;
            c.audit_checkpoint_path = Some("/srv/desk/checkpoints".into());
        });
        assert!(demo.unwrap_err().to_string().contains("the demo's key"), "the demo's key needs the folder too");
        assert!(
            Config { db: "desk.db".into(), ..Config::default() }.validate().is_ok(),
            "SQLite keeps files beside it"
        );
    }

    #[test]
    fn plain_smtp_to_another_host_is_refused() {
        let smtp = |host: &str, starttls: bool| SmtpConfig {
            host: host.into(),
            port: 25,
            from: "d@example".into(),
            starttls,
            tls: false,
            username: None,
            password: None,
            ca_file: None,
        };
        let with = |s| Config { smtp: Some(s), ..Config::default() };
        let e = with(smtp("smtp.example.com", false)).validate().unwrap_err().to_string();
        assert!(e.contains("starttls"), "{e}");
        assert!(with(smtp("127.0.0.1", false)).validate().is_ok());
        assert!(with(smtp("localhost", false)).validate().is_ok());
        assert!(with(smtp("smtp.example.com", true)).validate().is_ok());
        let no_password = SmtpConfig { username: Some("u".into()), ..smtp("smtp.example.com", true) };
        assert!(with(no_password).validate().is_err());
    }

    #[test]
    fn a_ticket_pattern_must_be_a_regular_expression_and_matches_the_whole_reference() {
        let with = |p: &str| Config { ticket_pattern: Some(p.into()), ..Config::default() };
        let e = with("SUP-(").validate().unwrap_err().to_string();
        assert!(e.contains("ticket_pattern"), "{e}");
        let re = with(r"SUP-\d+").ticket_regex().unwrap().unwrap();
        assert!(re.is_match("SUP-1") && !re.is_match("xSUP-1") && !re.is_match("SUP-1x"));
        // Alternatives stay inside the anchors.
        let re = with("A|B").ticket_regex().unwrap().unwrap();
        assert!(re.is_match("A") && !re.is_match("AB"));
        assert!(Config::default().ticket_regex().unwrap().is_none());
        let env = [("DESK_TICKET_PATTERN".to_string(), r"SUP-\d+".to_string())];
        let c = Config::load(None, env.into_iter()).unwrap();
        assert_eq!(c.ticket_pattern.as_deref(), Some(r"SUP-\d+"));
    }

    #[test]
    fn staff_and_sso_settings_have_desk_variables_too() {
        let env = [
            ("DESK_STAFF_INVITE_TTL_SECS", "3600"),
            ("DESK_CALLER_VERIFICATION_REQUIRED", "unlock, reveal"),
            ("DESK_OIDC_ISSUER", "https://login.example"),
            ("DESK_OIDC_CLIENT_ID", "desk"),
        ];
        let c = Config::load(None, env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
        assert_eq!(c.staff_invite_ttl_secs, 3600);
        assert_eq!(c.caller_verification_required, vec!["unlock", "reveal"]);
        let oidc = c.oidc.unwrap();
        assert_eq!((oidc.issuer.as_str(), oidc.client_id.as_str()), ("https://login.example", "desk"));
        assert_eq!(oidc.role_groups.lead, "desk-leads");
    }
}
