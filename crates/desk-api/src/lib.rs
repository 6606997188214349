//! The contract of Recovery Desk.
//!
//! Every type that crosses a process boundary (service ⇄ client ⇄ webview) is defined here once.
//! The TypeScript the UI uses is generated from these types (`typescript()`), and a test fails when
//! the committed `ui/src/lib/contract.ts` is stale.

mod about;
mod accounts;
mod actions;
mod audit;
mod auth;
mod domain;
mod error;
pub mod mail;
pub mod patterns;
mod queue;
mod secret;
#[cfg(feature = "sqlx")]
mod sql;
mod sso;
mod staff;
mod typescript;

pub use about::*;
pub use accounts::*;
pub use actions::*;
pub use audit::*;
pub use auth::*;
pub use domain::*;
pub use error::*;
pub use mail::{MailEvent, MailEventKind};
pub use queue::*;
pub use secret::SecretText;
pub use sso::*;
pub use staff::*;
pub use typescript::typescript;

use serde::Deserialize;

/// `as_str`, `parse` and `ALL` of the contract's enums whose text (JSON, database, logs) is the
/// variant's snake_case name: all three from the strum derives on each, which spell names as
/// serde does (the `names` test checks every variant).
macro_rules! text_names {
    ($($ty:ty),+ $(,)?) => {$(
        impl $ty {
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            pub fn parse(s: &str) -> Option<Self> {
                s.parse().ok()
            }

            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = <Self as strum::VariantArray>::VARIANTS;
        }
    )+};
}

text_names!(
    AccountStatus,
    AuditAction,
    CallerMethod,
    ChangeKind,
    EmailStatus,
    ErrorCode,
    MailEventKind,
    ReasonCode,
    RequestState,
    RiskLevel,
    Role,
    TwoFactorKind,
);

/// One page of a keyset-paginated list. `next_cursor` is opaque; absent on the last page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An integer field of a request body. JSON Schema counts `63.0` as the integer 63, so the API
/// takes it as such (serde alone would refuse a number written with a fraction).
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    match serde_json::Number::deserialize(d)? {
        n if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        n => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) => Ok(f as i64),
            _ => Err(D::Error::custom(format!("invalid value: {n}, expected a whole number that fits 64 bits"))),
        },
    }
}

#[cfg(test)]
mod names {
    use std::fmt::Debug;
    use std::str::FromStr;

    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use strum::VariantArray;

    use super::*;

    /// Each variant's text (strum's, used for the database, the logs and `parse`) is its JSON name
    /// (serde's), reads back as itself, and only in that exact spelling.
    fn one_name<T>()
    where
        T: VariantArray + Serialize + DeserializeOwned + Copy + PartialEq + Debug + Into<&'static str> + FromStr,
    {
        for v in T::VARIANTS {
            let text: &'static str = (*v).into();
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::Value::String(text.into()), "{v:?}");
            assert_eq!(text.parse::<T>().ok(), Some(*v), "{text}");
            assert!(text.to_uppercase().parse::<T>().is_err(), "{text} is read in capitals");
            assert!(format!(" {text}").parse::<T>().is_err(), "{text} is read with a space");
        }
    }

    #[test]
    fn every_enum_has_one_name_in_json_in_the_database_and_in_parse() {
        one_name::<AuditAction>();
        one_name::<CallerMethod>();
        one_name::<ReasonCode>();
        one_name::<Role>();
        one_name::<AccountStatus>();
        one_name::<TwoFactorKind>();
        one_name::<EmailStatus>();
        one_name::<ErrorCode>();
        one_name::<MailEventKind>();
        one_name::<RequestState>();
        one_name::<ChangeKind>();
        one_name::<RiskLevel>();
        assert_eq!(AuditAction::ALL.len(), 45);
        assert_eq!(AuditAction::parse("request_second_approve"), Some(AuditAction::RequestSecondApprove));
        assert_eq!(ErrorCode::CallerVerificationRequired.as_str(), "caller_verification_required");
    }
}
