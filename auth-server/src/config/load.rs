//! Reading the configuration: built-in defaults, then the TOML file, then `AUTH_*` environment
//! variables, extracted into [`Config`]. Every section denies unknown fields, so serde refuses a
//! misspelt key; the errors are rewritten here to name the key and what it accepts.

use super::Config;
use anyhow::{Context, bail};
use figment::Figment;
use figment::error::Kind;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::path::Path;

impl Config {
    /// Reads defaults, then the file (if given), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = defaults();
        if let Some(file) = file {
            if !file.is_file() {
                bail!("configuration file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        extract(
            figment.merge(Env::prefixed("AUTH_").split("__").filter(|key| {
                // Keys are still in their environment case here.
                names_a_setting(key.as_str())
            })),
        )
    }
}

/// The built-in defaults, as the first layer: a file or variable that sets one field of a
/// table (`rate_limits.login_per_ip.limit`) keeps the defaults of the others.
pub(super) fn defaults() -> Figment {
    Figment::from(Serialized::defaults(Config::default()))
}

/// The configuration `figment` holds, or every error in it, each naming its key.
pub(super) fn extract(figment: Figment) -> anyhow::Result<Config> {
    figment
        .extract()
        .map_err(|e| anyhow::anyhow!(describe(e)))
        .context("invalid configuration")
}

/// Whether the environment variable `key` (its name after `AUTH_`, sections split by `.`) is
/// under a top-level key of [`Config`]. Others (`AUTH_CONFIG`, variables of other programs)
/// are ignored rather than refused; a wrong key inside a known section is refused.
pub(super) fn names_a_setting(key: &str) -> bool {
    let top = key.split('.').next().unwrap_or_default();
    fields_of::<Config>()
        .iter()
        .any(|known| known.eq_ignore_ascii_case(top))
}

fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            match e.kind {
                // Of a closed set such as `mail.transport`: as the checks in `validate` word it.
                Kind::UnknownVariant(value, accepted) => {
                    format!("{key} must be {}; got `{value}`", one_of(accepted))
                }
                Kind::UnknownField(_, accepted) => {
                    let section = match e.path.len() {
                        0 | 1 => "the top level".to_owned(),
                        n => format!("[{}]", e.path[..n - 1].join(".")),
                    };
                    format!(
                        "`{key}`: unknown field; {section} has {}",
                        one_of_all(accepted)
                    )
                }
                kind if key.is_empty() => kind.to_string(),
                kind => format!("`{key}`: {kind}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "`a`, `b` or `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => "nothing".to_owned(),
    }
}

/// "`a`, `b`, `c`".
fn one_of_all(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

/// The field names of struct `T`, as its derived `Deserialize` passes them to
/// `deserialize_struct`: the keys a section accepts, read from the type rather than kept by hand.
pub(super) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that only records the field names it is asked for, then stops.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("only the field names are read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KeysConfig;

    fn from_toml(toml: &str) -> anyhow::Result<Config> {
        extract(defaults().merge(Toml::string(toml)))
    }

    fn error_of(toml: &str) -> String {
        format!("{:#}", from_toml(toml).unwrap_err())
    }

    #[test]
    fn the_known_keys_are_the_fields() {
        let top = fields_of::<Config>();
        assert!(top.contains(&"database_url") && top.contains(&"metrics"));
        assert_eq!(top.len(), 27);
        assert!(top.contains(&"passkeys"));
        assert!(top.contains(&"i18n"));
        assert!(top.contains(&"device") && top.contains(&"backchannel_logout"));
        assert!(fields_of::<KeysConfig>().contains(&"encryption_key_file"));
    }

    #[test]
    fn environment_variables_outside_the_settings_are_ignored() {
        assert!(names_a_setting("DATABASE_URL"));
        assert!(names_a_setting("KEYS.ENCRYPTION_KEY"));
        assert!(names_a_setting("rate_limits.login_per_ip.limit"));
        assert!(!names_a_setting("CONFIG"));
        assert!(!names_a_setting("SOMETHING_ELSE"));
    }

    #[test]
    fn unknown_keys_are_refused_naming_the_key_and_the_known_ones() {
        let message = error_of("[tokens]\nlifetime = 5");
        assert!(
            message.starts_with("invalid configuration: `tokens.lifetime`: unknown field; [tokens] has `access_token_ttl_secs`, `id_token_ttl_secs`"),
            "{message}"
        );
        let message = error_of("bnid = \"127.0.0.1:9000\"");
        assert!(
            message.contains("`bnid`: unknown field; the top level has `bind`, `issuer`"),
            "{message}"
        );
        let message = error_of("[rate_limits]\nlogin_per_ip = { limit = 3, window = 60 }");
        assert!(
            message.contains(
                "`rate_limits.login_per_ip.window`: unknown field; [rate_limits.login_per_ip] has `limit`, `window_secs`"
            ),
            "{message}"
        );
    }

    #[test]
    fn unknown_values_of_closed_sets_are_refused_naming_the_key_and_the_accepted_ones() {
        for (toml, expected) in [
            (
                "[mail]\ntransport = \"sendmail\"",
                "mail.transport must be `folder` or `smtp`; got `sendmail`",
            ),
            (
                "[mail]\nsmtp_security = \"ssl\"",
                "mail.smtp_security must be `starttls`, `tls` or `none`; got `ssl`",
            ),
            (
                "[registration]\nmode = \"closed\"",
                "registration.mode must be `open`, `token` or `disabled`; got `closed`",
            ),
            (
                "[keys]\nalgorithm = \"HS256\"",
                "keys.algorithm must be `RS256`, `ES256` or `EdDSA`; got `HS256`",
            ),
            (
                "[keys]\nalgorithm = \"es256\"",
                "keys.algorithm must be `RS256`, `ES256` or `EdDSA`; got `es256`",
            ),
            (
                "[log]\nformat = \"xml\"",
                "log.format must be `text` or `json`; got `xml`",
            ),
        ] {
            let message = error_of(toml);
            assert!(message.contains(expected), "{toml}: {message}");
        }
    }

    #[test]
    fn accepted_names_of_closed_sets_read_as_today() {
        let config = from_toml(
            "[mail]\ntransport = \"smtp\"\nsmtp_security = \"tls\"\n\
             [registration]\nmode = \"open\"\n[keys]\nalgorithm = \"EdDSA\"\n[log]\nformat = \"json\"",
        )
        .unwrap();
        assert_eq!(config.mail.transport, crate::config::mail::Transport::Smtp);
        assert_eq!(
            config.mail.smtp_security,
            auth_core::mail::transport::SmtpSecurity::Tls
        );
        assert_eq!(
            config.registration.mode,
            crate::config::registration::Mode::Open
        );
        assert_eq!(
            config.keys.algorithm,
            auth_core::keys::SigningAlgorithm::EdDsa
        );
        assert_eq!(config.log.format, crate::config::log::Format::Json);
    }

    #[test]
    fn a_partial_table_keeps_the_defaults_of_its_other_keys() {
        let config = from_toml("[rate_limits]\nlogin_per_ip = { limit = 3 }").unwrap();
        assert_eq!(config.rate_limits.login_per_ip.limit, 3);
        assert_eq!(
            config.rate_limits.login_per_ip.window_secs,
            Config::default().rate_limits.login_per_ip.window_secs
        );
    }
}
