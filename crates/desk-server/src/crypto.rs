//! Random tokens, secrets at rest, keyed hashes, and password hashing: the one place for them.
//!
//! One master key (32 random bytes from `secret_key_file` or `DESK_SECRET_KEY`, never stored in
//! the database) gives a subkey per use through HKDF-SHA-256, so that the database alone opens
//! nothing, and a subkey that leaks from one use does not open another:
//! - [`Keys::seal`] / [`Keys::open`]: AES-256-GCM for secrets the service must read back (TOTP
//!   secrets of agents and of end users);
//! - [`Keys::code_hash`]: HMAC-SHA-256 for short codes (backup, SMS, contact). A plain hash of a
//!   6-digit code is no protection: all million of them hash in well under a second;
//! - [`Keys::checkpoint_mac`]: HMAC-SHA-256 that signs audit checkpoints.
//!
//! Passwords and security answers are argon2id; [`ArgonGate`] bounds how many are worked on at
//! once, so a flood of sign-ins costs bounded memory (argon2 takes 19 MiB each) and is answered
//! at once with "busy" instead of queueing without end.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use ring::{aead, hkdf, hmac};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored by their SHA-256: they are random and long, so a slow or keyed hash adds
/// nothing. Short codes are not: they take [`Keys::code_hash`].
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a sealed secret is, bound into its ciphertext: a secret sealed for one use does not open
/// as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    AgentTotp,
    UserTotp,
}

impl Sealed {
    fn aad(self) -> &'static [u8] {
        match self {
            Sealed::AgentTotp => b"recovery-desk agents.totp_secret",
            Sealed::UserTotp => b"recovery-desk two_factor_methods.secret",
        }
    }
}

/// The kinds of short code stored as keyed hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Backup,
    Sms,
    Contact,
}

impl Code {
    fn label(self) -> &'static [u8] {
        match self {
            Code::Backup => b"backup",
            Code::Sms => b"sms",
            Code::Contact => b"contact",
        }
    }
}

/// Prefix of a sealed value (version 1: AES-256-GCM, 96-bit random nonce, base64url).
pub const SEALED_PREFIX: &str = "v1:";
/// Prefix of a keyed code hash (version 1: HMAC-SHA-256 over the code's SHA-256).
pub const KEYED_PREFIX: &str = "k1:";

/// The subkeys of the master key.
pub struct Keys {
    seal: aead::LessSafeKey,
    codes: hmac::Key,
    checkpoints: hmac::Key,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

fn subkey(prk: &hkdf::Prk, label: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let info = [label];
    prk.expand(&info, hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(&mut out))
        .expect("32 bytes is a valid HKDF-SHA-256 length");
    out
}

impl Keys {
    pub fn from_master(master: &[u8; 32]) -> Self {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"recovery-desk master key v1").extract(master);
        let seal = aead::UnboundKey::new(&aead::AES_256_GCM, &subkey(&prk, b"seal secrets at rest"))
            .expect("32 bytes is an AES-256 key");
        Self {
            seal: aead::LessSafeKey::new(seal),
            codes: hmac::Key::new(hmac::HMAC_SHA256, &subkey(&prk, b"code hashes")),
            checkpoints: hmac::Key::new(hmac::HMAC_SHA256, &subkey(&prk, b"audit checkpoints")),
        }
    }

    /// A master key as `desk-server keygen` prints it: 32 bytes in base64 (standard or URL-safe).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| anyhow::anyhow!("the secret key is not base64; `desk-server keygen` prints a good one"))?;
        let master: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            anyhow::anyhow!("the secret key is {} bytes; it must be 32 (`desk-server keygen` prints one)", b.len())
        })?;
        Ok(Self::from_master(&master))
    }

    /// A new random master key, as text.
    pub fn generate() -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Reads the key file, or (demo mode) creates it, readable by its owner only.
    pub fn load_file(path: &Path, create: bool) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| anyhow::anyhow!("secret key file {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let text = Self::generate();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = match opts.open(path) {
                    Ok(f) => f,
                    // Another instance made it first: use that one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Self::load_file(path, false),
                    Err(e) => anyhow::bail!("cannot create the secret key file {}: {e}", path.display()),
                };
                std::io::Write::write_all(&mut f, format!("{text}\n").as_bytes())?;
                f.sync_all()?;
                Self::parse(&text)
            }
            Err(e) => Err(anyhow::anyhow!("cannot read the secret key file {}: {e}", path.display())),
        }
    }

    /// Encrypts a secret for storage.
    pub fn seal(&self, what: Sealed, plain: &str) -> String {
        let mut nonce = [0u8; aead::NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut data = plain.as_bytes().to_vec();
        self.seal
            .seal_in_place_append_tag(aead::Nonce::assume_unique_for_key(nonce), aead::Aad::from(what.aad()), &mut data)
            .expect("AES-GCM seals any input shorter than 64 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        format!("{SEALED_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts a stored secret; `None` when it was not sealed by this key for this use.
    pub fn open(&self, what: Sealed, stored: &str) -> Option<desk_api::SecretText> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(stored.strip_prefix(SEALED_PREFIX)?).ok()?;
        if raw.len() < aead::NONCE_LEN + aead::AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, data) = raw.split_at(aead::NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self.seal.open_in_place(nonce, aead::Aad::from(what.aad()), &mut data).ok()?;
        String::from_utf8(plain.to_vec()).ok().map(desk_api::SecretText::new)
    }

    /// The stored form of a short code: HMAC-SHA-256 (code subkey) over its kind and SHA-256.
    /// Hashing the SHA-256 rather than the code lets rows stored as plain SHA-256 before the key
    /// existed be upgraded in place ([`Keys::upgrade_code_hash`]).
    pub fn code_hash(&self, kind: Code, code: &str) -> String {
        self.keyed(kind, &sha256_hex(code.as_bytes()))
    }

    /// A stored plain SHA-256 of a code, turned into its keyed hash; keyed hashes pass unchanged.
    pub fn upgrade_code_hash(&self, kind: Code, stored: &str) -> String {
        if stored.starts_with(KEYED_PREFIX) {
            stored.to_string()
        } else {
            self.keyed(kind, stored)
        }
    }

    fn keyed(&self, kind: Code, sha256: &str) -> String {
        let mut input = kind.label().to_vec();
        input.push(0);
        input.extend_from_slice(sha256.as_bytes());
        format!("{KEYED_PREFIX}{}", hex::encode(hmac::sign(&self.codes, &input).as_ref()))
    }

    /// The signature of an audit checkpoint's canonical text.
    pub fn checkpoint_mac(&self, text: &str) -> String {
        hex::encode(hmac::sign(&self.checkpoints, text.as_bytes()).as_ref())
    }

    pub fn checkpoint_mac_ok(&self, text: &str, mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|mac| hmac::verify(&self.checkpoints, text.as_bytes(), &mac).is_ok())
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the agent does not exist, so that an unknown address costs the
/// same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").expect("argon2 with default params"))
}

/// Constant-time comparison of two strings of public length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why argon2 work was not done.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Every worker is busy and the waiting line is full: answer "busy" now rather than queue.
    #[error("too many password checks in hand")]
    Busy,
    #[error("argon2 worker failed: {0}")]
    Failed(String),
}

/// At most `workers` argon2 computations at once (one per core by default), and at most `waiting`
/// more waiting for a worker; anything beyond is refused at once.
pub struct ArgonGate {
    workers: Semaphore,
    admitted: Semaphore,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl ArgonGate {
    pub fn new(workers: usize, waiting: usize) -> Self {
        let workers = workers.max(1);
        Self {
            workers: Semaphore::new(workers),
            admitted: Semaphore::new(workers + waiting),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// The most argon2 computations that ever ran at once (for tests and benchmarks).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, GateError> {
        let _admitted = self.admitted.try_acquire().map_err(|_| GateError::Busy)?;
        let _worker = self.workers.acquire().await.map_err(|_| GateError::Busy)?;
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let out = tokio::task::spawn_blocking(work).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        out.map_err(|e| GateError::Failed(e.to_string()))
    }

    pub async fn verify(&self, password: &desk_api::SecretText, hash: &str) -> Result<bool, GateError> {
        let (pw, hash) = (password.clone(), hash.to_string());
        self.run(move || verify_password(pw.expose(), &hash)).await
    }

    pub async fn hash(&self, secret: &desk_api::SecretText) -> Result<String, GateError> {
        let s = secret.clone();
        self.run(move || hash_password(s.expose())).await?.map_err(|e| GateError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_unique() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_use() {
        let keys = Keys::parse(&Keys::generate()).unwrap();
        let other = Keys::parse(&Keys::generate()).unwrap();
        let sealed = keys.seal(Sealed::UserTotp, "GEZDGNBVGY3TQOJQ");
        assert!(sealed.starts_with(SEALED_PREFIX) && !sealed.contains("GEZDGNBVGY3TQOJQ"));
        assert_ne!(sealed, keys.seal(Sealed::UserTotp, "GEZDGNBVGY3TQOJQ"), "a fresh nonce each time");
        assert_eq!(keys.open(Sealed::UserTotp, &sealed).unwrap().expose(), "GEZDGNBVGY3TQOJQ");
        assert!(keys.open(Sealed::AgentTotp, &sealed).is_none(), "sealed for another use");
        assert!(other.open(Sealed::UserTotp, &sealed).is_none(), "another key");
        assert!(keys.open(Sealed::UserTotp, "GEZDGNBVGY3TQOJQ").is_none(), "not sealed at all");
    }

    #[test]
    fn code_hashes_are_keyed_and_old_plain_hashes_upgrade_to_the_same_value() {
        let keys = Keys::parse(&Keys::generate()).unwrap();
        let other = Keys::parse(&Keys::generate()).unwrap();
        let h = keys.code_hash(Code::Sms, "123456");
        assert!(h.starts_with(KEYED_PREFIX));
        assert_ne!(h, format!("{KEYED_PREFIX}{}", sha256_hex(b"123456")));
        assert_ne!(h, other.code_hash(Code::Sms, "123456"));
        assert_ne!(h, keys.code_hash(Code::Contact, "123456"));
        assert_eq!(keys.upgrade_code_hash(Code::Sms, &sha256_hex(b"123456")), h);
        assert_eq!(keys.upgrade_code_hash(Code::Sms, &h), h);
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        assert!(Keys::parse("not base64!").is_err());
        assert!(Keys::parse("c2hvcnQ=").is_err());
        let text = Keys::generate();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&text).unwrap().len(), 32);
    }
}
