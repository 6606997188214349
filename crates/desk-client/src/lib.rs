//! The console's side of the contract: a typed HTTP client (`Client`), and the agent's session
//! (`Console`) with its keychain store. Nothing here knows of Tauri; the app is a thin shell on it.

mod about;
mod admin;
mod client;
mod console;
mod error;
pub mod keychain;
pub mod links;
pub mod pdf;
pub mod settings;
pub mod sso;
pub mod tls;

pub use about::AppFacts;
pub use client::Client;
pub use console::{Console, DEFAULT_IDLE_LOCK_SECS, DEFAULT_SERVER_URL};
pub use error::ClientError;
pub use keychain::{KeyringStore, MemoryStore, StoredSession, TokenStore};
