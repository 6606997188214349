//! Rows written before secrets were protected at rest — TOTP secrets in plain base32, codes as a
//! plain SHA-256 — are brought up to date when the service starts, in place: TOTP secrets are
//! sealed, and code hashes become keyed hashes of the same SHA-256 (so they still verify). A row
//! is rewritten only while it still holds what was read, so instances that start together do each
//! row once, and a start after the upgrade finds nothing to do.

use crate::crypto::{Code, Keys, Sealed, KEYED_PREFIX, SEALED_PREFIX};
use crate::store::at_rest::SecretColumn;
use crate::store::{self, Db, StoreResult};

fn prefix(c: SecretColumn) -> &'static str {
    match c {
        SecretColumn::AgentTotp | SecretColumn::UserTotp => SEALED_PREFIX,
        SecretColumn::BackupCode | SecretColumn::SmsCode | SecretColumn::ContactCode => KEYED_PREFIX,
    }
}

fn rewrite(keys: &Keys, c: SecretColumn, old: &str) -> String {
    match c {
        SecretColumn::AgentTotp => keys.seal(Sealed::AgentTotp, old),
        SecretColumn::UserTotp => keys.seal(Sealed::UserTotp, old),
        SecretColumn::BackupCode => keys.upgrade_code_hash(Code::Backup, old),
        SecretColumn::SmsCode => keys.upgrade_code_hash(Code::Sms, old),
        SecretColumn::ContactCode => keys.upgrade_code_hash(Code::Contact, old),
    }
}

/// Answers how many values were rewritten.
pub async fn upgrade(db: &Db, keys: &Keys) -> StoreResult<u64> {
    let mut done = 0;
    for c in SecretColumn::ALL {
        let stale = store::at_rest::stale(&mut *db.acquire().await?, c, prefix(c)).await?;
        if stale.is_empty() {
            continue;
        }
        let mut tx = db.write().await?;
        for v in &stale {
            done += u64::from(store::at_rest::rewrite(&mut tx, c, v.id, &v.value, &rewrite(keys, c, &v.value)).await?);
        }
        store::commit(tx).await?;
        let (table, column) = c.place();
        tracing::info!(table, column, rows = stale.len(), "secrets stored before the key existed are now protected");
    }
    Ok(done)
}
