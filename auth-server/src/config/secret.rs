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
        deserializer.deserialize_any(AnyScalar).map(Self::from)
    }
}

/// Reads a secret setting as text whatever scalar it was written as: an environment variable
/// of digits reaches serde as a number, and a type error would print the secret.
struct AnyScalar;

impl serde::de::Visitor<'_> for AnyScalar {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_i128<E: serde::de::Error>(self, value: i128) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_u128<E: serde::de::Error>(self, value: u128) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_char<E: serde::de::Error>(self, value: char) -> Result<String, E> {
        Ok(value.to_string())
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
    /// Works on the text, not on a parsed URL: a password holding `/`, `?` or `#` makes a URL
    /// parser read it as a path or a query, which would then be printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.expose();
        let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
            // `sqlite:auth.db` has no authority, so no password. In any other text a password
            // could sit anywhere: show none of it.
            return match text.starts_with("sqlite:") && !text.contains('@') {
                true => f.write_str(text),
                false => f.write_str("(not a URL)"),
            };
        };
        let (scheme, rest) = text.split_at(scheme_end);
        f.write_str(scheme)?;
        // Everything up to the last `@` is user information: a password may hold any character.
        let rest = match rest.rfind('@') {
            Some(at) => {
                let (user_info, host) = rest.split_at(at);
                match user_info.split_once(':') {
                    Some((user, _)) => write!(f, "{user}:***")?,
                    None => f.write_str(user_info)?,
                }
                host
            }
            None => rest,
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        f.write_str(path)?;
        if let Some(query) = query {
            // sqlx and redis take credentials in the query too (`?password=...`).
            f.write_str("?")?;
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    f.write_str("&")?;
                }
                match pair.split_once('=') {
                    Some((key, _)) if is_secret_parameter(key) => write!(f, "{key}=***")?,
                    _ => f.write_str(pair)?,
                }
            }
        }
        Ok(())
    }
}

/// Query parameters that carry credentials.
fn is_secret_parameter(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "secret", "token", "key", "auth"]
        .iter()
        .any(|word| key.contains(word))
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
        deserializer.deserialize_any(AnyScalar).map(Self::from)
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
    fn a_password_a_url_parser_would_misread_is_redacted_too() {
        for (url, shown) in [
            (
                "postgres://app:/k3J?x#y@db/auth",
                "postgres://app:***@db/auth",
            ),
            (
                "postgres://app:12/34@db:5432/auth",
                "postgres://app:***@db:5432/auth",
            ),
            ("redis://:p@ss@cache:6379", "redis://:***@cache:6379"),
            (
                "postgres://app@db/auth?sslmode=require&password=hunter2",
                "postgres://app@db/auth?sslmode=require&password=***",
            ),
            ("nats://nats:4222", "nats://nats:4222"),
            ("sqlite:auth.db?mode=rwc", "sqlite:auth.db?mode=rwc"),
        ] {
            assert_eq!(SecretUrl::from(url).to_string(), shown, "{url}");
        }
    }

    #[test]
    fn a_secret_written_as_a_number_is_read_as_text_not_refused_with_its_value() {
        #[derive(Debug, serde::Deserialize)]
        struct Section {
            password: Secret,
        }
        let read: Section = serde_json::from_str(r#"{"password": 84739201}"#).unwrap();
        assert_eq!(read.password.expose(), "84739201");
        let read: Section = serde_json::from_str(r#"{"password": true}"#).unwrap();
        assert_eq!(read.password.expose(), "true");
    }

    #[test]
    fn secrets_print_as_stars() {
        let secret = Secret::from("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2");
    }
}
