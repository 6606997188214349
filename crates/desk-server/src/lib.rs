//! The reference service of Recovery Desk.
//!
//! `http` is the edge (parsing, problem documents, roles); `domain` holds the rules and talks to the
//! store; `audit` is the one path every mutation writes its entry through; `mail` delivers the outbox.

pub mod access;
pub mod after_answer;
pub mod audit;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod pages;
pub mod store;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod totp;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: store::Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// The subkeys of the master key (secrets at rest, code hashes, checkpoint signatures).
    pub keys: Arc<crypto::Keys>,
    /// Bounds the argon2 work in hand.
    pub argon: Arc<crypto::ArgonGate>,
    /// `trusted_proxies`, parsed.
    pub proxies: Arc<Vec<ipnet::IpNet>>,
    /// Passes the outbox sender has completed: a test waits for passes, not for time, to see
    /// that the sender looked and did nothing.
    pub sender_passes: Arc<std::sync::atomic::AtomicU64>,
    /// Work the public pages start after they have answered.
    pub after_answer: after_answer::AfterAnswer,
}

/// The master key: from `DESK_SECRET_KEY`, from `secret_key_file`, or (demo only) from a file
/// beside the database, created on first start. Anything else refuses to start.
pub fn load_keys(config: &Config) -> anyhow::Result<crypto::Keys> {
    if let Some(key) = &config.secret_key {
        return crypto::Keys::parse(key.expose()).context("DESK_SECRET_KEY");
    }
    if let Some(path) = &config.secret_key_file {
        return crypto::Keys::load_file(path, false);
    }
    if config.demo {
        return crypto::Keys::load_file(&config.demo_key_path(), true);
    }
    anyhow::bail!(
        "no secret key is set. The service seals TOTP secrets and signs audit checkpoints with a key kept \
         outside the database: run `desk-server keygen > /etc/recovery-desk/secret.key` (readable by the service \
         only) and set secret_key_file (or DESK_SECRET_KEY_FILE), or put the key in DESK_SECRET_KEY"
    )
}

/// A running service: its address, and the handle that stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Opens the store, migrates it, seeds it when asked, binds, and serves until stopped.
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    config.validate()?;
    let keys = Arc::new(load_keys(&config)?);
    let proxies = Arc::new(config.proxies()?);
    let db = store::Db::open(&config.db, config.db_max_connections).await?;
    domain::at_rest::upgrade(&db, &keys).await.context("sealing secrets stored before the key existed")?;
    if config.demo {
        demo::seed_if_empty(&db, clock.as_ref(), &keys, config.demo_accounts, config.demo_requests).await?;
    }
    if let Some(path) = config.audit_checkpoint_path() {
        audit::checkpoints::start_file(&db, &keys, &path, clock.now_ms()).await?;
    }
    if config.smtp.is_none() && !config.local_mailbox() {
        tracing::warn!(
            "no [smtp] is configured and this is not a demo on loopback: emails stay queued in the outbox \
             (nothing is sent, no mailbox page is served) until smtp is set"
        );
    }
    let workers = config.argon2_workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let argon = Arc::new(crypto::ArgonGate::new(workers, config.argon2_waiting));
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    let mut config = config;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let state = AppState {
        db,
        clock,
        config: Arc::new(config),
        keys,
        argon,
        proxies,
        sender_passes: Arc::default(),
        after_answer: Default::default(),
    };
    let app = http::router(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let sender = mail::spawn_sender(state.clone());
    let checkpointer = audit::checkpoints::spawn_writer(state.clone());
    let applier = domain::queue::lifecycle::spawn_applier(state.clone());
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = rx.await;
            });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
        sender.abort();
        applier.abort();
        if let Some(c) = checkpointer {
            c.abort();
        }
    });
    Ok(Running { addr, state, shutdown: Some(tx), task })
}
