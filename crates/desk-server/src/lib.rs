//! The reference service of Recovery Desk.
//!
//! `http` is the edge (parsing, problem documents, roles); `domain` holds the rules and talks to the
//! store; `audit` is the one path every mutation writes its entry through; `mail` delivers the outbox.

pub mod access;
pub mod audit;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod pages;
pub mod totp;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: sqlx::SqlitePool,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
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
    let db = db::open(&config.db).await?;
    if config.demo {
        demo::seed_if_empty(&db, clock.as_ref(), config.demo_accounts, config.demo_requests).await?;
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    let mut config = config;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let state = AppState { db, clock, config: Arc::new(config) };
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
