//! Where the secrets of staff onboarding and caller verification are turned into what is stored:
//! enrolment-link tokens become SHA-256 hashes (256 random bits: a slow or keyed hash adds
//! nothing), one-time codes become keyed hashes, and TOTP secrets are sealed with the service's
//! key on their way into `agents.totp_secret` (`crate::crypto::Keys`). Every such write goes
//! through these few functions.

use base64::Engine;
use rand::RngCore;

use desk_api::SecretText;

use crate::crypto::{self, Code, Keys, Sealed};

/// A single-use link token (256 random bits), stored by its hash.
pub fn new_link_token() -> String {
    crypto::random_token()
}

pub fn link_token_hash(token: &str) -> String {
    crypto::token_hash(token)
}

/// One-time codes (backup codes, caller-verification codes) compare on letters and digits only,
/// lower-cased, so "ABCD-EFGH" and "abcdefgh" are the same code.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase()
}

/// A staff backup code, as stored: a keyed hash.
pub fn backup_code_hash(keys: &Keys, code: &str) -> String {
    keys.code_hash(Code::Backup, &normalise_code(code))
}

/// A caller-verification code, as stored: a keyed hash.
pub fn caller_code_hash(keys: &Keys, code: &str) -> String {
    keys.code_hash(Code::Contact, &normalise_code(code))
}

/// A new authenticator secret: 160 random bits (RFC 4226's recommendation), base32 as apps want.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// What goes into `agents.totp_secret` for a secret.
pub fn seal_totp_secret(keys: &Keys, secret: &str) -> String {
    keys.seal(Sealed::AgentTotp, secret)
}

/// A staff member's secret back from what `seal_totp_secret` stored.
pub fn open_totp_secret(keys: &Keys, stored: &str) -> Option<SecretText> {
    keys.open(Sealed::AgentTotp, stored)
}

/// A user's authenticator secret (`two_factor_methods.secret`), for a caller to be checked against.
pub fn open_user_totp(keys: &Keys, stored: &str) -> Option<SecretText> {
    keys.open(Sealed::UserTotp, stored)
}

/// Ten backup codes of 8 characters (40 bits each), shown once as `xxxx-xxxx`.
pub fn new_backup_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..10)
        .map(|_| {
            let mut bytes = [0u8; 8];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let s: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
            format!("{}-{}", &s[..4], &s[4..])
        })
        .collect()
}

/// A numeric one-time code for a person to read out: 6 digits.
pub fn new_numeric_code() -> String {
    let mut bytes = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000)
}

/// A random value for OIDC `state`/`nonce`, stored by its hash.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_hash_the_same_however_they_are_typed_and_never_plain() {
        let keys = Keys::from_master(&[7u8; 32]);
        assert_eq!(backup_code_hash(&keys, "ABCD-EFGH"), backup_code_hash(&keys, "abcd efgh"));
        assert!(!backup_code_hash(&keys, "abcd-efgh").contains("abcd"));
        assert_ne!(backup_code_hash(&keys, "abcd-efgh"), backup_code_hash(&keys, "abcd-efgj"));
        assert_ne!(backup_code_hash(&keys, "123456"), caller_code_hash(&keys, "123456"));
        let other = Keys::from_master(&[8u8; 32]);
        assert_ne!(backup_code_hash(&keys, "abcd-efgh"), backup_code_hash(&other, "abcd-efgh"));
        let codes = new_backup_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'));
        assert_eq!(new_totp_secret().len(), 32);
        let sealed = seal_totp_secret(&keys, "JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(open_totp_secret(&keys, &sealed).unwrap().expose(), "JBSWY3DPEHPK3PXP");
        assert!(open_totp_secret(&other, &sealed).is_none());
    }
}
