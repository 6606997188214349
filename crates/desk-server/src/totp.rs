//! RFC 6238 TOTP (SHA-1, 6 digits, 30 s steps), as authenticator apps implement it.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;

fn decode_secret(base32: &str) -> Option<Vec<u8>> {
    let cleaned: String = base32.chars().filter(|c| !c.is_whitespace() && *c != '=').collect();
    data_encoding::BASE32_NOPAD.decode(cleaned.to_uppercase().as_bytes()).ok()
}

/// The code for the 30-second step that contains `unix_secs`.
pub fn code_at(base32_secret: &str, unix_secs: i64) -> Option<String> {
    let key = decode_secret(base32_secret)?;
    let counter = (unix_secs.div_euclid(STEP_SECS)) as u64;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let bin = ((digest[offset] as u32 & 0x7f) << 24)
        | ((digest[offset + 1] as u32) << 16)
        | ((digest[offset + 2] as u32) << 8)
        | (digest[offset + 3] as u32);
    Some(format!("{:06}", bin % 1_000_000))
}

/// Accepts the current step and one on either side, for clocks that drift a little.
pub fn verify(base32_secret: &str, code: &str, unix_secs: i64) -> bool {
    matching_step(base32_secret, code, unix_secs).is_some()
}

/// The step the code belongs to (current, or one either side), so a caller can refuse a replay.
pub fn matching_step(base32_secret: &str, code: &str, unix_secs: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    [-1, 0, 1].into_iter().find_map(|d| {
        let at = unix_secs + d * STEP_SECS;
        code_at(base32_secret, at)
            .filter(|c| crate::crypto::constant_time_eq(c.as_bytes(), code.as_bytes()))
            .map(|_| at.div_euclid(STEP_SECS))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 of the 8 digits.
        let secret = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1111111109).unwrap(), "081804");
        assert_eq!(code_at(&secret, 2000000000).unwrap(), "279037");
    }

    #[test]
    fn verify_allows_one_step_of_drift_but_not_two() {
        let s = "JBSWY3DPEHPK3PXP";
        let now = 1_800_000_000;
        // `now` is the start of a step, so each offset below is whole steps away.
        assert_eq!(now % 30, 0);
        assert!(verify(s, &code_at(s, now).unwrap(), now));
        assert!(verify(s, &code_at(s, now - 30).unwrap(), now), "one step behind");
        assert!(verify(s, &code_at(s, now + 30).unwrap(), now), "one step ahead");
        assert!(!verify(s, &code_at(s, now - 60).unwrap(), now), "two steps behind");
        assert!(!verify(s, &code_at(s, now + 60).unwrap(), now), "two steps ahead");
        assert!(!verify(s, "12345", now));
        assert!(!verify(s, "abcdef", now));
    }
}
