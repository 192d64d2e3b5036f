//! Fixed-window counters for login throttling and rate limits, shared by every replica: in the
//! database by default, or in Redis when configured.
//!
//! Every counter a client can move is named here, once: a [`Feature`] (what is counted) and
//! whose counter it is ([`Key::account`], [`Key::network`], [`Key::account_on_network`]). A
//! key carries its feature and dimension, and the limit it counts against is looked up from
//! them ([`Limit::of`]), so no caller can build a key by hand, two features cannot share a
//! counter, and a feature cannot exist without both a per-account and a per-network limit.
//! Client addresses are counted by [`Network`]: an IPv4 address, or the /64 of an IPv6 one.
//!
//! A key may count `limit` events per window; past that it is refused until the window ends.
//! Keys that name a person are digests, so e-mail addresses are not stored.
//!
//! A failure counter read below its limit is trusted for `counter_cache_ttl` (one second by
//! default), so the token endpoint does not read the counters of a well-behaved client on every
//! request. Every failure this replica records forgets that memory for its key, so repeated
//! failures here are always counted against the shared counter; failures recorded at other
//! replicas are seen after at most the ttl, which lets at most one extra attempt per replica
//! and ttl through. A counter at its limit is never remembered: it is read on every check.

use crate::Provider;
use crate::clients::ClientId;
use crate::provider::Settings;
use crate::store::StoreError;
use crate::users::UserId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Keys kept at most by [`UnderLimit`]; past this it starts over (keys include client
/// addresses, which an attacker can vary).
const MAX_REMEMBERED: usize = 10_000;

/// How many events a key may count per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Events allowed in one window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
}

/// A feature's two limits: per account and per network. Features without an account of their
/// own (sign-up, client registration, authorization requests) count what they act on instead:
/// the e-mail address signed up with, or everyone at once (a global cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Per account (or per e-mail address, client, or for everyone; see the feature).
    pub per_account: ThrottlePolicy,
    /// Per client network ([`Network`]).
    pub per_network: ThrottlePolicy,
}

/// Everything a client can make the server count. Each has its own counters (the key starts
/// with [`Feature::name`]) and both limits ([`Limit::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Wrong passwords: at login and at every re-check of the current password (same secret,
    /// same budget). Limits: `[login]`; a correct password resets the account's counters.
    PasswordFailure,
    /// Posts of the login form, right or wrong (each costs an argon2 hash).
    LoginPost,
    /// Second-factor checks: wrong TOTP, recovery and one-time codes count per account (and are
    /// not reset by a correct password), every attempt counts per network.
    SecondFactor,
    /// One-time codes sent by e-mail or text message.
    CodeSent,
    /// Password reset requests (per account: mails sent, silently dropped beyond).
    PasswordReset,
    /// Verification mails (per account: silently dropped beyond).
    Verification,
    /// Self-service sign-ups (per account: per e-mail address signed up with).
    SignUp,
    /// Dynamic client registrations (per account: all registrations together).
    ClientRegistration,
    /// Authorization requests stored while the user signs in (per account: all of them).
    PendingAuthorization,
    /// Failed client authentications at the token endpoints (per account: per client and
    /// network, so strangers cannot lock a client out everywhere).
    ClientAuthentication,
    /// User codes entered on the `/device` page, right or wrong (RFC 8628 section 5.1: the
    /// guesses at a short code are what keeps it safe).
    DeviceUserCode,
    /// Device authorization requests stored until they expire (per account: all of them).
    DeviceAuthorization,
    /// Passkey sign-ins: every ceremony started or answered counts per network, failed
    /// assertions per account. Limits: those of login form posts (`login_posts`).
    PasskeySignIn,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 13] = [
        Self::PasswordFailure,
        Self::LoginPost,
        Self::SecondFactor,
        Self::CodeSent,
        Self::PasswordReset,
        Self::Verification,
        Self::SignUp,
        Self::ClientRegistration,
        Self::PendingAuthorization,
        Self::ClientAuthentication,
        Self::DeviceUserCode,
        Self::DeviceAuthorization,
        Self::PasskeySignIn,
    ];

    /// The prefix of its keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::PasswordFailure => "password-failure",
            Self::LoginPost => "login-post",
            Self::SecondFactor => "second-factor",
            Self::CodeSent => "code-sent",
            Self::PasswordReset => "password-reset",
            Self::Verification => "verification",
            Self::SignUp => "sign-up",
            Self::ClientRegistration => "client-registration",
            Self::PendingAuthorization => "pending-authorization",
            Self::ClientAuthentication => "client-authentication",
            Self::DeviceUserCode => "device-user-code",
            Self::DeviceAuthorization => "device-authorization",
            Self::PasskeySignIn => "passkey-sign-in",
        }
    }
}

impl Limit {
    /// The limits of `feature`: the one table of them.
    pub fn of(settings: &Settings, feature: Feature) -> Limit {
        let limits = &settings.limits;
        match feature {
            Feature::PasswordFailure => Limit {
                per_account: settings.login.per_account.clone(),
                per_network: settings.login.per_ip.clone(),
            },
            Feature::LoginPost => limits.login_posts.clone(),
            Feature::SecondFactor => limits.second_factor.clone(),
            Feature::CodeSent => limits.codes_sent.clone(),
            Feature::PasswordReset => limits.password_reset.clone(),
            Feature::Verification => limits.verification.clone(),
            Feature::SignUp => limits.sign_up.clone(),
            Feature::ClientRegistration => limits.client_registration.clone(),
            Feature::PendingAuthorization => limits.pending_authorizations.clone(),
            Feature::ClientAuthentication => limits.client_authentication.clone(),
            Feature::DeviceUserCode => limits.device_user_codes.clone(),
            Feature::DeviceAuthorization => limits.device_authorizations.clone(),
            Feature::PasskeySignIn => limits.login_posts.clone(),
        }
    }
}

/// The network a client address belongs to, for per-network counters: an IPv4 address by
/// itself, an IPv6 address by its /64 (what one subscriber or link is given, RFC 6177 and
/// RFC 4291 section 2.5.4), so one client cannot take a fresh counter for each of its 2^64
/// addresses. An IPv4-mapped IPv6 address counts as its IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Network(String);

impl Network {
    /// The network of `address` (an IP address as text; anything else is kept as it is).
    pub fn of(address: &str) -> Self {
        match address.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => Self(v4.to_string()),
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(v4.to_string()),
                None => {
                    let mut segments = v6.segments();
                    segments[4..].fill(0);
                    Self(format!("{}/64", Ipv6Addr::from(segments)))
                }
            },
            Err(_) => Self(address.chars().take(64).collect()),
        }
    }

    /// The network as text (`192.0.2.1`, `2001:db8:1:2::/64`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose counter a key is.
#[derive(Debug, Clone, Copy)]
pub enum Account<'a> {
    /// An account by the e-mail address typed (it may not exist).
    Email(&'a str),
    /// An existing user.
    User(&'a UserId),
    /// A client.
    Client(&'a ClientId),
    /// Everyone together (a global cap, for features without an account).
    Everyone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Per {
    Account,
    Network,
    AccountOnNetwork,
}

/// A counter: a feature and whose counter it is. Only built here, so a key always counts
/// against its feature's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    feature: Feature,
    per: Per,
    text: String,
}

impl Key {
    /// `feature`, counted per account.
    pub fn account(provider: &Provider, feature: Feature, account: Account<'_>) -> Self {
        Self {
            feature,
            per: Per::Account,
            text: format!(
                "{}:account:{}",
                feature.name(),
                account_text(provider, account, None)
            ),
        }
    }

    /// `feature`, counted per network.
    pub fn network(feature: Feature, network: &Network) -> Self {
        Self {
            feature,
            per: Per::Network,
            text: format!("{}:network:{}", feature.name(), network.as_str()),
        }
    }

    /// `feature`, counted per account and network together. Password failures count against
    /// `[login] max_failures_per_account_and_ip`, the others against the per-account limit.
    pub fn account_on_network(
        provider: &Provider,
        feature: Feature,
        account: Account<'_>,
        network: &Network,
    ) -> Self {
        Self {
            feature,
            per: Per::AccountOnNetwork,
            text: format!(
                "{}:account-network:{}",
                feature.name(),
                account_text(provider, account, Some(network))
            ),
        }
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The limit this key counts against.
    pub fn policy(&self, settings: &Settings) -> ThrottlePolicy {
        let limit = Limit::of(settings, self.feature);
        match (self.feature, self.per) {
            (_, Per::Network) => limit.per_network,
            (Feature::PasswordFailure, Per::AccountOnNetwork) => {
                settings.login.per_account_and_ip.clone()
            }
            (_, Per::Account | Per::AccountOnNetwork) => limit.per_account,
        }
    }
}

/// The account part of a key; e-mail addresses only as a digest.
fn account_text(provider: &Provider, account: Account<'_>, network: Option<&Network>) -> String {
    let on = network
        .map(|n| format!(" {}", n.as_str()))
        .unwrap_or_default();
    match account {
        Account::Email(email) => {
            let normalized = email.trim().to_lowercase();
            format!(
                "email-{}",
                key_digest(provider, &format!("{normalized}{on}"))
            )
        }
        Account::User(id) => format!("user-{id}{on}"),
        Account::Client(id) => format!(
            "client-{}",
            key_digest(provider, &format!("{}{on}", id.as_str()))
        ),
        Account::Everyone => format!("everyone{on}"),
    }
}

/// Failure counters this replica read below their limit, and when.
pub struct UnderLimit {
    ttl: Duration,
    read_at: Mutex<HashMap<String, Instant>>,
    /// Bumped by every forget, so a read that raced with a recorded failure is not remembered.
    forgets: AtomicU64,
}

impl UnderLimit {
    /// Remembers for `ttl`; zero remembers nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            read_at: Mutex::default(),
            forgets: AtomicU64::new(0),
        }
    }

    fn all_fresh(&self, keys: &[(&str, &ThrottlePolicy)]) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let read_at = self.lock();
        keys.iter()
            .all(|(key, _)| read_at.get(*key).is_some_and(|at| at.elapsed() < self.ttl))
    }

    fn remember(&self, key: &str, at: Instant, forgets_before_read: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut read_at = self.lock();
        if self.forgets.load(Ordering::Acquire) != forgets_before_read {
            return;
        }
        if read_at.len() >= MAX_REMEMBERED {
            read_at.clear();
        }
        read_at.insert(key.to_owned(), at);
    }

    fn forget(&self, key: &str) {
        let mut read_at = self.lock();
        self.forgets.fetch_add(1, Ordering::AcqRel);
        read_at.remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // Plain data: a poisoned lock is used as it is.
        self.read_at.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where the counters live.
#[derive(Clone, Default)]
pub enum Limiter {
    /// The `throttle_counters` table.
    #[default]
    Database,
    /// A Redis server; keys start with the prefix, so deployments can share a server.
    #[cfg(feature = "redis")]
    Redis(redis::aio::ConnectionManager, String),
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database => f.write_str("Limiter::Database"),
            #[cfg(feature = "redis")]
            Self::Redis(_, prefix) => write!(f, "Limiter::Redis({prefix})"),
        }
    }
}

/// The key has counted too much; it may try again after `retry_after_secs`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; try again in {}", describe(*.retry_after_secs))]
pub struct Throttled {
    /// Seconds until the window ends.
    pub retry_after_secs: u64,
}

impl Throttled {
    /// "N minutes" or "N seconds", for messages.
    pub fn wait(&self) -> String {
        describe(self.retry_after_secs)
    }
}

fn describe(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} seconds"),
        60..=119 => "1 minute".to_owned(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// A digest of `value` for use in a key (keyed, so it cannot be reversed by guessing).
pub fn key_digest(provider: &Provider, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(&provider.hasher().hash(value).as_bytes()[..16])
}

fn window_secs(policy: &ThrottlePolicy) -> i64 {
    i64::try_from(policy.window.as_secs()).unwrap_or(i64::MAX)
}

/// (count, seconds until the window ends) of each key, if its window is live; one read for
/// all of them.
async fn current(
    provider: &Provider,
    checks: &[(&str, &ThrottlePolicy)],
) -> Result<Vec<Option<(i64, i64)>>, String> {
    let now = provider.clock().unix();
    let keys: Vec<&str> = checks.iter().map(|(key, _)| *key).collect();
    match provider.limiter() {
        Limiter::Database => {
            let rows = provider
                .store()
                .throttle_counts(&keys)
                .await
                .map_err(|e| e.to_string())?;
            Ok(checks
                .iter()
                .map(|(key, policy)| {
                    let window = window_secs(policy);
                    rows.iter()
                        .find(|(found, _, _)| found == key)
                        .filter(|(_, _, start)| *start > now - window)
                        .map(|(_, count, start)| (*count, start + window - now))
                })
                .collect())
        }
        #[cfg(feature = "redis")]
        Limiter::Redis(redis, prefix) => {
            let keys: Vec<String> = keys.iter().map(|key| redis_key(prefix, key)).collect();
            redis_current(redis.clone(), &keys).await
        }
    }
}

/// Adds one to `key`; returns (count, seconds until the window ends).
async fn increment(
    provider: &Provider,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<(i64, i64), String> {
    // Forgotten before and after the write: a check that read the counter in between does not
    // remember the count without this event.
    provider.under_limit().forget(key);
    let now = provider.clock().unix();
    let window = window_secs(policy);
    let counted = match provider.limiter() {
        Limiter::Database => provider
            .store()
            .throttle_hit(key, now, now - window)
            .await
            .map(|(count, start)| (count, start + window - now))
            .map_err(|e| e.to_string()),
        #[cfg(feature = "redis")]
        Limiter::Redis(redis, prefix) => {
            redis_increment(redis.clone(), &redis_key(prefix, key), window).await
        }
    };
    provider.under_limit().forget(key);
    counted
}

fn throttled(remaining: i64) -> Throttled {
    Throttled {
        retry_after_secs: u64::try_from(remaining).unwrap_or(0).max(1),
    }
}

/// Refuses when `key` has reached its limit in the current window (for failure counters).
pub async fn check(provider: &Provider, key: &Key) -> Result<(), Throttled> {
    check_all(provider, &[key]).await
}

/// Refuses when any of the keys has reached its limit (with the longest wait among them);
/// reads all counters at once.
pub async fn check_all(provider: &Provider, keys: &[&Key]) -> Result<(), Throttled> {
    let policies: Vec<ThrottlePolicy> = keys
        .iter()
        .map(|key| key.policy(provider.settings()))
        .collect();
    let checks: Vec<(&str, &ThrottlePolicy)> = keys
        .iter()
        .zip(&policies)
        .map(|(key, policy)| (key.as_str(), policy))
        .collect();
    let memory = provider.under_limit();
    if memory.all_fresh(&checks) {
        return Ok(());
    }
    let read_at = Instant::now();
    let forgets = memory.forgets.load(Ordering::Acquire);
    match current(provider, &checks).await {
        Ok(found) => {
            let mut wait = None;
            for ((key, policy), found) in checks.iter().zip(found) {
                match found {
                    Some((count, remaining)) if count >= i64::from(policy.limit) => {
                        memory.forget(key);
                        wait = wait.max(Some(remaining));
                    }
                    _ => memory.remember(key, read_at, forgets),
                }
            }
            wait.map_or(Ok(()), |remaining| Err(throttled(remaining)))
        }
        Err(e) => {
            // Failing open keeps logins working while the counter store hiccups; it is logged.
            tracing::error!(error = %e, "cannot read a throttle counter");
            Ok(())
        }
    }
}

/// Counts one failure for each key.
pub async fn record(provider: &Provider, keys: &[&Key]) -> Result<(), StoreError> {
    for key in keys {
        increment(provider, key.as_str(), &key.policy(provider.settings()))
            .await
            .map_err(|e| StoreError::Backend(e.into()))?;
    }
    Ok(())
}

/// Counts one attempt on each key in order and refuses it at the first key that exceeds its
/// limit (every request counts). The keys after that one are not counted: a request refused
/// per network does not use up the per-account or global count of everyone else.
pub async fn hit(provider: &Provider, keys: &[&Key]) -> Result<(), Throttled> {
    for key in keys {
        let policy = key.policy(provider.settings());
        match increment(provider, key.as_str(), &policy).await {
            Ok((count, remaining)) if count > i64::from(policy.limit) => {
                return Err(throttled(remaining));
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot count a rate-limited request");
            }
        }
    }
    Ok(())
}

/// Forgets `key` (after a success).
pub async fn reset(provider: &Provider, key: &Key) -> Result<(), StoreError> {
    let key = key.as_str();
    provider.under_limit().forget(key);
    match provider.limiter() {
        Limiter::Database => provider.store().throttle_reset(key).await,
        #[cfg(feature = "redis")]
        Limiter::Redis(redis, prefix) => {
            let mut redis = redis.clone();
            redis::cmd("DEL")
                .arg(redis_key(prefix, key))
                .query_async::<()>(&mut redis)
                .await
                .map_err(|e| StoreError::Backend(Box::new(e)))
        }
    }
}

#[cfg(feature = "redis")]
fn redis_key(prefix: &str, key: &str) -> String {
    format!("{prefix}:throttle:{key}")
}

#[cfg(feature = "redis")]
async fn redis_current(
    mut redis: redis::aio::ConnectionManager,
    keys: &[String],
) -> Result<Vec<Option<(i64, i64)>>, String> {
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.get(key).ttl(key);
    }
    let values: Vec<(Option<i64>, i64)> = pipe
        .query_async::<Vec<redis::Value>>(&mut redis)
        .await
        .map_err(|e| e.to_string())?
        .chunks(2)
        .map(|pair| match pair {
            [count, ttl] => Ok((
                redis::from_redis_value::<Option<i64>>(count.clone()).map_err(|e| e.to_string())?,
                redis::from_redis_value::<i64>(ttl.clone()).map_err(|e| e.to_string())?,
            )),
            _ => Err("redis answered an odd number of values".to_owned()),
        })
        .collect::<Result<_, String>>()?;
    Ok(values
        .into_iter()
        .map(|(count, ttl)| count.map(|count| (count, ttl.max(0))))
        .collect())
}

#[cfg(feature = "redis")]
async fn redis_increment(
    mut redis: redis::aio::ConnectionManager,
    key: &str,
    window: i64,
) -> Result<(i64, i64), String> {
    // One transaction: start the window if there is none, count, read what is left of it.
    let (count, ttl): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(key)
        .arg(0)
        .arg("EX")
        .arg(window)
        .arg("NX")
        .ignore()
        .incr(key, 1)
        .ttl(key)
        .query_async(&mut redis)
        .await
        .map_err(|e| e.to_string())?;
    Ok((count, ttl.max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_addresses_count_alone_and_ipv6_addresses_by_their_64() {
        assert_eq!(Network::of("192.0.2.7").as_str(), "192.0.2.7");
        assert_eq!(
            Network::of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            Network::of("2001:db8:1:2::1")
        );
        assert_eq!(Network::of("2001:db8:1:2::1").as_str(), "2001:db8:1:2::/64");
        assert_ne!(
            Network::of("2001:db8:1:2::1"),
            Network::of("2001:db8:1:3::1")
        );
        assert_eq!(Network::of("::ffff:192.0.2.7").as_str(), "192.0.2.7");
    }

    #[test]
    fn every_feature_has_its_own_prefix_and_both_limits() {
        let settings = Settings::new(
            crate::Issuer::parse("https://auth.example.com").unwrap(),
            crate::keys::KeyPolicy {
                algorithm: crate::keys::SigningAlgorithm::Es256,
                rsa_bits: 2048,
                publish_delay: Duration::ZERO,
                retired_key_lifetime: Duration::ZERO,
            },
        );
        let mut names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            Feature::ALL.len(),
            "two features share a counter"
        );
        for feature in Feature::ALL {
            let limit = Limit::of(&settings, feature);
            for policy in [limit.per_account, limit.per_network] {
                assert!(policy.limit >= 1 && !policy.window.is_zero(), "{feature:?}");
            }
        }
    }
}
