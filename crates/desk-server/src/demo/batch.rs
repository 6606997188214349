//! A run of demo accounts with everything that hangs off them, made from the seed's random
//! numbers and written in a few multi-row statements per table.

use std::ops::Range;

use desk_api::{AccountStatus, TwoFactorKind};
use rand::rngs::StdRng;
use rand::Rng;

use super::{COUNTRIES, DOMAINS, FIRST, KNOWN, LAST, MARIA_BACKUP_CODES, MARIA_TOTP};
use crate::crypto;
use crate::store::accounts::{NewAccount, NewAddress, NewBackupCode, NewMethod, NewUserSession};
use crate::store::{self, Tx};

const DAY: i64 = 86_400_000;

/// Owned texts; the rows the store takes borrow them.
#[derive(Debug, PartialEq)]
struct Person {
    id: i64,
    username: String,
    display_name: String,
    status: AccountStatus,
    country: &'static str,
    phone: Option<String>,
    question: bool,
    created_ms: i64,
    last_sign_in_ms: Option<i64>,
}

#[derive(Debug, PartialEq)]
struct Address {
    account_id: i64,
    email: String,
    primary: bool,
    verified: bool,
    bounced: bool,
}

#[derive(Default)]
pub(super) struct Batch {
    people: Vec<Person>,
    addresses: Vec<Address>,
    methods: Vec<NewMethod>,
    backup_codes: Vec<NewBackupCode>,
    sessions: Vec<NewUserSession>,
}

impl Batch {
    /// The well-known accounts the README and the tests name (ids 1 to `KNOWN.len()`).
    pub(super) fn known(now: i64, keys: &crypto::Keys) -> Self {
        let mut b = Batch::default();
        for (i, k) in KNOWN.iter().enumerate() {
            let id = i as i64 + 1;
            b.people.push(Person {
                id,
                username: k.username.to_string(),
                display_name: k.display_name.to_string(),
                status: k.status,
                country: k.country,
                phone: Some(k.phone.to_string()),
                question: true,
                created_ms: now - 900 * DAY,
                last_sign_in_ms: Some(now - 3 * DAY),
            });
            for (e, primary, verified) in k.emails {
                let email = e.to_string();
                b.addresses.push(Address {
                    account_id: id,
                    email,
                    primary: *primary,
                    verified: *verified,
                    bounced: false,
                });
            }
            for m in k.two_factor {
                let secret =
                    (*m == TwoFactorKind::AuthenticatorApp).then(|| keys.seal(crypto::Sealed::UserTotp, MARIA_TOTP));
                b.methods.push(NewMethod { account_id: id, kind: *m, last_used_ms: Some(now - 10 * DAY), secret });
                if *m == TwoFactorKind::BackupCodes {
                    for c in MARIA_BACKUP_CODES {
                        let code_hash = keys.code_hash(crypto::Code::Backup, &c.replace('-', ""));
                        b.backup_codes.push(NewBackupCode { account_id: id, code_hash });
                    }
                }
            }
            for _ in 0..k.sessions {
                b.sessions.push(NewUserSession { account_id: id, created_ms: now - DAY });
            }
        }
        b
    }

    /// Varied accounts with the given ids, each drawn from `rng` in id order: the same seed gives
    /// the same accounts however they are batched.
    pub(super) fn generated(rng: &mut StdRng, ids: Range<i64>, now: i64, keys: &crypto::Keys) -> Self {
        let mut b = Batch::default();
        for id in ids {
            b.person(rng, id, now, keys);
        }
        b
    }

    fn person(&mut self, rng: &mut StdRng, id: i64, now: i64, keys: &crypto::Keys) {
        let first = FIRST[rng.gen_range(0..FIRST.len())];
        let last = LAST[rng.gen_range(0..LAST.len())];
        let username = format!("{}{}{}", first.to_lowercase(), ["", ".", "_"][rng.gen_range(0..3)], id);
        // A middle initial keeps same-name-and-country duplicates as rare as they are in life.
        let initial = (b'A' + rng.gen_range(0..26)) as char;
        let status = match rng.gen_range(0..100) {
            0..=3 => AccountStatus::Locked,
            4..=5 => AccountStatus::Suspended,
            _ => AccountStatus::Active,
        };
        let country = COUNTRIES[rng.gen_range(0..COUNTRIES.len())];
        let phone = rng
            .gen_bool(0.6)
            .then(|| format!("+{} {:03} {:04}", rng.gen_range(1..99), rng.gen_range(100..999), rng.gen_range(0..9999)));
        let created_ms = now - rng.gen_range(30..3650) * DAY;
        let last_sign_in_ms = rng.gen_bool(0.9).then(|| now - rng.gen_range(0..400) * DAY);
        self.people.push(Person {
            id,
            username,
            display_name: format!("{first} {initial}. {last}"),
            status,
            country,
            phone,
            question: rng.gen_bool(0.7),
            created_ms,
            last_sign_in_ms,
        });
        if rng.gen_bool(0.5) {
            self.sessions.push(NewUserSession { account_id: id, created_ms: now - rng.gen_range(0..30) * DAY });
        }
        let n_emails = rng.gen_range(1..=3);
        for j in 0..n_emails {
            let domain = DOMAINS[rng.gen_range(0..DOMAINS.len())];
            let local = match j {
                0 => format!("{}.{}{}", first.to_lowercase(), last.to_lowercase().replace('ü', "u"), id),
                1 => format!("{}{}", first.to_lowercase(), id),
                _ => format!("{}+work{}", last.to_lowercase().replace('ü', "u"), id),
            };
            let email = format!("{local}@{domain}");
            let verified = j == 0 || rng.gen_bool(0.6);
            let bounced = rng.gen_bool(0.03);
            self.addresses.push(Address { account_id: id, email, primary: j == 0, verified, bounced });
        }
        for (kind, p) in
            [(TwoFactorKind::AuthenticatorApp, 0.35), (TwoFactorKind::Sms, 0.25), (TwoFactorKind::BackupCodes, 0.2)]
        {
            if !rng.gen_bool(p) {
                continue;
            }
            let secret = (kind == TwoFactorKind::AuthenticatorApp).then(|| {
                let bytes: [u8; 10] = rng.gen();
                keys.seal(crypto::Sealed::UserTotp, &data_encoding::BASE32_NOPAD.encode(&bytes))
            });
            let last_used_ms = rng.gen_bool(0.7).then(|| now - rng.gen_range(0..200) * DAY);
            self.methods.push(NewMethod { account_id: id, kind, last_used_ms, secret });
            if kind == TwoFactorKind::BackupCodes {
                for _ in 0..3 {
                    let code = format!("{:08}", rng.gen_range(0..100_000_000u32));
                    let code_hash = keys.code_hash(crypto::Code::Backup, &code);
                    self.backup_codes.push(NewBackupCode { account_id: id, code_hash });
                }
            }
        }
    }

    pub(super) async fn insert(&self, tx: &mut Tx, user_hash: &str) -> store::StoreResult<()> {
        let accounts: Vec<NewAccount> = self
            .people
            .iter()
            .map(|p| NewAccount {
                id: p.id,
                username: &p.username,
                display_name: &p.display_name,
                status: p.status,
                country: p.country,
                phone: p.phone.as_deref(),
                password_hash: user_hash,
                security_question: p.question.then_some("What was the name of your first pet?"),
                created_ms: p.created_ms,
                last_sign_in_ms: p.last_sign_in_ms,
            })
            .collect();
        store::accounts::insert_many(tx, &accounts).await?;
        let addresses: Vec<NewAddress> = self
            .addresses
            .iter()
            .map(|a| NewAddress {
                account_id: a.account_id,
                email: &a.email,
                is_primary: a.primary,
                verified: a.verified,
                bounced: a.bounced,
            })
            .collect();
        store::accounts::insert_addresses(tx, &addresses).await?;
        store::accounts::insert_methods(tx, &self.methods).await?;
        store::accounts::insert_backup_codes(tx, &self.backup_codes).await?;
        store::accounts::insert_user_sessions(tx, &self.sessions).await
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// Seeding in batches must not change the demo: the README's and the tests' accounts, and the
    /// bench's figures, stay comparable across sizes and versions.
    #[test]
    fn batches_make_the_same_accounts_as_one_run() {
        let keys = crypto::Keys::from_master(&[7; 32]);
        let whole = Batch::generated(&mut StdRng::seed_from_u64(1), 10..70, 0, &keys);
        let mut rng = StdRng::seed_from_u64(1);
        let mut parts = Batch::generated(&mut rng, 10..33, 0, &keys);
        let rest = Batch::generated(&mut rng, 33..70, 0, &keys);
        parts.people.extend(rest.people);
        parts.addresses.extend(rest.addresses);
        assert_eq!(whole.people.len(), 60);
        assert_eq!(whole.people, parts.people);
        assert_eq!(whole.addresses, parts.addresses);
        assert_eq!(whole.methods.len(), parts.methods.len() + rest.methods.len());
        assert!(whole.people.iter().zip(10..).all(|(p, id)| p.id == id && p.username.ends_with(&id.to_string())));
    }
}
