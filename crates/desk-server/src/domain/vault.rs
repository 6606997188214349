//! Where the secrets of staff onboarding and caller verification are turned into what is stored:
//! enrolment-link tokens and one-time codes become hashes (never stored plain), and TOTP secrets
//! go through `seal`/`open` on their way into and out of `agents.totp_secret`. Keeping every such
//! write behind these few functions lets the service's key-based protection (keyed hashes of
//! codes, encryption of TOTP secrets with a key outside the database) take over in one place.

use base64::Engine;
use rand::RngCore;

use crate::crypto;

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

pub fn code_hash(code: &str) -> String {
    crypto::token_hash(&format!("code:{}", normalise_code(code)))
}

/// A new authenticator secret: 160 random bits (RFC 4226's recommendation), base32 as apps want.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// What goes into `agents.totp_secret` for a secret.
pub fn seal_totp_secret(secret: &str) -> String {
    secret.to_string()
}

/// The secret back from what `seal_totp_secret` stored.
pub fn open_totp_secret(stored: &str) -> String {
    stored.to_string()
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
        assert_eq!(code_hash("ABCD-EFGH"), code_hash("abcd efgh"));
        assert_ne!(code_hash("abcd-efgh"), "abcdefgh");
        assert_ne!(code_hash("abcd-efgh"), code_hash("abcd-efgj"));
        let codes = new_backup_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'));
        assert_eq!(new_totp_secret().len(), 32);
        assert_eq!(open_totp_secret(&seal_totp_secret("JBSWY3DPEHPK3PXP")), "JBSWY3DPEHPK3PXP");
    }
}
