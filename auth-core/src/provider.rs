//! [`Provider`]: the authorization server as a value: settings, store, clock, keys and the
//! token hasher. Grants and endpoints are functions over it.

use crate::clock::Clock;
use crate::kek::KeyEncryptionKey;
use crate::keys::{KeyError, KeyPolicy, KeyService};
use crate::mail::{MailComposer, PlainComposer};
use crate::otp::sms::SmsSender;
use crate::roles::RoleName;
use crate::secrets::TokenHasher;
use crate::store::Store;
use crate::throttle::Limiter;
use crate::throttle::{Limit, ThrottlePolicy, UnderLimit};
use crate::tokens::verified::VerifiedTokens;
use crate::users::password::PasswordPolicy;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use url::Url;

/// The issuer identifier: an `https` URL without query or fragment (OIDC Discovery section 3,
/// RFC 8414 section 2); `http` is accepted for loopback hosts, for development.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

/// Why an issuer URL was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("issuer `{0}` {1}")]
pub struct IssuerError(String, &'static str);

impl Issuer {
    /// Validates an issuer URL. A trailing slash is removed so endpoint URLs join cleanly.
    pub fn parse(text: &str) -> Result<Self, IssuerError> {
        let err = |why| Err(IssuerError(text.to_owned(), why));
        let Ok(url) = Url::parse(text) else {
            return err("is not an absolute URL");
        };
        if url.query().is_some() || url.fragment().is_some() {
            return err("must not have a query or fragment (RFC 8414 section 2)");
        }
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return err("must use https (http only on localhost, 127.0.0.1 or [::1])"),
        }
        Ok(Self(text.trim_end_matches('/').to_owned()))
    }

    /// The issuer as it appears in `iss`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the issuer uses https (browser cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// The URL of an endpoint at `path` (which starts with `/`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the provider needs to know beyond its collaborators.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Issuer identifier.
    pub issuer: Issuer,
    /// `aud` of access tokens.
    pub audience: String,
    /// Access token lifetime.
    pub access_token_ttl: Duration,
    /// ID token lifetime.
    pub id_token_ttl: Duration,
    /// Refresh token lifetime (each rotation starts a new one).
    pub refresh_token_ttl: Duration,
    /// How long a rotated refresh token may be retried without revoking its family.
    pub refresh_reuse_grace: Duration,
    /// Absolute lifetime of a token family (one authorization and all its refreshes),
    /// counted from the authorization; rotation does not extend it.
    pub refresh_family_lifetime: Duration,
    /// Authorization code lifetime (at most 60 s).
    pub authorization_code_ttl: Duration,
    /// Browser session lifetime.
    pub session_ttl: Duration,
    /// Signing key policy.
    pub keys: KeyPolicy,
    /// Account rules.
    pub users: UserPolicy,
    /// Login throttling.
    pub login: LoginPolicy,
    /// Verification, reset and one-time codes.
    pub account: AccountPolicy,
    /// Rate limits of sensitive endpoints.
    pub limits: RateLimits,
    /// How long this replica trusts a failure counter it read below its limit (see
    /// [`crate::throttle`]); zero reads the counter on every check.
    pub counter_cache_ttl: Duration,
    /// Rules for authorization requests.
    pub requests: RequestPolicy,
    /// Rules for DPoP proofs.
    pub dpop: crate::dpop::DpopPolicy,
    /// Every client follows the FAPI 2.0 Security Profile ([`crate::fapi`]).
    pub fapi: bool,
    /// The device authorization grant (RFC 8628).
    pub device: DevicePolicy,
}

/// The device authorization grant (RFC 8628).
#[derive(Debug, Clone)]
pub struct DevicePolicy {
    /// How long a device code and its user code work (`expires_in`, section 3.2).
    pub code_ttl: Duration,
    /// The least time a device waits between polls (`interval`, section 3.2).
    pub interval: Duration,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self {
            code_ttl: Duration::from_secs(600),
            interval: Duration::from_secs(5),
        }
    }
}

/// Rules for authorization requests (RFC 9126, RFC 9101).
#[derive(Debug, Clone)]
pub struct RequestPolicy {
    /// Every client must push its authorization requests (RFC 9126 section 5).
    pub require_pushed_authorization_requests: bool,
    /// How long a pushed request's `request_uri` is usable (RFC 9126 section 2.2: short).
    pub pushed_request_ttl: Duration,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        Self {
            require_pushed_authorization_requests: false,
            pushed_request_ttl: Duration::from_secs(60),
        }
    }
}

/// Rules of the account lifecycle.
#[derive(Debug, Clone)]
pub struct AccountPolicy {
    /// Whether users must verify their address before they may log in.
    pub require_verified_email: bool,
    /// Whether users without TOTP get an e-mailed code as second factor at login.
    pub email_code_second_factor: bool,
    /// How long a verification link works.
    pub verification_link_ttl: Duration,
    /// How long a password reset link works.
    pub reset_link_ttl: Duration,
    /// How long a one-time code works.
    pub one_time_code_ttl: Duration,
    /// Wrong tries allowed per one-time code.
    pub one_time_code_attempts: i64,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            require_verified_email: true,
            email_code_second_factor: false,
            verification_link_ttl: Duration::from_secs(24 * 3600),
            reset_link_ttl: Duration::from_secs(30 * 60),
            one_time_code_ttl: Duration::from_secs(10 * 60),
            one_time_code_attempts: 5,
        }
    }
}

/// Rate limits of the sensitive endpoints: each feature per account and per network (see
/// [`crate::throttle::Feature`] for what each counts; password failures are in
/// [`LoginPolicy`]). Exceeding one answers 429 with `Retry-After`, except where that would
/// reveal whether an account exists (then the request is silently not acted on).
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Login form posts.
    pub login_posts: Limit,
    /// Second factors: wrong codes per account, attempts per network.
    pub second_factor: Limit,
    /// One-time codes sent.
    pub codes_sent: Limit,
    /// Password reset requests (per account: silent).
    pub password_reset: Limit,
    /// Verification mails (per account: silent).
    pub verification: Limit,
    /// Sign-ups (pages and account API); per account: per e-mail address.
    pub sign_up: Limit,
    /// Dynamic client registrations; per account: all registrations.
    pub client_registration: Limit,
    /// Stored authorization requests; per account: all of them.
    pub pending_authorizations: Limit,
    /// Failed client authentications at the token endpoints; per account: per client and
    /// network.
    pub client_authentication: Limit,
    /// User codes entered on the `/device` page, per account and per network.
    pub device_user_codes: Limit,
    /// Stored device authorization requests; per account: all of them.
    pub device_authorizations: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        let per = |limit, secs| ThrottlePolicy {
            limit,
            window: Duration::from_secs(secs),
        };
        let limit = |per_account, per_network| Limit {
            per_account,
            per_network,
        };
        Self {
            login_posts: limit(per(30, 60), per(60, 60)),
            second_factor: limit(per(10, 900), per(30, 900)),
            codes_sent: limit(per(5, 900), per(30, 900)),
            password_reset: limit(per(3, 3600), per(20, 3600)),
            verification: limit(per(3, 3600), per(20, 3600)),
            sign_up: limit(per(5, 3600), per(20, 3600)),
            client_registration: limit(per(1000, 3600), per(20, 3600)),
            pending_authorizations: limit(per(20_000, 900), per(300, 900)),
            client_authentication: limit(per(20, 900), per(100, 900)),
            device_user_codes: limit(per(10, 900), per(30, 900)),
            device_authorizations: limit(per(20_000, 900), per(300, 900)),
        }
    }
}

/// Services the provider uses besides storage.
#[derive(Clone)]
pub struct Services {
    /// Turns mails into messages.
    pub mail: Arc<dyn MailComposer>,
    /// Where rate-limit counters live.
    pub limiter: Limiter,
    /// Text messages, when configured.
    pub sms: Option<Arc<dyn SmsSender>>,
}

impl Services {
    /// The built-in composer, counters in the database, no text messages.
    pub fn defaults(issuer: &Issuer) -> Self {
        Self {
            mail: Arc::new(PlainComposer {
                issuer: issuer.as_str().to_owned(),
            }),
            limiter: Limiter::Database,
            sms: None,
        }
    }
}

impl Settings {
    /// Settings with the documented defaults for everything but the issuer and keys.
    pub fn new(issuer: Issuer, keys: KeyPolicy) -> Self {
        Self {
            audience: issuer.as_str().to_owned(),
            issuer,
            access_token_ttl: Duration::from_secs(600),
            id_token_ttl: Duration::from_secs(600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            refresh_reuse_grace: Duration::ZERO,
            refresh_family_lifetime: Duration::from_secs(90 * 24 * 3600),
            authorization_code_ttl: Duration::from_secs(60),
            session_ttl: Duration::from_secs(12 * 3600),
            keys,
            users: UserPolicy::default(),
            login: LoginPolicy::default(),
            account: AccountPolicy::default(),
            limits: RateLimits::default(),
            counter_cache_ttl: Duration::from_secs(1),
            requests: RequestPolicy::default(),
            dpop: crate::dpop::DpopPolicy::default(),
            fapi: false,
            device: DevicePolicy::default(),
        }
    }
}

/// Account rules.
#[derive(Debug, Clone, Default)]
pub struct UserPolicy {
    /// What a password must meet.
    pub password: PasswordPolicy,
    /// Roles a user may pick at sign-up (never `admin`).
    pub signup_roles: Vec<RoleName>,
    /// Roles every self-registered user gets.
    pub default_roles: Vec<RoleName>,
}

/// Login throttling: failures allowed per account from one client address, per account from
/// everywhere, and per client address.
///
/// Past `per_account_and_ip`, that address may not sign in to that account (not even with the
/// right password) until the window ends; the owner elsewhere is not affected. Only past the
/// higher `per_account` is the account closed to everyone: locking a known account out then
/// takes failures from several addresses, while guessing its password from many addresses is
/// still capped.
#[derive(Debug, Clone)]
pub struct LoginPolicy {
    /// Per account and client address.
    pub per_account_and_ip: ThrottlePolicy,
    /// Per account, from every address.
    pub per_account: ThrottlePolicy,
    /// Per client network ([`crate::throttle::Network`]).
    pub per_ip: ThrottlePolicy,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            per_account_and_ip: ThrottlePolicy {
                limit: 5,
                window: Duration::from_secs(900),
            },
            per_account: ThrottlePolicy {
                limit: 20,
                window: Duration::from_secs(900),
            },
            per_ip: ThrottlePolicy {
                limit: 50,
                window: Duration::from_secs(900),
            },
        }
    }
}

/// The authorization server. Cheap to clone.
#[derive(Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: KeyService,
    hasher: TokenHasher,
    kek: Arc<KeyEncryptionKey>,
    services: Services,
    mail_notify: Notify,
    under_limit: UnderLimit,
    verified_tokens: VerifiedTokens,
    client_jwks: crate::clients::keys::JwksCache,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// Builds the provider and loads (or, on an empty database, creates) the signing keys.
    /// Fails with [`KeyError::WrongKek`] when `kek` is not the key the stored keys were sealed
    /// with.
    pub async fn open(
        settings: Settings,
        store: Arc<dyn Store>,
        kek: Arc<KeyEncryptionKey>,
        clock: Arc<dyn Clock>,
        services: Services,
    ) -> Result<Self, KeyError> {
        let hasher = kek.token_hasher();
        let keys = KeyService::open(
            store.clone(),
            kek.clone(),
            clock.clone(),
            settings.keys.clone(),
        )
        .await?;
        let under_limit = UnderLimit::new(settings.counter_cache_ttl);
        Ok(Self {
            inner: Arc::new(Inner {
                under_limit,
                verified_tokens: VerifiedTokens::default(),
                // A server on loopback (development, tests) may fetch keys from loopback.
                client_jwks: crate::clients::keys::JwksCache::new(!settings.issuer.is_https()),
                settings,
                store,
                clock,
                keys,
                hasher,
                kek,
                services,
                mail_notify: Notify::new(),
            }),
        })
    }

    /// The key-encryption key.
    pub fn kek(&self) -> &KeyEncryptionKey {
        &self.inner.kek
    }

    /// The mail composer.
    pub fn mail_composer(&self) -> &dyn MailComposer {
        self.inner.services.mail.as_ref()
    }

    /// Signalled when this replica queues a mail.
    pub fn mail_notify(&self) -> &Notify {
        &self.inner.mail_notify
    }

    /// Where rate-limit counters live.
    pub fn limiter(&self) -> &Limiter {
        &self.inner.services.limiter
    }

    /// Access tokens whose signature, type and issuer this replica has checked.
    pub fn verified_tokens(&self) -> &VerifiedTokens {
        &self.inner.verified_tokens
    }

    /// Key sets fetched from clients' `jwks_uri`s.
    pub fn client_jwks(&self) -> &crate::clients::keys::JwksCache {
        &self.inner.client_jwks
    }

    /// Failure counters this replica read below their limit recently.
    pub(crate) fn under_limit(&self) -> &UnderLimit {
        &self.inner.under_limit
    }

    /// The text-message sender, if configured.
    pub fn sms(&self) -> Option<&dyn SmsSender> {
        self.inner.services.sms.as_deref()
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    /// The signing keys.
    pub fn keys(&self) -> &KeyService {
        &self.inner.keys
    }

    /// The keyed hash for stored tokens.
    pub fn hasher(&self) -> &TokenHasher {
        &self.inner.hasher
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_except_on_loopback() {
        assert!(Issuer::parse("https://id.example.com").is_ok());
        assert_eq!(
            Issuer::parse("http://127.0.0.1:8080/").unwrap().as_str(),
            "http://127.0.0.1:8080"
        );
        assert!(Issuer::parse("http://id.example.com").is_err());
        assert!(Issuer::parse("https://id.example.com/?a=b").is_err());
        assert!(Issuer::parse("id.example.com").is_err());
    }
}
