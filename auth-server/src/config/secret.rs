//! Settings that must never reach a log line or an error message: keys, passwords, tokens, and
//! URLs that may carry a password. Their `Debug` (and a URL's `Display`) hide the secret, so
//! printing the whole configuration with `{:?}` is safe.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret setting: a key, password or token. `Debug` prints `Secret(***)`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value.into())
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.into())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// Writes the secret itself: the configuration is serialized only to hand figment its
/// defaults, and no default is a secret.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

/// A URL that may carry a password (`postgres://app:PASSWORD@db/auth`,
/// `redis://:PASSWORD@cache:6379`). `Debug` and `Display` print it with the password replaced
/// by `***`, so it can go into messages.
#[derive(Clone)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    /// The URL itself, password included, for the connection.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the URL starts with `prefix` (a scheme check that shows nothing).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.expose().starts_with(prefix)
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(self.expose()) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                f.write_str(parsed.as_str())
            }
            Ok(_) => f.write_str(self.expose()),
            // Where a password would sit in text that is no URL is unknown: show none of it.
            Err(_) => f.write_str("(not a URL)"),
        }
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretUrl({self})")
    }
}

impl From<String> for SecretUrl {
    fn from(value: String) -> Self {
        Self(value.into())
    }
}

impl From<&str> for SecretUrl {
    fn from(value: &str) -> Self {
        Self(value.into())
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// Writes the URL itself, password included, as [`Secret`] does.
impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        let url = SecretUrl::from("postgres://app:hunter2@db/auth");
        assert_eq!(url.to_string(), "postgres://app:***@db/auth");
        assert_eq!(format!("{url:?}"), "SecretUrl(postgres://app:***@db/auth)");
        assert_eq!(url.expose(), "postgres://app:hunter2@db/auth");
        assert_eq!(
            SecretUrl::from("sqlite://data/auth.db").to_string(),
            "sqlite://data/auth.db"
        );
        assert!(
            !SecretUrl::from("redis cache:hunter2")
                .to_string()
                .contains("hunter2")
        );
    }

    #[test]
    fn secrets_print_as_stars() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2");
    }
}
