//! Configuration: a TOML file (optional) overlaid with `AUTH_*` environment variables, checked
//! into typed settings before anything starts. Every bad value is refused with a message naming
//! the setting; nothing panics. `docs/configuration.md` is the reference for every key.
//!
//! Environment variables use `__` between section and key: `AUTH_DATABASE_URL`,
//! `AUTH_KEYS__ENCRYPTION_KEY`, `AUTH_TOKENS__ACCESS_TOKEN_TTL_SECS`.
//!
//! # Layout
//!
//! [`Config`] is what was read: one struct per `[section]`, each in the module of its concern,
//! with its defaults and the check that turns it into part of [`Settings`], what the server
//! runs with. `load` reads the layers and words serde's errors; `secret` holds the types that
//! keep keys, passwords, tokens and URLs with passwords out of `Debug`. Settings of a closed
//! set (`mail.transport`, `mail.smtp_security`, `registration.mode`, `keys.algorithm`,
//! `log.format`) are enums, so serde refuses any other value; every section denies unknown
//! fields, and the known top-level keys are read from the type.

mod backchannel;
mod database;
mod device;
mod dpop;
mod events;
mod fapi;
mod http;
mod i18n;
mod keys;
mod load;
pub mod log;
pub mod mail;
mod metrics;
mod passkeys;
mod rate_limits;
pub mod registration;
mod requests;
mod secret;
mod sms;
mod tokens;
mod ui;
mod upstream;
mod users;

pub use backchannel::BackchannelLogoutConfig;
pub use database::DatabaseConfig;
pub use device::DeviceConfig;
pub use dpop::DpopConfig;
pub use events::{EventSettings, EventsConfig, WebhookConfig};
pub use fapi::FapiConfig;
pub use http::{HttpConfig, HttpLimits};
pub use i18n::I18nConfig;
pub use keys::KeysConfig;
pub use log::LogConfig;
pub use mail::{MailConfig, MailSettings, MailTransportSetting};
pub use metrics::MetricsConfig;
pub use passkeys::PasskeysConfig;
pub use rate_limits::{LimitConfig, RateLimitsConfig};
pub use registration::{RegistrationConfig, RegistrationSetting};
pub use requests::RequestsConfig;
pub use secret::{Secret, SecretUrl};
pub use sms::{SmsConfig, SmsSettings};
pub use tokens::{SessionsConfig, TokensConfig};
pub use ui::UiConfig;
pub use upstream::{RoleMappingConfig, UpstreamConfig, UpstreamKind, UpstreamProviderConfig};
pub use users::{AccountConfig, LoginConfig, UsersConfig};

use crate::extract::TrustedProxies;
use anyhow::{Context, bail};
use auth_core::Issuer;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

/// The whole configuration, as read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// Issuer URL; defaults to `http://` + `bind` when `bind` is a loopback address.
    pub issuer: Option<String>,
    /// `sqlite://path` or `postgres://user:password@host/db`.
    pub database_url: SecretUrl,
    /// Connection pool settings.
    pub database: DatabaseConfig,
    /// Token lifetimes and audience.
    pub tokens: TokensConfig,
    /// Signing keys and the key-encryption key.
    pub keys: KeysConfig,
    /// Browser sessions.
    pub sessions: SessionsConfig,
    /// Accounts and sign-up.
    pub users: UsersConfig,
    /// Login throttling.
    pub login: LoginConfig,
    /// Dynamic client registration.
    pub registration: RegistrationConfig,
    /// How authorization requests must arrive.
    pub requests: RequestsConfig,
    /// DPoP proofs.
    pub dpop: DpopConfig,
    /// The device authorization grant.
    pub device: DeviceConfig,
    /// The FAPI 2.0 Security Profile for every client.
    pub fapi: FapiConfig,
    /// Hosted pages.
    pub ui: UiConfig,
    /// Languages of the hosted pages and mails.
    pub i18n: I18nConfig,
    /// HTTP details.
    pub http: HttpConfig,
    /// Outgoing mail.
    pub mail: MailConfig,
    /// Verification, reset, one-time codes.
    pub account: AccountConfig,
    /// Rate limits of sensitive endpoints.
    pub rate_limits: RateLimitsConfig,
    /// Text messages.
    pub sms: SmsConfig,
    /// User and client events for other services.
    pub events: EventsConfig,
    /// Logout tokens for clients (OIDC Back-Channel Logout).
    pub backchannel_logout: BackchannelLogoutConfig,
    /// Logging.
    pub log: LogConfig,
    /// Who may read `/metrics`.
    pub metrics: MetricsConfig,
    /// Passkeys (WebAuthn).
    pub passkeys: PasskeysConfig,
    /// Upstream identity providers users may sign in with.
    pub upstream: UpstreamConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            issuer: None,
            database_url: "sqlite://data/auth.db".into(),
            database: DatabaseConfig::default(),
            tokens: TokensConfig::default(),
            keys: KeysConfig::default(),
            sessions: SessionsConfig::default(),
            users: UsersConfig::default(),
            login: LoginConfig::default(),
            registration: RegistrationConfig::default(),
            requests: RequestsConfig::default(),
            dpop: DpopConfig::default(),
            device: DeviceConfig::default(),
            fapi: FapiConfig::default(),
            ui: UiConfig::default(),
            i18n: I18nConfig::default(),
            http: HttpConfig::default(),
            mail: MailConfig::default(),
            account: AccountConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            sms: SmsConfig::default(),
            events: EventsConfig::default(),
            backchannel_logout: BackchannelLogoutConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
            passkeys: PasskeysConfig::default(),
            upstream: UpstreamConfig::default(),
        }
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub bind: SocketAddr,
    /// The provider's settings.
    pub core: auth_core::Settings,
    /// How often to re-read the keys.
    pub key_refresh_interval: Duration,
    /// Whether the sign-up page is offered.
    pub signup_enabled: bool,
    /// Dynamic registration.
    pub registration: RegistrationSetting,
    /// Scopes of dynamically registered clients.
    pub registration_scope: auth_core::scope::Scope,
    /// Name on the hosted pages.
    pub product_name: String,
    /// Replacement stylesheet, read at start-up.
    pub stylesheet: Option<String>,
    /// The messages of the pages and mails in every language.
    pub i18n: std::sync::Arc<crate::i18n::Catalog>,
    /// Proxies trusted to name the client address.
    pub proxies: TrustedProxies,
    /// Request size and time limits.
    pub http: HttpLimits,
    /// Outgoing mail.
    pub mail: MailSettings,
    /// Redis for rate-limit counters, and the key prefix.
    pub redis_url: Option<(SecretUrl, String)>,
    /// The SMS webhook.
    pub sms: Option<SmsSettings>,
    /// Events.
    pub events: EventSettings,
    /// How often the back-channel logout outbox is polled.
    pub backchannel_poll_interval: Duration,
    /// How long a client has to answer a logout token.
    pub backchannel_timeout: Duration,
    /// The bearer token that may read `/metrics`.
    pub metrics_token: Option<Secret>,
    /// The relying party name when passkeys are on.
    pub passkeys_rp_name: Option<String>,
    /// Upstream identity providers.
    pub upstream: Vec<auth_core::upstream::ProviderConfig>,
}

impl Config {
    /// Checks every value and derives the typed settings.
    pub fn validate(&self) -> anyhow::Result<Settings> {
        let bind: SocketAddr = self.bind.parse().with_context(|| {
            format!(
                "bind `{}` is not an address:port such as 127.0.0.1:8080",
                self.bind
            )
        })?;
        let issuer_text = match &self.issuer {
            Some(issuer) => issuer.clone(),
            None if bind.ip().is_loopback() => format!("http://{bind}"),
            None => bail!("issuer must be set when bind `{bind}` is not a loopback address"),
        };
        let issuer = Issuer::parse(&issuer_text).context("issuer is invalid")?;
        let issuer_is_https = issuer.is_https();
        self.database.check(&self.database_url)?;
        self.tokens.check()?;
        let keys = self.keys.policy(self.tokens.longest_signed())?;
        let mut core = auth_core::Settings::new(issuer, keys);
        self.tokens.apply(&mut core);
        core.session_ttl = self.sessions.ttl()?;
        core.login = self.login.policy()?;
        core.users = self.users.policy()?;
        let (registration, registration_scope) = self.registration.settings()?;
        let stylesheet = self.ui.read_stylesheet()?;
        let i18n = self.i18n.catalog()?;
        let proxies = self.http.trusted_proxies()?;
        let mail = self.mail.settings()?;
        core.account = self.account.policy()?;
        core.limits = self.rate_limits.limits()?;
        core.counter_cache_ttl = Duration::from_secs(self.database.cache_secs);
        core.requests = self.requests.policy()?;
        core.dpop = self.dpop.policy();
        core.device = self.device.policy()?;
        core.fapi = self.fapi.enabled(self.keys.algorithm)?;
        Ok(Settings {
            bind,
            core,
            key_refresh_interval: Duration::from_secs(self.keys.refresh_interval_secs),
            signup_enabled: self.users.signup_enabled,
            registration,
            registration_scope,
            product_name: self.ui.product_name.clone(),
            stylesheet,
            i18n,
            proxies,
            http: self.http.checked_limits()?,
            mail,
            redis_url: self.rate_limits.redis()?,
            sms: self.sms.settings()?,
            events: self.events.settings()?,
            backchannel_poll_interval: self.backchannel_logout.poll_interval()?,
            backchannel_timeout: self.backchannel_logout.timeout()?,
            metrics_token: self.metrics.checked_token()?,
            passkeys_rp_name: self.passkeys.rp_name(&self.ui.product_name)?,
            upstream: self
                .upstream
                .providers(self.users.signup_enabled, !issuer_is_https)?,
        })
    }
}

/// Checks that `value` of the setting `name` is between 1 and `max`.
fn in_range(name: &str, value: u64, max: u64) -> anyhow::Result<()> {
    if value == 0 || value > max {
        bail!("{name} must be between 1 and {max}; got {value}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::keys::SigningAlgorithm;

    #[test]
    fn defaults_are_valid_and_derive_a_loopback_issuer() {
        let settings = Config::default().validate().unwrap();
        assert_eq!(settings.core.issuer.as_str(), "http://127.0.0.1:8080");
        assert_eq!(settings.core.audience, "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_name_the_setting() {
        type Change = fn(&mut Config);
        let cases: [(Change, &str); 6] = [
            (|c| c.bind = "nowhere".into(), "bind `nowhere`"),
            (|c| c.issuer = Some("ftp://x".into()), "issuer is invalid"),
            (|c| c.database_url = "mysql://x".into(), "database_url"),
            (
                |c| c.tokens.access_token_ttl_secs = 0,
                "access_token_ttl_secs",
            ),
            (|c| c.keys.rsa_bits = 1024, "rsa_bits"),
            (
                |c| c.registration.mode = registration::Mode::Token,
                "registration.mode = \"token\" needs registration.initial_access_token",
            ),
        ];
        for (change, expected) in cases {
            let mut config = Config::default();
            change(&mut config);
            let err = format!("{:#}", config.validate().unwrap_err());
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }

    #[test]
    fn every_signing_algorithm_is_accepted_and_rsa_bits_only_matter_for_rs256() {
        for algorithm in SigningAlgorithm::ALL {
            let mut config = Config::default();
            config.keys.algorithm = algorithm;
            let settings = config.validate().unwrap();
            assert_eq!(settings.core.keys.algorithm, algorithm);
        }
        let mut config = Config::default();
        config.keys.algorithm = SigningAlgorithm::Es256;
        config.keys.rsa_bits = 1024;
        assert!(config.validate().is_ok());
    }

    #[test]
    fn debug_of_the_whole_configuration_shows_no_secret() {
        let mut config = Config {
            database_url: "postgres://app:db-password-1@db/auth".into(),
            ..Config::default()
        };
        config.keys.encryption_key = Some("kek-secret-2".into());
        config.mail.transport = mail::Transport::Smtp;
        config.mail.smtp_username = Some("mailer".into());
        config.mail.smtp_password = Some("smtp-password-3".into());
        config.sms.webhook_url = Some("https://sms.example.com/send".into());
        config.sms.webhook_secret = Some("sms-webhook-secret-4".into());
        config.registration.mode = registration::Mode::Token;
        config.registration.initial_access_token = Some("initial-access-token-5".into());
        config.rate_limits.redis_url = Some("redis://:redis-password-6@cache:6379".into());
        config.metrics.token = Some("metrics-token-7-of-at-least-32-characters".into());
        config.events.webhooks = vec![WebhookConfig {
            url: "https://hooks.example.com/auth".into(),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
        }];
        config.events.nats_url = Some("nats://user:nats-password-8@nats:4222".into());
        let secrets = [
            "db-password-1",
            "kek-secret-2",
            "smtp-password-3",
            "sms-webhook-secret-4",
            "initial-access-token-5",
            "redis-password-6",
            "metrics-token-7",
            "MfKQ9r8",
            "nats-password-8",
        ];
        let settings = config.validate().unwrap();
        for printed in [format!("{config:?}"), format!("{settings:?}")] {
            for secret in secrets {
                assert!(!printed.contains(secret), "{secret} in {printed}");
            }
        }
        let printed = format!("{config:?}");
        assert!(printed.contains("postgres://app:***@db/auth"), "{printed}");
        assert!(printed.contains("mailer"), "{printed}");
    }
}
