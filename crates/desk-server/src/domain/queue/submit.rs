//! A user files the security-details form: what it matches on file, the risk, and the contact
//! code that must come back before the request joins the queue.

use desk_api::{ChangeKind, EmailAddress, FactCheck, RequestState, RiskLevel};

use crate::crypto::{self, Code, Keys};
use crate::domain::outbox::{self, Mail};
use crate::domain::{DomainError, DomainResult};
use crate::store::{self, Db};
use crate::Config;

pub const MAX_FILES: usize = 3;
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;
/// A small file can declare an enormous picture (a "decompression bomb"): images are refused
/// above this many pixels, before anything decodes them.
pub const MAX_PIXELS: u64 = 40_000_000;

pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub struct Submission {
    pub identifier: String,
    pub contact: EmailAddress,
    pub change: ChangeKind,
    pub new_value: Option<String>,
    pub full_name: String,
    pub country: String,
    pub former_address: Option<String>,
    pub account_age_years: Option<i64>,
    pub statement: String,
    pub evidence: Vec<Upload>,
}

/// The type of an upload from its first bytes, not from what the browser claims.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Width and height an image declares in its header (PNG's IHDR, JPEG's start of frame).
pub fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if bytes.get(12..16)? != b"IHDR" {
            return None;
        }
        let w = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
        let h = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
        return Some((w, h));
    }
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        while *bytes.get(i)? != 0xFF {
            i += 1;
        }
        while *bytes.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *bytes.get(i)?;
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = u16::from_be_bytes(bytes.get(i..i + 2)?.try_into().ok()?) as usize;
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = u16::from_be_bytes(bytes.get(i + 3..i + 5)?.try_into().ok()?) as u32;
            let w = u16::from_be_bytes(bytes.get(i + 5..i + 7)?.try_into().ok()?) as u32;
            return Some((w, h));
        }
        i += len.max(2);
    }
}

/// Why an evidence file is refused, if it is.
pub fn evidence_problem(name: &str, bytes: &[u8]) -> Option<String> {
    match sniff(bytes) {
        None => Some(format!("{name} is not a PNG, JPEG or PDF file.")),
        Some("application/pdf") => None,
        Some(_) => match image_size(bytes) {
            None => Some(format!("{name} is not an image we can read.")),
            Some((w, h)) if w as u64 * h as u64 > MAX_PIXELS => {
                Some(format!("{name} is {w} × {h} pixels; images may have at most 40 megapixels. Send a smaller copy."))
            }
            Some(_) => None,
        },
    }
}

pub struct Assessment {
    pub account_id: Option<i64>,
    pub risk: RiskLevel,
    pub reasons: Vec<String>,
    pub facts: Vec<FactCheck>,
    /// The change moves or removes the account's second factor (a removal of 2FA, or a new phone
    /// where 2FA is SMS): it needs a second approval like a removal.
    pub touches_two_factor: bool,
}

/// Matches the submission to an account and weighs it. Each reason says what raised (or
/// lowered) the risk, so the agent sees why.
pub async fn assess(db: &Db, s: &Submission, now_ms: i64) -> DomainResult<Assessment> {
    let mut conn = db.acquire().await?;
    let conn = &mut *conn;
    let ident = s.identifier.trim().to_lowercase();
    let account = match EmailAddress::parse(&ident) {
        Ok(e) => store::accounts::profile_by_address(conn, e.as_str()).await?,
        Err(_) => store::accounts::profile_by_username(conn, &ident).await?,
    };
    let Some(account) = account else {
        return Ok(Assessment {
            account_id: None,
            risk: RiskLevel::High,
            reasons: vec!["No account matches the username or address given".into()],
            facts: Vec::new(),
            touches_two_factor: s.change == ChangeKind::RemoveTwoFactor,
        });
    };
    let (id, name, country, created_ms) = (account.id, account.display_name, account.country, account.created_ms);
    let mut score = 0i32;
    let mut reasons = Vec::new();
    let mut facts = Vec::new();
    let mut fact =
        |fact: &str, submitted: String, on_file: String, matches: bool, score: &mut i32, reasons: &mut Vec<String>| {
            if !matches {
                *score += 1;
                reasons.push(format!("{fact} differs from the account"));
            }
            facts.push(FactCheck { fact: fact.into(), submitted, on_file, matches });
        };
    let same_name = s.full_name.trim().to_lowercase() == name.to_lowercase();
    fact("Name", s.full_name.clone(), name.clone(), same_name, &mut score, &mut reasons);
    let same_country = s.country.trim().eq_ignore_ascii_case(&country);
    fact("Country", s.country.to_uppercase(), country.clone(), same_country, &mut score, &mut reasons);
    let emails = store::accounts::normalised_addresses(conn, id).await?;
    // Name and country are often public; these two are what an owner knows. Leaving one out
    // scores like getting it wrong, never like giving it.
    let mut left_out = 0;
    match &s.former_address {
        Some(former) => {
            let norm = former.trim().to_lowercase();
            let hit = emails.contains(&norm);
            fact(
                "An address used on the account",
                former.clone(),
                if hit { "on file".into() } else { "not on file".into() },
                hit,
                &mut score,
                &mut reasons,
            );
        }
        None => left_out += 1,
    }
    let age_years = (now_ms - created_ms) / (365 * 24 * 3600 * 1000);
    match s.account_age_years {
        Some(age) => fact(
            "Account age (years)",
            age.to_string(),
            age_years.to_string(),
            (age - age_years).abs() <= 1,
            &mut score,
            &mut reasons,
        ),
        None => left_out += 1,
    }
    if left_out > 0 {
        score += left_out;
        reasons.push(format!("{left_out} of the facts only the owner would know were left out"));
    }
    let all_facts_match = left_out == 0 && facts.iter().all(|f| f.matches);
    let contact_on_file = emails.contains(&s.contact.as_str().to_string());
    if contact_on_file {
        score -= 1;
        reasons.push("The contact address is on the account".into());
    } else {
        score += 1;
        reasons.push("The contact address is not on the account: never seen on it before".into());
    }
    let week = now_ms - 7 * 24 * 3600 * 1000;
    if store::recovery::secret_changes_since(conn, id, now_ms - 14 * 24 * 3600 * 1000).await? > 0 {
        score += 2;
        reasons.push("Security details changed in the last 14 days".into());
    }
    let attempts = store::recovery::attempts_since(conn, id, week).await?;
    if attempts >= 3 {
        score += 1;
        reasons.push(format!("{attempts} recovery attempts in the last 7 days"));
    }
    let earlier = store::requests::count_for_account_since(conn, id, now_ms - 30 * 24 * 3600 * 1000).await?;
    if earlier > 0 {
        score += 1;
        reasons.push(format!("{earlier} earlier requests for this account in 30 days"));
    }
    if !crate::domain::accounts::duplicates(conn, id).await?.is_empty() {
        score += 1;
        reasons.push("Possible duplicate accounts".into());
    }
    let mut touches_two_factor = false;
    if s.change == ChangeKind::RemoveTwoFactor {
        score += 1;
        touches_two_factor = true;
        reasons.push("Removes two-step verification".into());
    }
    if s.change == ChangeKind::Phone && store::accounts::has_method(conn, id, desk_api::TwoFactorKind::Sms).await? {
        score += 1;
        touches_two_factor = true;
        reasons
            .push("Changes the phone that receives two-step codes: handled as removing two-step verification".into());
    }
    let mut risk = match score {
        i32::MIN..=1 => RiskLevel::Low,
        2..=3 => RiskLevel::Medium,
        _ => RiskLevel::High,
    };
    // Low is only for a request that gives every fact right, from an address the account knows.
    if risk == RiskLevel::Low && !(all_facts_match && contact_on_file) {
        risk = RiskLevel::Medium;
    }
    Ok(Assessment { account_id: Some(id), risk, reasons, facts, touches_two_factor })
}

/// Stores the request (unconfirmed) and its evidence, and mails the contact code. Answers the
/// reference the user quotes.
#[tracing::instrument(name = "queue.file", skip_all)]
pub async fn file(db: &Db, keys: &Keys, config: &Config, s: Submission, now_ms: i64) -> DomainResult<String> {
    let a = assess(db, &s, now_ms).await?;
    let reference = format!("SD-{}", &crypto::random_token().replace(['-', '_'], "").to_uppercase()[..8]);
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let mut stored = Vec::new();
    for up in &s.evidence {
        let content_type =
            sniff(&up.bytes).ok_or_else(|| DomainError::invalid("evidence", "not a PNG, JPEG or PDF"))?;
        stored.push((up, content_type, crypto::sha256_hex(&up.bytes)));
    }
    let reasons = serde_json::to_string(&a.reasons).map_err(|e| DomainError::Internal(e.into()))?;
    let facts = serde_json::to_string(&a.facts).map_err(|e| DomainError::Internal(e.into()))?;
    let country = s.country.to_uppercase();
    let code_hash = keys.code_hash(Code::Contact, &code);
    let request = store::requests::NewRequest {
        reference: &reference,
        state: RequestState::Unconfirmed,
        risk: a.risk,
        risk_reasons: &reasons,
        change: s.change,
        new_value: s.new_value.as_deref(),
        identifier: &s.identifier,
        account_id: a.account_id,
        contact_email: s.contact.as_str(),
        contact_code_hash: Some(&code_hash),
        full_name: &s.full_name,
        country: &country,
        former_address: s.former_address.as_deref(),
        account_age_years: s.account_age_years,
        statement: &s.statement,
        facts: &facts,
        submitted_ms: now_ms,
        sla_due_ms: now_ms + config.sla_hours(a.risk) * 3600 * 1000,
        escalated_by: None,
        touches_two_factor: a.touches_two_factor,
    };
    let mut tx = db.write().await?;
    let id = store::requests::insert(&mut tx, &request).await?;
    // In the request's transaction: a request is never on record without its evidence, nor the
    // other way round.
    for (up, content_type, sha256) in &stored {
        let file = store::requests::NewEvidence {
            request_id: id,
            name: &up.name,
            content_type,
            size: up.bytes.len() as i64,
            sha256,
            created_ms: now_ms,
        };
        store::requests::insert_evidence(&mut tx, &file, &up.bytes).await?;
    }
    let body = format!(
        "Your confirmation code for request {reference} is {code}. Enter it on the page where you filed the request."
    );
    let mail = Mail {
        account_id: a.account_id,
        action_id: None,
        token_id: None,
        kind: "contact_code",
        to: s.contact.as_str(),
        subject: "Confirm your request",
        body: &body,
    };
    outbox::enqueue(&mut tx, now_ms, mail).await?;
    store::commit(tx).await?;
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(b"\x08\x06\x00\x00\x00");
        b
    }

    #[test]
    fn images_declare_their_size_and_huge_ones_are_refused() {
        assert_eq!(image_size(&png(1, 1)), Some((1, 1)));
        assert!(evidence_problem("a.png", &png(4000, 3000)).is_none(), "12 megapixels");
        let e = evidence_problem("bomb.png", &png(20_000, 20_000)).unwrap();
        assert!(e.contains("40 megapixels"), "{e}");
        // A JPEG: SOI, an APP0 segment, then SOF0 with height 5000 and width 9000.
        let jpeg = [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00][..],
            &[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x13, 0x88, 0x23, 0x28, 0x03][..],
        ]
        .concat();
        assert_eq!(image_size(&jpeg), Some((9000, 5000)));
        assert!(evidence_problem("big.jpg", &jpeg).is_some());
        assert!(evidence_problem("cut.jpg", &[0xFF, 0xD8, 0xFF]).is_some(), "no size, no pass");
        assert!(evidence_problem("doc.pdf", b"%PDF-1.7").is_none());
    }
}
