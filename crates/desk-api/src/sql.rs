//! The contract's enums as database values (feature `sqlx`): each is stored as the same text its
//! JSON form uses (serde's `snake_case` names), through `sqlx::Any`, so one SQL text serves SQLite
//! and PostgreSQL. A stored value that is not one of the names is a decode error that says which
//! type it failed to be, never a plausible default.

/// Implements `sqlx::Type`, `Encode` and `Decode` for `sqlx::Any` on enums whose serde form is a
/// plain string. The text mapping is serde's: nothing is written twice by hand.
#[macro_export]
macro_rules! sql_text_enum {
    ($($ty:ty),+ $(,)?) => {$(
        impl ::sqlx::Type<::sqlx::Any> for $ty {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <::std::string::String as ::sqlx::Type<::sqlx::Any>>::type_info()
            }
            fn compatible(ty: &::sqlx::any::AnyTypeInfo) -> bool {
                <::std::string::String as ::sqlx::Type<::sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Any> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> ::std::result::Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                match ::serde_json::to_value(self)? {
                    ::serde_json::Value::String(s) => <::std::string::String as ::sqlx::Encode<'q, ::sqlx::Any>>::encode(s, buf),
                    other => Err(format!("{} is stored as text, but serialises as {other}", stringify!($ty)).into()),
                }
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $ty {
            fn decode(
                value: <::sqlx::Any as ::sqlx::Database>::ValueRef<'r>,
            ) -> ::std::result::Result<Self, ::sqlx::error::BoxDynError> {
                let text = <&str as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value)?;
                ::serde_json::from_value(::serde_json::Value::String(text.to_owned()))
                    .map_err(|_| format!("{text:?} is not a {}", stringify!($ty)).into())
            }
        }
    )+};
}

sql_text_enum!(
    crate::AccountStatus,
    crate::ActivityKind,
    crate::AuditAction,
    crate::CallerMethod,
    crate::ChangeKind,
    crate::DuplicateReason,
    crate::EmailStatus,
    crate::LinkState,
    crate::ReasonCode,
    crate::RequestState,
    crate::RiskLevel,
    crate::Role,
    crate::TwoFactorKind,
);

#[cfg(test)]
mod tests {
    use crate::{AuditAction, RequestState};

    #[test]
    fn stored_text_is_the_name_the_contract_already_uses() {
        for a in AuditAction::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), serde_json::Value::String(a.as_str().into()));
        }
        for s in RequestState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::String(s.as_str().into()));
        }
    }
}
