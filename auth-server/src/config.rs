//! Configuration: a TOML file (optional) overlaid with `AUTH_*` environment variables, checked
//! into typed settings before anything starts. Every bad value is refused with a message naming
//! the setting; nothing panics. `docs/configuration.md` is the reference for every key.
//!
//! Environment variables use `__` between section and key: `AUTH_DATABASE_URL`,
//! `AUTH_KEYS__ENCRYPTION_KEY`, `AUTH_TOKENS__ACCESS_TOKEN_TTL_SECS`.

use crate::extract::{Cidr, ProxyHeader, TrustedProxies};
use anyhow::{Context, bail};
use auth_core::Issuer;
use auth_core::events::nats::valid_subject_prefix;
use auth_core::events::webhook::Webhook;
use auth_core::events::{Destination, WebhookSecret};
use auth_core::keys::{KeyPolicy, SigningAlgorithm};
use auth_core::mail::transport::{SmtpSecurity, SmtpSettings};
use auth_core::provider::{AccountPolicy, LoginPolicy, UserPolicy};
use auth_core::roles::RoleName;
use auth_core::throttle::{Limit, ThrottlePolicy};
use auth_core::users::password::PasswordPolicy;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole configuration, as read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub bind: String,
    /// Issuer URL; defaults to `http://` + `bind` when `bind` is a loopback address.
    pub issuer: Option<String>,
    /// `sqlite://path` or `postgres://user@host/db`.
    pub database_url: String,
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
    /// Hosted pages.
    pub ui: UiConfig,
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
    /// Logging.
    pub log: LogConfig,
    /// Who may read `/metrics`.
    pub metrics: MetricsConfig,
}

/// `[metrics]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// A bearer token (at least 32 characters) that may read `/metrics`, for the scraper.
    /// Unset: only access tokens with the `metrics` or `admin` scope may.
    pub token: Option<String>,
}

/// `[mail]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Sender address, e.g. `Example <no-reply@example.com>`.
    pub from: String,
    /// `folder` (write `.eml` files) or `smtp`.
    pub transport: String,
    /// Folder of the `folder` transport.
    pub folder: PathBuf,
    /// SMTP host.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// `starttls`, `tls` or `none`.
    pub smtp_security: String,
    /// SMTP user name.
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<String>,
    /// Seconds between outbox polls (retries and mail queued by other replicas).
    pub poll_interval_secs: u64,
}

/// `[account]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// Users must verify their address before they may log in.
    pub require_verified_email: bool,
    /// Users without an authenticator app get an e-mailed code at login.
    pub email_code_second_factor: bool,
    /// Minutes a verification link works.
    pub verification_link_ttl_minutes: u64,
    /// Minutes a password reset link works.
    pub reset_link_ttl_minutes: u64,
    /// Minutes a one-time code works.
    pub one_time_code_ttl_minutes: u64,
    /// Wrong tries per one-time code.
    pub one_time_code_attempts: i64,
}

/// A limit: `limit` events per `window_secs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitConfig {
    /// Events per window.
    pub limit: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

/// `[rate_limits]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitsConfig {
    /// Keep counters in Redis (`redis://host:6379`) instead of the database.
    pub redis_url: Option<String>,
    /// Prefix of the Redis keys, so deployments can share one Redis.
    pub redis_prefix: String,
    /// Sign-ups per client network (an IPv4 address or an IPv6 /64, as every `_per_ip`).
    pub signup_per_ip: LimitConfig,
    /// Sign-ups per e-mail address signed up with (each sends that address a mail).
    pub signup_per_address: LimitConfig,
    /// Dynamic client registrations per client network.
    pub client_registration_per_ip: LimitConfig,
    /// Dynamic client registrations from everyone together.
    pub client_registrations_total: LimitConfig,
    /// Forgot-password requests per client network.
    pub forgot_password_per_ip: LimitConfig,
    /// Reset mails per account (silently dropped beyond).
    pub forgot_password_per_account: LimitConfig,
    /// Verification mails per account (silently dropped beyond).
    pub verification_per_account: LimitConfig,
    /// Requests for a new verification mail per client network.
    pub verification_per_ip: LimitConfig,
    /// One-time codes sent per account.
    pub otp_send_per_account: LimitConfig,
    /// One-time codes sent per client network.
    pub otp_send_per_ip: LimitConfig,
    /// Second-factor and one-time code attempts per client network (every attempt counts).
    pub otp_verify_per_ip: LimitConfig,
    /// Wrong second factors (TOTP, recovery and one-time codes) per account, from anywhere; a
    /// correct password does not reset it.
    pub second_factor_failures_per_account: LimitConfig,
    /// Failed client authentications at the token endpoint per client (and client network).
    pub token_failures_per_client: LimitConfig,
    /// Failed client authentications at the token endpoint per client network.
    pub token_failures_per_ip: LimitConfig,
    /// Login form posts per client network.
    pub login_per_ip: LimitConfig,
    /// Login form posts per account (the e-mail address typed).
    pub login_per_account: LimitConfig,
    /// Authorization requests stored (while the user signs in) per client network.
    pub pending_authorizations_per_ip: LimitConfig,
    /// Authorization requests stored from everyone together.
    pub pending_authorizations_total: LimitConfig,
}

/// `[sms]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// HTTPS endpoint that receives `{"to", "text"}` and forwards to an SMS provider.
    pub webhook_url: Option<String>,
    /// Secret for the `X-Signature` HMAC of each post.
    pub webhook_secret: Option<String>,
}

/// `[events]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Endpoints that receive every event (Standard Webhooks).
    pub webhooks: Vec<WebhookConfig>,
    /// `nats://host:4222`: also publish every event to NATS.
    pub nats_url: Option<String>,
    /// Events go to `<prefix>.<type>`.
    pub nats_subject_prefix: String,
    /// Seconds between outbox polls (new events and retries).
    pub poll_interval_secs: u64,
}

/// One entry of `events.webhooks`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// HTTPS endpoint (http only on loopback).
    pub url: String,
    /// `whsec_<base64 of 24 to 64 bytes>`.
    pub secret: String,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            webhooks: Vec::new(),
            nats_url: None,
            nats_subject_prefix: "auth.events".into(),
            poll_interval_secs: 5,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "Account <no-reply@localhost>".into(),
            transport: "folder".into(),
            folder: PathBuf::from("data/mail"),
            smtp_host: "localhost".into(),
            smtp_port: 587,
            smtp_security: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
            poll_interval_secs: 5,
        }
    }
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            require_verified_email: true,
            email_code_second_factor: false,
            verification_link_ttl_minutes: 24 * 60,
            reset_link_ttl_minutes: 30,
            one_time_code_ttl_minutes: 10,
            one_time_code_attempts: 5,
        }
    }
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        let d = auth_core::provider::RateLimits::default();
        let c = |p: &ThrottlePolicy| LimitConfig {
            limit: p.limit,
            window_secs: p.window.as_secs(),
        };
        Self {
            redis_url: None,
            redis_prefix: "auth".into(),
            signup_per_ip: c(&d.sign_up.per_network),
            signup_per_address: c(&d.sign_up.per_account),
            client_registration_per_ip: c(&d.client_registration.per_network),
            client_registrations_total: c(&d.client_registration.per_account),
            forgot_password_per_ip: c(&d.password_reset.per_network),
            forgot_password_per_account: c(&d.password_reset.per_account),
            verification_per_account: c(&d.verification.per_account),
            verification_per_ip: c(&d.verification.per_network),
            otp_send_per_account: c(&d.codes_sent.per_account),
            otp_send_per_ip: c(&d.codes_sent.per_network),
            otp_verify_per_ip: c(&d.second_factor.per_network),
            second_factor_failures_per_account: c(&d.second_factor.per_account),
            token_failures_per_client: c(&d.client_authentication.per_account),
            token_failures_per_ip: c(&d.client_authentication.per_network),
            login_per_ip: c(&d.login_posts.per_network),
            login_per_account: c(&d.login_posts.per_account),
            pending_authorizations_per_ip: c(&d.pending_authorizations.per_network),
            pending_authorizations_total: c(&d.pending_authorizations.per_account),
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Most connections per replica.
    pub max_connections: u32,
    /// Seconds to wait for the database when connecting.
    pub connect_timeout_secs: u64,
    /// Seconds a replica keeps clients and revoked access tokens in memory before reading them
    /// again (what other replicas changed is seen after at most this long); 0 turns it off.
    pub cache_secs: u64,
}

/// `[tokens]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    /// Access token lifetime in seconds.
    pub access_token_ttl_secs: u64,
    /// ID token lifetime in seconds.
    pub id_token_ttl_secs: u64,
    /// Refresh token lifetime in seconds (renewed by each rotation).
    pub refresh_token_ttl_secs: u64,
    /// Seconds a rotated refresh token may be presented again without revoking its family.
    pub refresh_reuse_grace_secs: u64,
    /// Absolute lifetime in seconds of a grant's refresh tokens, from the authorization;
    /// rotation does not extend it.
    pub refresh_family_lifetime_secs: u64,
    /// Authorization code lifetime in seconds (1 to 60).
    pub authorization_code_ttl_secs: u64,
    /// `aud` of access tokens; defaults to the issuer.
    pub audience: Option<String>,
}

/// `[sessions]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// Lifetime of a browser session in seconds.
    pub ttl_secs: u64,
}

/// `[users]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsersConfig {
    /// Whether the sign-up page is offered.
    pub signup_enabled: bool,
    /// Roles a user may choose at sign-up; `admin` is refused here.
    pub signup_roles: Vec<String>,
    /// Roles every self-registered user gets.
    pub default_roles: Vec<String>,
    /// Fewest characters in a password.
    pub password_min_length: usize,
    /// Refuse the most common passwords.
    pub refuse_common_passwords: bool,
}

/// `[login]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failed logins allowed per account from one client address per window; past it that
    /// address cannot sign in to that account until the window ends.
    pub max_failures_per_account_and_ip: u32,
    /// Failed logins allowed per account from all addresses per window; past it nobody can
    /// sign in to that account until the window ends.
    pub max_failures_per_account: u32,
    /// Failed logins allowed per client address per window.
    pub max_failures_per_ip: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

/// `[registration]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// `open`, `token` (an initial access token is required) or `disabled`.
    pub mode: String,
    /// The initial access token for `mode = "token"`.
    pub initial_access_token: Option<String>,
    /// Scopes dynamically registered clients may use.
    pub allowed_scopes: String,
}

/// `[ui]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Name shown in page titles and headings.
    pub product_name: String,
    /// A CSS file served instead of the built-in stylesheet.
    pub stylesheet: Option<PathBuf>,
}

/// `[http]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Networks of the reverse proxies in front of the server (`10.0.0.0/8`, `::1`): only a
    /// request from one of them may name the client's address, in `client_ip_header`. Empty:
    /// the TCP peer address is the client's, and no header is read.
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies add the client address to: `x-forwarded-for` (the
    /// default; any header of comma-separated addresses) or `forwarded` (RFC 7239). The client
    /// is the rightmost entry, across every line of it, not in `trusted_proxies`.
    pub client_ip_header: Option<String>,
    /// Largest request body in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers) in bytes (431 beyond).
    pub max_header_bytes: usize,
    /// Seconds a connection may take to send a complete request head, counted from when it
    /// opens or from the end of the previous response (so also the keep-alive idle limit).
    pub header_read_timeout_secs: u64,
    /// Seconds a request may take to send its whole body (408 beyond).
    pub body_read_timeout_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            client_ip_header: None,
            max_body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
        }
    }
}

/// Limits on what one connection or request may cost, from `[http]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest request head.
    pub max_header_bytes: usize,
    /// Time to a complete request head (also the keep-alive idle limit).
    pub header_read_timeout: Duration,
    /// Time to a complete request body.
    pub body_read_timeout: Duration,
}

impl HttpConfig {
    fn limits(&self) -> HttpLimits {
        HttpLimits {
            max_body_bytes: self.max_body_bytes,
            max_header_bytes: self.max_header_bytes,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
        }
    }

    /// `trusted_proxies` and `client_ip_header`, checked.
    fn trusted_proxies(&self) -> anyhow::Result<TrustedProxies> {
        let networks = self
            .trusted_proxies
            .iter()
            .map(|n| Cidr::parse(n).map_err(|e| anyhow::anyhow!("http.trusted_proxies: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let header = match self
            .client_ip_header
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            Some(_) if networks.is_empty() => bail!(
                "http.client_ip_header is set but http.trusted_proxies is empty: list the \
                 networks of your proxies (e.g. trusted_proxies = [\"10.0.0.0/8\"]); only their \
                 requests may name the client address, since any client can send the header"
            ),
            Some(name) if name == "forwarded" => ProxyHeader::Forwarded,
            Some(name) => ProxyHeader::List(
                axum::http::HeaderName::try_from(name.as_str()).with_context(|| {
                    format!("http.client_ip_header `{name}` is not a header name")
                })?,
            ),
            None => ProxyHeader::List(axum::http::HeaderName::from_static("x-forwarded-for")),
        };
        Ok(TrustedProxies::new(header, networks))
    }

    /// The limits, each checked against its range.
    fn checked_limits(&self) -> anyhow::Result<HttpLimits> {
        if !(1024..=16 * 1024 * 1024).contains(&self.max_body_bytes) {
            bail!(
                "http.max_body_bytes must be between 1024 and 16777216; got {}",
                self.max_body_bytes
            );
        }
        // hyper's read buffer cannot be smaller than 8 KiB; 1 MiB is far beyond any browser.
        if !(8 * 1024..=1024 * 1024).contains(&self.max_header_bytes) {
            bail!(
                "http.max_header_bytes must be between 8192 and 1048576; got {}",
                self.max_header_bytes
            );
        }
        for (name, value) in [
            (
                "http.header_read_timeout_secs",
                self.header_read_timeout_secs,
            ),
            ("http.body_read_timeout_secs", self.body_read_timeout_secs),
        ] {
            if value == 0 || value > 600 {
                bail!("{name} must be between 1 and 600; got {value}");
            }
        }
        Ok(self.limits())
    }
}

/// `[keys]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// The key-encryption key: 32 bytes in standard base64.
    pub encryption_key: Option<String>,
    /// A file holding the key-encryption key, used when `encryption_key` is not set. Created on
    /// first start when the database holds no keys yet.
    pub encryption_key_file: PathBuf,
    /// Signing algorithm of new keys: `RS256`, `ES256` or `EdDSA`. Stored keys keep theirs;
    /// a change takes effect with the next rotation.
    pub algorithm: String,
    /// RSA modulus size of new RS256 keys (ignored for the other algorithms).
    pub rsa_bits: u32,
    /// Seconds a new key is published before it signs.
    pub publish_delay_secs: u64,
    /// Seconds between re-reads of the key set (to follow rotations made by other replicas).
    pub refresh_interval_secs: u64,
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter such as `info` or `auth_server=debug,info`.
    pub filter: String,
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
            ui: UiConfig::default(),
            http: HttpConfig::default(),
            mail: MailConfig::default(),
            account: AccountConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            sms: SmsConfig::default(),
            events: EventsConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            ttl_secs: 12 * 3600,
        }
    }
}

impl Default for UsersConfig {
    fn default() -> Self {
        Self {
            signup_enabled: true,
            signup_roles: Vec::new(),
            default_roles: Vec::new(),
            password_min_length: 10,
            refuse_common_passwords: true,
        }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            max_failures_per_account_and_ip: 5,
            max_failures_per_account: 20,
            max_failures_per_ip: 50,
            window_secs: 900,
        }
    }
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            // Closed unless the operator opens it: open registration lets anyone put a name
            // of their choosing on the consent page.
            mode: "disabled".into(),
            initial_access_token: None,
            allowed_scopes: "openid profile email offline_access".into(),
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            product_name: "Account".into(),
            stylesheet: None,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout_secs: 5,
            cache_secs: 1,
        }
    }
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 600,
            id_token_ttl_secs: 600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            refresh_reuse_grace_secs: 0,
            refresh_family_lifetime_secs: 90 * 24 * 3600,
            authorization_code_ttl_secs: 60,
            audience: None,
        }
    }
}

impl Default for KeysConfig {
    fn default() -> Self {
        Self {
            encryption_key: None,
            encryption_key_file: PathBuf::from("data/kek.key"),
            algorithm: "RS256".into(),
            rsa_bits: 2048,
            publish_delay_secs: 300,
            refresh_interval_secs: 60,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

/// Top-level keys and sections, so unrelated `AUTH_*` variables in the environment are ignored
/// rather than refused.
const KNOWN_KEYS: &[&str] = &[
    "bind",
    "issuer",
    "database_url",
    "database",
    "tokens",
    "keys",
    "sessions",
    "users",
    "login",
    "registration",
    "ui",
    "http",
    "mail",
    "account",
    "rate_limits",
    "sms",
    "events",
    "log",
    "metrics",
];

impl Config {
    /// Reads defaults, then the file (if given), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                bail!("configuration file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("AUTH_").split("__").filter(|key| {
            // Keys are still in their environment case here.
            let top = key.as_str().split('.').next().unwrap_or_default();
            KNOWN_KEYS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(top))
        }));
        figment
            .extract()
            .map_err(|e| anyhow::anyhow!(describe_figment_error(e)))
            .context("invalid configuration")
    }

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
        auth_core::store::sql::Backend::of_url(&self.database_url).map_err(|_| {
            anyhow::anyhow!("database_url must start with `sqlite://` or `postgres://`")
        })?;
        if self.database.cache_secs > 60 {
            bail!(
                "database.cache_secs is {}: at most 60, since a revocation made at another replica is only seen here after that long",
                self.database.cache_secs
            );
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections must be at least 1");
        }
        if self.tokens.access_token_ttl_secs == 0 || self.tokens.access_token_ttl_secs > 86_400 {
            bail!(
                "tokens.access_token_ttl_secs must be between 1 and 86400; got {}",
                self.tokens.access_token_ttl_secs
            );
        }
        let algorithm = SigningAlgorithm::parse(&self.keys.algorithm).with_context(|| {
            let supported: Vec<&str> = SigningAlgorithm::ALL.iter().map(|a| a.as_str()).collect();
            format!(
                "keys.algorithm `{}` is not supported; use one of {} (names are case-sensitive)",
                self.keys.algorithm,
                supported.join(", ")
            )
        })?;
        if algorithm == SigningAlgorithm::Rs256 && !matches!(self.keys.rsa_bits, 2048 | 3072 | 4096)
        {
            bail!(
                "keys.rsa_bits must be 2048, 3072 or 4096; got {}",
                self.keys.rsa_bits
            );
        }
        if self.keys.refresh_interval_secs == 0 {
            bail!("keys.refresh_interval_secs must be at least 1");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            bail!(
                "log.format must be `text` or `json`; got `{}`",
                self.log.format
            );
        }
        for (name, value, max) in [
            (
                "tokens.id_token_ttl_secs",
                self.tokens.id_token_ttl_secs,
                86_400,
            ),
            (
                "tokens.refresh_token_ttl_secs",
                self.tokens.refresh_token_ttl_secs,
                366 * 86_400,
            ),
            (
                "tokens.refresh_family_lifetime_secs",
                self.tokens.refresh_family_lifetime_secs,
                3 * 366 * 86_400,
            ),
            (
                "tokens.authorization_code_ttl_secs",
                self.tokens.authorization_code_ttl_secs,
                60,
            ),
            ("sessions.ttl_secs", self.sessions.ttl_secs, 366 * 86_400),
            ("login.window_secs", self.login.window_secs, 86_400),
        ] {
            if value == 0 || value > max {
                bail!("{name} must be between 1 and {max}; got {value}");
            }
        }
        if self.login.max_failures_per_account_and_ip == 0
            || self.login.max_failures_per_account == 0
            || self.login.max_failures_per_ip == 0
        {
            bail!(
                "login.max_failures_per_account_and_ip, login.max_failures_per_account and login.max_failures_per_ip must be at least 1"
            );
        }
        if self.users.password_min_length < 8 {
            bail!(
                "users.password_min_length must be at least 8; got {}",
                self.users.password_min_length
            );
        }
        let roles = |list: &[String], name: &str| -> anyhow::Result<Vec<RoleName>> {
            list.iter()
                .map(|r| {
                    RoleName::parse(r).with_context(|| format!("{name} holds an invalid role"))
                })
                .collect()
        };
        let signup_roles = roles(&self.users.signup_roles, "users.signup_roles")?;
        let default_roles = roles(&self.users.default_roles, "users.default_roles")?;
        if signup_roles
            .iter()
            .chain(&default_roles)
            .any(|r| r.as_str() == auth_core::roles::ADMIN)
        {
            bail!(
                "users.signup_roles and users.default_roles must not contain `admin`: nobody may make themselves an administrator"
            );
        }
        let allowed_scope = auth_core::scope::Scope::parse(self.registration.allowed_scopes.trim())
            .context("registration.allowed_scopes is invalid")?;
        let registration_mode = match (
            self.registration.mode.as_str(),
            &self.registration.initial_access_token,
        ) {
            ("open", _) => RegistrationSetting::Open,
            ("disabled", _) => RegistrationSetting::Disabled,
            ("token", Some(token)) if token.len() >= 20 => {
                RegistrationSetting::Token(token.clone())
            }
            ("token", _) => bail!(
                "registration.mode = \"token\" needs registration.initial_access_token of at least 20 characters"
            ),
            (other, _) => {
                bail!("registration.mode must be `open`, `token` or `disabled`; got `{other}`")
            }
        };
        let stylesheet = match &self.ui.stylesheet {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("ui.stylesheet {} cannot be read", path.display()))?,
            ),
            None => None,
        };
        let proxies = self.http.trusted_proxies()?;
        let mail = self.mail_settings()?;
        for (name, value) in [
            (
                "account.verification_link_ttl_minutes",
                self.account.verification_link_ttl_minutes,
            ),
            (
                "account.reset_link_ttl_minutes",
                self.account.reset_link_ttl_minutes,
            ),
            (
                "account.one_time_code_ttl_minutes",
                self.account.one_time_code_ttl_minutes,
            ),
        ] {
            if value == 0 || value > 7 * 24 * 60 {
                bail!("{name} must be between 1 and 10080; got {value}");
            }
        }
        if !(1..=20).contains(&self.account.one_time_code_attempts) {
            bail!("account.one_time_code_attempts must be between 1 and 20");
        }
        let limit = |name: &str, l: &LimitConfig| -> anyhow::Result<ThrottlePolicy> {
            if l.limit == 0 || l.window_secs == 0 {
                bail!("rate_limits.{name} needs limit and window_secs of at least 1");
            }
            // Counters older than a day are purged, so no window may be longer.
            if l.window_secs > 86_400 {
                bail!(
                    "rate_limits.{name}.window_secs must be at most 86400 (one day); got {}",
                    l.window_secs
                );
            }
            Ok(ThrottlePolicy {
                limit: l.limit,
                window: Duration::from_secs(l.window_secs),
            })
        };
        let r = &self.rate_limits;
        let pair = |per_account: (&str, &LimitConfig),
                    per_network: (&str, &LimitConfig)|
         -> anyhow::Result<Limit> {
            Ok(Limit {
                per_account: limit(per_account.0, per_account.1)?,
                per_network: limit(per_network.0, per_network.1)?,
            })
        };
        let limits = auth_core::provider::RateLimits {
            login_posts: pair(
                ("login_per_account", &r.login_per_account),
                ("login_per_ip", &r.login_per_ip),
            )?,
            second_factor: pair(
                (
                    "second_factor_failures_per_account",
                    &r.second_factor_failures_per_account,
                ),
                ("otp_verify_per_ip", &r.otp_verify_per_ip),
            )?,
            codes_sent: pair(
                ("otp_send_per_account", &r.otp_send_per_account),
                ("otp_send_per_ip", &r.otp_send_per_ip),
            )?,
            password_reset: pair(
                (
                    "forgot_password_per_account",
                    &r.forgot_password_per_account,
                ),
                ("forgot_password_per_ip", &r.forgot_password_per_ip),
            )?,
            verification: pair(
                ("verification_per_account", &r.verification_per_account),
                ("verification_per_ip", &r.verification_per_ip),
            )?,
            sign_up: pair(
                ("signup_per_address", &r.signup_per_address),
                ("signup_per_ip", &r.signup_per_ip),
            )?,
            client_registration: pair(
                ("client_registrations_total", &r.client_registrations_total),
                ("client_registration_per_ip", &r.client_registration_per_ip),
            )?,
            pending_authorizations: pair(
                (
                    "pending_authorizations_total",
                    &r.pending_authorizations_total,
                ),
                (
                    "pending_authorizations_per_ip",
                    &r.pending_authorizations_per_ip,
                ),
            )?,
            client_authentication: pair(
                ("token_failures_per_client", &r.token_failures_per_client),
                ("token_failures_per_ip", &r.token_failures_per_ip),
            )?,
        };
        if let Some(url) = &r.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            bail!("rate_limits.redis_url must start with redis:// or rediss://");
        }
        let sms = match (&self.sms.webhook_url, &self.sms.webhook_secret) {
            (None, _) => None,
            (Some(url), Some(secret)) if secret.len() >= 16 => {
                let parsed = url::Url::parse(url)
                    .with_context(|| format!("sms.webhook_url `{url}` is not a URL"))?;
                if parsed.scheme() != "https"
                    && !matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
                {
                    bail!("sms.webhook_url must use https (http only on loopback)");
                }
                Some((url.clone(), secret.clone()))
            }
            (Some(_), _) => bail!(
                "sms.webhook_secret of at least 16 characters is required with sms.webhook_url"
            ),
        };
        let events = self.event_settings()?;
        let access_token_ttl = Duration::from_secs(self.tokens.access_token_ttl_secs);
        let mut core = auth_core::Settings::new(
            issuer,
            KeyPolicy {
                algorithm,
                rsa_bits: self.keys.rsa_bits,
                publish_delay: Duration::from_secs(self.keys.publish_delay_secs),
                // A retired key verifies every token it signed, plus a minute for clock skew.
                retired_key_lifetime: access_token_ttl
                    .max(Duration::from_secs(self.tokens.id_token_ttl_secs))
                    + Duration::from_secs(60),
            },
        );
        if let Some(audience) = &self.tokens.audience {
            core.audience = audience.clone();
        }
        core.access_token_ttl = access_token_ttl;
        core.id_token_ttl = Duration::from_secs(self.tokens.id_token_ttl_secs);
        core.refresh_token_ttl = Duration::from_secs(self.tokens.refresh_token_ttl_secs);
        core.refresh_reuse_grace = Duration::from_secs(self.tokens.refresh_reuse_grace_secs);
        core.refresh_family_lifetime =
            Duration::from_secs(self.tokens.refresh_family_lifetime_secs);
        core.authorization_code_ttl = Duration::from_secs(self.tokens.authorization_code_ttl_secs);
        core.session_ttl = Duration::from_secs(self.sessions.ttl_secs);
        core.users = UserPolicy {
            password: PasswordPolicy {
                min_length: self.users.password_min_length,
                refuse_common: self.users.refuse_common_passwords,
            },
            signup_roles,
            default_roles,
        };
        let window = Duration::from_secs(self.login.window_secs);
        core.login = LoginPolicy {
            per_account_and_ip: ThrottlePolicy {
                limit: self.login.max_failures_per_account_and_ip,
                window,
            },
            per_account: ThrottlePolicy {
                limit: self.login.max_failures_per_account,
                window,
            },
            per_ip: ThrottlePolicy {
                limit: self.login.max_failures_per_ip,
                window,
            },
        };
        core.account = AccountPolicy {
            require_verified_email: self.account.require_verified_email,
            email_code_second_factor: self.account.email_code_second_factor,
            verification_link_ttl: Duration::from_secs(
                self.account.verification_link_ttl_minutes * 60,
            ),
            reset_link_ttl: Duration::from_secs(self.account.reset_link_ttl_minutes * 60),
            one_time_code_ttl: Duration::from_secs(self.account.one_time_code_ttl_minutes * 60),
            one_time_code_attempts: self.account.one_time_code_attempts,
        };
        core.limits = limits;
        core.counter_cache_ttl = Duration::from_secs(self.database.cache_secs);
        Ok(Settings {
            bind,
            core,
            key_refresh_interval: Duration::from_secs(self.keys.refresh_interval_secs),
            signup_enabled: self.users.signup_enabled,
            registration: registration_mode,
            registration_scope: allowed_scope,
            product_name: self.ui.product_name.clone(),
            stylesheet,
            proxies,
            http: self.http.checked_limits()?,
            mail,
            redis_url: r.redis_url.clone().map(|url| (url, r.redis_prefix.clone())),
            sms,
            events,
            metrics_token: self.metrics_token()?,
        })
    }

    fn metrics_token(&self) -> anyhow::Result<Option<String>> {
        match &self.metrics.token {
            Some(token) if token.trim().len() < 32 => {
                anyhow::bail!("metrics.token must be at least 32 characters")
            }
            token => Ok(token.clone()),
        }
    }

    fn event_settings(&self) -> anyhow::Result<EventSettings> {
        let e = &self.events;
        let mut destinations = Vec::new();
        for (i, hook) in e.webhooks.iter().enumerate() {
            let setting = format!("events.webhooks[{i}]");
            let url = url::Url::parse(&hook.url)
                .with_context(|| format!("{setting}.url `{}` is not a URL", hook.url))?;
            let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                bail!("{setting}.url must use https (http only on loopback)");
            }
            let secret = WebhookSecret::parse(&hook.secret)
                .map_err(|e| anyhow::anyhow!("{setting}.secret {e}"))?;
            let destination = Destination::Webhook(Webhook::new(url, secret));
            if destinations
                .iter()
                .any(|d: &Destination| d.name() == destination.name())
            {
                bail!("{setting}.url `{}` is listed twice", hook.url);
            }
            destinations.push(destination);
        }
        if !valid_subject_prefix(&e.nats_subject_prefix) {
            bail!(
                "events.nats_subject_prefix `{}` is not a NATS subject prefix (dot-separated \
                 tokens without spaces, `*` or `>`)",
                e.nats_subject_prefix
            );
        }
        let nats = match &e.nats_url {
            Some(url) if url.starts_with("nats://") => {
                destinations.push(Destination::Nats);
                Some((url.clone(), e.nats_subject_prefix.clone()))
            }
            Some(url) => bail!("events.nats_url `{url}` must start with nats://"),
            None => None,
        };
        if e.poll_interval_secs == 0 {
            bail!("events.poll_interval_secs must be at least 1");
        }
        Ok(EventSettings {
            destinations,
            nats,
            poll_interval: Duration::from_secs(e.poll_interval_secs),
        })
    }

    fn mail_settings(&self) -> anyhow::Result<MailSettings> {
        let from: lettre::message::Mailbox = self.mail.from.parse().with_context(|| {
            format!(
                "mail.from `{}` is not an address such as `Example <no-reply@example.com>`",
                self.mail.from
            )
        })?;
        let transport = match self.mail.transport.as_str() {
            "folder" => MailTransportSetting::Folder(self.mail.folder.clone()),
            "smtp" => {
                let security = match self.mail.smtp_security.as_str() {
                    "starttls" => SmtpSecurity::StartTls,
                    "tls" => SmtpSecurity::Tls,
                    "none" => SmtpSecurity::None,
                    other => bail!(
                        "mail.smtp_security must be `starttls`, `tls` or `none`; got `{other}`"
                    ),
                };
                let credentials = match (&self.mail.smtp_username, &self.mail.smtp_password) {
                    (Some(user), Some(password)) => Some((user.clone(), password.clone())),
                    (None, None) => None,
                    _ => bail!("mail.smtp_username and mail.smtp_password go together"),
                };
                MailTransportSetting::Smtp(SmtpSettings {
                    host: self.mail.smtp_host.clone(),
                    port: self.mail.smtp_port,
                    security,
                    credentials,
                    timeout: Duration::from_secs(20),
                })
            }
            other => bail!("mail.transport must be `folder` or `smtp`; got `{other}`"),
        };
        if self.mail.poll_interval_secs == 0 {
            bail!("mail.poll_interval_secs must be at least 1");
        }
        Ok(MailSettings {
            from,
            transport,
            poll_interval: Duration::from_secs(self.mail.poll_interval_secs),
        })
    }
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum MailTransportSetting {
    /// `.eml` files in a folder.
    Folder(PathBuf),
    /// An SMTP server.
    Smtp(SmtpSettings),
}

/// Validated mail settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Sender.
    pub from: lettre::message::Mailbox,
    /// Transport.
    pub transport: MailTransportSetting,
    /// Outbox poll interval.
    pub poll_interval: Duration,
}

/// Validated event settings.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// Where every event goes (webhooks, then NATS).
    pub destinations: Vec<Destination>,
    /// NATS URL and subject prefix.
    pub nats: Option<(String, String)>,
    /// Outbox poll interval.
    pub poll_interval: Duration,
}

/// Who may register clients dynamically (the token is hashed once the provider is open).
#[derive(Debug, Clone)]
pub enum RegistrationSetting {
    /// Anyone.
    Open,
    /// Holders of this initial access token.
    Token(String),
    /// Nobody.
    Disabled,
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
    /// Proxies trusted to name the client address.
    pub proxies: TrustedProxies,
    /// Request size and time limits.
    pub http: HttpLimits,
    /// Outgoing mail.
    pub mail: MailSettings,
    /// Redis for rate-limit counters, and the key prefix.
    pub redis_url: Option<(String, String)>,
    /// SMS webhook URL and secret.
    pub sms: Option<(String, String)>,
    /// Events.
    pub events: EventSettings,
    /// The bearer token that may read `/metrics`.
    pub metrics_token: Option<String>,
}

fn describe_figment_error(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            if key.is_empty() {
                e.kind.to_string()
            } else {
                format!("`{key}`: {}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_derive_a_loopback_issuer() {
        let settings = Config::default().validate().unwrap();
        assert_eq!(settings.core.issuer.as_str(), "http://127.0.0.1:8080");
        assert_eq!(settings.core.audience, "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_name_the_setting() {
        type Change = fn(&mut Config);
        let cases: [(Change, &str); 7] = [
            (|c| c.bind = "nowhere".into(), "bind `nowhere`"),
            (|c| c.issuer = Some("ftp://x".into()), "issuer is invalid"),
            (|c| c.database_url = "mysql://x".into(), "database_url"),
            (
                |c| c.tokens.access_token_ttl_secs = 0,
                "access_token_ttl_secs",
            ),
            (|c| c.keys.rsa_bits = 1024, "rsa_bits"),
            (
                |c| c.keys.algorithm = "HS256".into(),
                "keys.algorithm `HS256` is not supported; use one of RS256, ES256, EdDSA",
            ),
            (
                |c| c.keys.algorithm = "es256".into(),
                "keys.algorithm `es256`",
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
        for (name, expected) in [
            ("RS256", SigningAlgorithm::Rs256),
            ("ES256", SigningAlgorithm::Es256),
            ("EdDSA", SigningAlgorithm::EdDsa),
        ] {
            let mut config = Config::default();
            config.keys.algorithm = name.into();
            let settings = config.validate().unwrap();
            assert_eq!(settings.core.keys.algorithm, expected);
        }
        let mut config = Config::default();
        config.keys.algorithm = "ES256".into();
        config.keys.rsa_bits = 1024;
        assert!(config.validate().is_ok());
    }

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db/auth"),
            "postgres://app:***@db/auth"
        );
    }
}
