//! Where "stay signed in" keeps the session: the OS keychain (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows), through `keyring`. Nowhere else: not a file, not the webview.

use std::sync::Mutex;

use desk_api::SecretText;
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// A saved session: which service, and the token for it.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSession {
    pub server_url: String,
    pub token: SecretText,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession").field("server_url", &self.server_url).finish_non_exhaustive()
    }
}

pub trait TokenStore: Send + Sync {
    fn load(&self) -> Result<Option<StoredSession>, ClientError>;
    fn save(&self, session: &StoredSession) -> Result<(), ClientError>;
    fn clear(&self) -> Result<(), ClientError>;
}

pub struct KeyringStore {
    service: String,
    user: String,
}

impl KeyringStore {
    pub fn new(service: impl Into<String>, user: impl Into<String>) -> Self {
        Self { service: service.into(), user: user.into() }
    }

    fn entry(&self) -> Result<keyring::Entry, ClientError> {
        keyring::Entry::new(&self.service, &self.user).map_err(|e| ClientError::Keychain(e.to_string()))
    }
}

impl TokenStore for KeyringStore {
    fn load(&self) -> Result<Option<StoredSession>, ClientError> {
        match self.entry()?.get_password() {
            Ok(json) => Ok(serde_json::from_str(&json).ok()),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(ClientError::Keychain(e.to_string())),
        }
    }

    fn save(&self, session: &StoredSession) -> Result<(), ClientError> {
        let json = serde_json::to_string(session).map_err(|e| ClientError::Keychain(e.to_string()))?;
        self.entry()?.set_password(&json).map_err(|e| ClientError::Keychain(e.to_string()))
    }

    fn clear(&self) -> Result<(), ClientError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(ClientError::Keychain(e.to_string())),
        }
    }
}

/// For unit tests of code that uses a store.
#[derive(Default)]
pub struct MemoryStore(Mutex<Option<StoredSession>>);

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<StoredSession>, ClientError> {
        Ok(self.0.lock().expect("store lock").clone())
    }
    fn save(&self, session: &StoredSession) -> Result<(), ClientError> {
        *self.0.lock().expect("store lock") = Some(session.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), ClientError> {
        *self.0.lock().expect("store lock") = None;
        Ok(())
    }
}
