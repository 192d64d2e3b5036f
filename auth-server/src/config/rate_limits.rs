//! `[rate_limits]`: how often each feature a client can make the server count may be used,
//! per account (or what it acts on) and per client network, and where the counters live.

use super::secret::SecretUrl;
use anyhow::bail;
use auth_core::provider::RateLimits;
use auth_core::throttle::{Limit, ThrottlePolicy};
use serde::{Deserialize, Serialize};
use std::time::Duration;

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
    pub redis_url: Option<SecretUrl>,
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
    /// User codes entered on the `/device` page per account, right or wrong (RFC 8628 section
    /// 5.1).
    pub device_user_codes_per_account: LimitConfig,
    /// User codes entered on the `/device` page per client network.
    pub device_user_codes_per_ip: LimitConfig,
    /// Device authorization requests per client network.
    pub device_authorizations_per_ip: LimitConfig,
    /// Device authorization requests from everyone together.
    pub device_authorizations_total: LimitConfig,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        let d = RateLimits::default();
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
            device_user_codes_per_account: c(&d.device_user_codes.per_account),
            device_user_codes_per_ip: c(&d.device_user_codes.per_network),
            device_authorizations_per_ip: c(&d.device_authorizations.per_network),
            device_authorizations_total: c(&d.device_authorizations.per_account),
        }
    }
}

impl LimitConfig {
    /// The limit named `rate_limits.{name}`, checked.
    fn policy(&self, name: &str) -> anyhow::Result<ThrottlePolicy> {
        if self.limit == 0 || self.window_secs == 0 {
            bail!("rate_limits.{name} needs limit and window_secs of at least 1");
        }
        // Counters older than a day are purged, so no window may be longer.
        if self.window_secs > 86_400 {
            bail!(
                "rate_limits.{name}.window_secs must be at most 86400 (one day); got {}",
                self.window_secs
            );
        }
        Ok(ThrottlePolicy {
            limit: self.limit,
            window: Duration::from_secs(self.window_secs),
        })
    }
}

/// The per-account limit named first, the per-network one second.
fn pair(
    per_account: (&str, &LimitConfig),
    per_network: (&str, &LimitConfig),
) -> anyhow::Result<Limit> {
    Ok(Limit {
        per_account: per_account.1.policy(per_account.0)?,
        per_network: per_network.1.policy(per_network.0)?,
    })
}

impl RateLimitsConfig {
    /// Every limit, checked.
    pub(super) fn limits(&self) -> anyhow::Result<RateLimits> {
        Ok(RateLimits {
            login_posts: pair(
                ("login_per_account", &self.login_per_account),
                ("login_per_ip", &self.login_per_ip),
            )?,
            second_factor: pair(
                (
                    "second_factor_failures_per_account",
                    &self.second_factor_failures_per_account,
                ),
                ("otp_verify_per_ip", &self.otp_verify_per_ip),
            )?,
            codes_sent: pair(
                ("otp_send_per_account", &self.otp_send_per_account),
                ("otp_send_per_ip", &self.otp_send_per_ip),
            )?,
            password_reset: pair(
                (
                    "forgot_password_per_account",
                    &self.forgot_password_per_account,
                ),
                ("forgot_password_per_ip", &self.forgot_password_per_ip),
            )?,
            verification: pair(
                ("verification_per_account", &self.verification_per_account),
                ("verification_per_ip", &self.verification_per_ip),
            )?,
            sign_up: pair(
                ("signup_per_address", &self.signup_per_address),
                ("signup_per_ip", &self.signup_per_ip),
            )?,
            client_registration: pair(
                (
                    "client_registrations_total",
                    &self.client_registrations_total,
                ),
                (
                    "client_registration_per_ip",
                    &self.client_registration_per_ip,
                ),
            )?,
            pending_authorizations: pair(
                (
                    "pending_authorizations_total",
                    &self.pending_authorizations_total,
                ),
                (
                    "pending_authorizations_per_ip",
                    &self.pending_authorizations_per_ip,
                ),
            )?,
            client_authentication: pair(
                ("token_failures_per_client", &self.token_failures_per_client),
                ("token_failures_per_ip", &self.token_failures_per_ip),
            )?,
            device_user_codes: pair(
                (
                    "device_user_codes_per_account",
                    &self.device_user_codes_per_account,
                ),
                ("device_user_codes_per_ip", &self.device_user_codes_per_ip),
            )?,
            device_authorizations: pair(
                (
                    "device_authorizations_total",
                    &self.device_authorizations_total,
                ),
                (
                    "device_authorizations_per_ip",
                    &self.device_authorizations_per_ip,
                ),
            )?,
        })
    }

    /// The Redis URL (checked) and key prefix, when counters live in Redis.
    pub(super) fn redis(&self) -> anyhow::Result<Option<(SecretUrl, String)>> {
        match &self.redis_url {
            Some(url) if !(url.starts_with("redis://") || url.starts_with("rediss://")) => {
                bail!("rate_limits.redis_url must start with redis:// or rediss://")
            }
            Some(url) => Ok(Some((url.clone(), self.redis_prefix.clone()))),
            None => Ok(None),
        }
    }
}
