//! Domain newtypes parsed at the edge: once a value has one of these types it is valid.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use ts_rs::TS;

/// An email address, trimmed and lower-cased. Parsing is deliberately modest (one `@`, a dot in the
/// domain, no spaces, RFC 5321 length limits): the mail system is the final judge of deliverability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        // Lengths count characters, as the API description's `maxLength` and pattern do.
        let s = input.trim();
        if s.is_empty() {
            return Err("an email address is required");
        }
        if s.chars().count() > 254 {
            return Err("an email address is at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("an email address needs an @");
        };
        if local.is_empty() || local.chars().count() > 64 || domain.contains('@') {
            return Err("the part before the @ is not valid");
        }
        if domain.chars().count() < 3 || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err("the domain after the @ is not valid");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("an email address cannot contain spaces");
        }
        Ok(Self(s.to_lowercase()))
    }

    /// As `parse`, but an address with spaces around it is refused rather than trimmed: what the
    /// API takes is exactly what `patterns::EMAIL` describes.
    pub fn parse_exact(input: &str) -> Result<Self, &'static str> {
        if input.trim() != input {
            return Err("an email address cannot start or end with a space");
        }
        Self::parse(input)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The address as the mailbox provider sees it: dots and +tags dropped where the provider
    /// ignores them. Two accounts with the same canonical address are likely one person.
    pub fn canonical(&self) -> String {
        canonical_email(&self.0)
    }

    /// `j***h@example.com`: enough for the user to recognise their address, not enough to learn it.
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

/// See [`EmailAddress::canonical`].
pub fn canonical_email(email: &str) -> String {
    let email = email.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else { return email };
    let ignores_dots = matches!(domain, "gmail.com" | "googlemail.com");
    let ignores_tags = ignores_dots
        || matches!(
            domain,
            "outlook.com" | "hotmail.com" | "proton.me" | "protonmail.com" | "fastmail.com" | "icloud.com"
        );
    let mut local = local.to_string();
    if ignores_tags {
        if let Some(i) = local.find('+') {
            local.truncate(i);
        }
    }
    if ignores_dots {
        local = local.replace('.', "");
    }
    let domain = if domain == "googlemail.com" { "gmail.com" } else { domain };
    format!("{local}@{domain}")
}

/// Only the digits of a phone number, for comparing numbers written differently.
pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// The first and last character of the local part and the whole domain: two addresses an agent
/// must tell apart (on file, and the one a user writes from) rarely look the same, and the local
/// part stays hidden. Local parts of one or two characters keep only the first.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let chars: Vec<char> = local.chars().collect();
            let first: String = chars.iter().take(1).collect();
            let last: String = if chars.len() > 2 { chars[chars.len() - 1].to_string() } else { String::new() };
            format!("{first}***{last}@{domain}")
        }
        None => "***".into(),
    }
}

/// `+** *** *** 42`: only the last two digits are kept.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let tail: String = digits.iter().rev().take(2).rev().collect();
    format!("••• ••• ••{tail}")
}

/// A support ticket reference, e.g. `SUP-12345`: 1 to 64 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket(String);

impl Ticket {
    /// Exactly `patterns::TICKET`: no spaces around it (the console trims what the agent typed).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input;
        if s.trim().is_empty() {
            return Err("a ticket reference is required");
        }
        if s.len() > 64 {
            return Err("a ticket reference is at most 64 characters");
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || "-_#./:".contains(c)) {
            return Err("a ticket reference uses letters, digits and - _ # . / : only");
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an agent starts an action. A fixed list, so that figures per reason mean something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReasonCode {
    ForgotPassword,
    EmailNotReceived,
    LinkExpired,
    LockedOut,
    SuspectedCompromise,
    Other,
}

impl ReasonCode {
    /// In words, for the activity an agent reads (the console's labels say the same).
    pub fn label(self) -> &'static str {
        match self {
            ReasonCode::ForgotPassword => "forgot password",
            ReasonCode::EmailNotReceived => "reset email not received",
            ReasonCode::LinkExpired => "reset link expired",
            ReasonCode::LockedOut => "locked out of the account",
            ReasonCode::SuspectedCompromise => "suspected account compromise",
            ReasonCode::Other => "other reason",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Agent,
    Lead,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Locked,
    Suspended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TwoFactorKind {
    AuthenticatorApp,
    Sms,
    BackupCodes,
}

/// Where a recovery email is in its life: the outbox writes `queued`, the sender moves it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, IntoStaticStr, EnumString, VariantArray)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EmailStatus {
    Queued,
    Sent,
    Delivered,
    Bounced,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(EmailAddress::parse("  Jo.Doe@Example.COM ").unwrap().as_str(), "jo.doe@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in ["", "nobody", "a@b", "@example.com", "a b@example.com", "a@@example.com", "a@.com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn exact_addresses_have_no_spaces_around_them_and_count_characters() {
        assert!(EmailAddress::parse_exact(" jo@example.com").is_err());
        assert!(EmailAddress::parse_exact("jo@example.com\n").is_err());
        assert!(EmailAddress::parse_exact("jo@example.com").is_ok());
        // 64 characters of two bytes each before the @ is still a valid local part.
        assert!(EmailAddress::parse_exact(&format!("{}@example.com", "é".repeat(64))).is_ok());
        assert!(EmailAddress::parse_exact(&format!("{}@example.com", "é".repeat(65))).is_err());
    }

    #[test]
    fn masking_hides_all_but_the_first_letter() {
        assert_eq!(EmailAddress::parse("maria@example.com").unwrap().masked(), "m***a@example.com");
        // Addresses an agent must tell apart look different; very short ones show one character.
        assert_ne!(mask_email("anna.k@outlook.com"), mask_email("alex.s@outlook.com"));
        assert_eq!(mask_email("jo@example.com"), "j***@example.com");
        assert_eq!(mask_email("álvaro@example.com"), "á***o@example.com");
        assert_eq!(mask_phone("+44 7700 900123"), "••• ••• ••23");
    }

    #[test]
    fn canonical_addresses_drop_what_the_provider_ignores() {
        assert_eq!(canonical_email("Maria.Lopez+shop@GMAIL.com"), "marialopez@gmail.com");
        assert_eq!(canonical_email("m.lopez@googlemail.com"), "mlopez@gmail.com");
        assert_eq!(canonical_email("jo.doe+x@outlook.com"), "jo.doe@outlook.com");
        assert_eq!(canonical_email("jo.doe+x@example.com"), "jo.doe+x@example.com");
    }

    #[test]
    fn ticket_rules() {
        assert!(Ticket::parse("SUP-1234").is_ok());
        assert!(Ticket::parse("   ").is_err());
        assert!(Ticket::parse("<script>").is_err());
        assert!(Ticket::parse(&"x".repeat(65)).is_err());
        assert!(Ticket::parse(" SUP-1").is_err());
    }
}
