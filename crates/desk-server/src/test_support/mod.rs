//! One way for the tests of every crate to start a real service: on a free port, a fresh
//! database in a folder of its own, demo data, and a `tweak` for what one test changes.
//!
//! Only tests see this: the `test-support` feature is switched on by dev-dependencies, which
//! Cargo never builds into the shipped service or console.

mod listening;
pub mod oidc;

pub use listening::Listening;

use std::path::Path;
use std::sync::Arc;

use desk_api::{SecretText, SignInForm};

use crate::demo::{AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP};
use crate::{Clock, Config, Running, SystemClock};

/// A running service and the folder its files live in; both go when it is dropped.
pub struct TestService {
    pub running: Running,
    /// The settings it was started with, to start it again on the same files.
    pub config: Config,
    pub dir: tempfile::TempDir,
}

impl TestService {
    pub fn url(&self) -> String {
        self.running.url()
    }
}

/// The settings of a test service in `dir`: a SQLite file there, a free port, the demo's staff
/// and a few accounts, mail sent quickly.
pub fn demo_config(dir: &Path) -> Config {
    Config {
        db: dir.join("desk.db").display().to_string(),
        bind: "127.0.0.1:0".parse().expect("an address"),
        demo: true,
        demo_accounts: 50,
        mail_poll_ms: 20,
        ..Config::default()
    }
}

/// A service on the real clock.
pub async fn spawn_service(tweak: impl FnOnce(&mut Config)) -> TestService {
    spawn_service_with(Arc::new(SystemClock), tweak).await
}

/// A service on the given clock (a `ManualClock` for tests that move time).
pub async fn spawn_service_with(clock: Arc<dyn Clock>, tweak: impl FnOnce(&mut Config)) -> TestService {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = demo_config(dir.path());
    tweak(&mut config);
    // A service on PostgreSQL keeps its key, checkpoints and evidence in the test's folder too.
    if config.data_dir.is_none()
        && matches!(crate::store::Location::parse(&config.db), crate::store::Location::Postgres(_))
    {
        config.data_dir = Some(dir.path().to_path_buf());
    }
    let running = crate::start(config.clone(), clock).await.expect("the test service starts");
    TestService { running, config, dir }
}

/// The authenticator code of `secret` at `unix` seconds.
pub fn totp_at(secret: &str, unix: i64) -> String {
    crate::totp::code_at(secret, unix).expect("a demo TOTP secret")
}

/// The authenticator code of `secret` now, on the real clock.
pub fn totp_now(secret: &str) -> String {
    totp_at(secret, chrono::Utc::now().timestamp())
}

/// The demo agent's sign-in form for the service at `server_url`, with a code valid now.
pub fn agent_sign_in(server_url: &str, stay_signed_in: bool) -> SignInForm {
    sign_in_form(server_url, AGENT_EMAIL, AGENT_PASSWORD, AGENT_TOTP, stay_signed_in)
}

/// The demo lead's sign-in form, with a code valid now.
pub fn lead_sign_in(server_url: &str) -> SignInForm {
    sign_in_form(server_url, LEAD_EMAIL, LEAD_PASSWORD, LEAD_TOTP, false)
}

/// A sign-in form for a member of staff whose authenticator holds `totp_secret`.
pub fn sign_in_form(
    server_url: &str,
    email: &str,
    password: &str,
    totp_secret: &str,
    stay_signed_in: bool,
) -> SignInForm {
    SignInForm {
        server_url: server_url.into(),
        email: email.into(),
        password: SecretText::new(password),
        totp: SecretText::new(totp_now(totp_secret)),
        stay_signed_in,
    }
}
