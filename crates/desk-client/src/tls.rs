//! Which certificate authorities the console trusts: the OS's store (reqwest's native roots: the
//! Keychain on macOS, the Windows certificate store, the system bundle on Linux), and one more CA
//! file when `RECOVERY_DESK_EXTRA_CA_FILE` names it, for a company's own CA or TLS-inspecting proxy.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::ClientError;

pub const EXTRA_CA_ENV: &str = "RECOVERY_DESK_EXTRA_CA_FILE";

static EXTRA_CA_FILE: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Sets the extra CA file once at start (the app reads its setting, then calls this); without a
/// call, `RECOVERY_DESK_EXTRA_CA_FILE` decides.
pub fn set_extra_ca_file(path: Option<PathBuf>) {
    let _ = EXTRA_CA_FILE.set(path);
}

pub fn extra_ca_file() -> Option<PathBuf> {
    EXTRA_CA_FILE.get_or_init(|| std::env::var_os(EXTRA_CA_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)).clone()
}

/// The certificates of the extra CA file (PEM, one or more). A file that is set but unreadable or
/// holds no certificate is an error the agent sees, not a silent fallback to fewer roots.
pub fn extra_roots() -> Result<Vec<reqwest::Certificate>, ClientError> {
    match extra_ca_file() {
        None => Ok(Vec::new()),
        Some(path) => load(&path),
    }
}

pub fn load(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let bad = |why: String| ClientError::TlsSetup(format!("the extra CA file {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}
