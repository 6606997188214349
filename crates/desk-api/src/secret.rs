use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret that has to cross the wire once (a password, a TOTP code, a session token).
///
/// It is serialisable so that it can be sent, but its `Debug` is redacted and the value is only
/// reachable through `expose()`, so it cannot end up in a log line or a tracing span by accident.
#[derive(Clone)]
pub struct SecretText(SecretString);

impl SecretText {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText([redacted])")
    }
}

impl Serialize for SecretText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

impl ts_rs::TS for SecretText {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name() -> String {
        "string".into()
    }
    fn inline() -> String {
        "string".into()
    }
    fn inline_flattened() -> String {
        panic!("SecretText cannot be flattened")
    }
    fn decl() -> String {
        panic!("SecretText cannot be declared")
    }
    fn decl_concrete() -> String {
        panic!("SecretText cannot be declared")
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for SecretText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for SecretText {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretText::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hunter2\"");
    }
}
