//! Fixed-window counters for login throttling and rate limits, shared by every replica: in the
//! database by default, or in Redis when configured.
//!
//! A key (an account, a client address, a client id) may count `limit` events per window;
//! past that it is refused until the window ends. Keys that name a person are digests, so
//! e-mail addresses are not stored.

use crate::Provider;
use crate::store::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::Duration;

/// How many events a key may count per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Events allowed in one window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
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

/// (count, seconds until the window ends) of `key`, if its window is live.
async fn current(
    provider: &Provider,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<Option<(i64, i64)>, String> {
    let now = provider.clock().unix();
    let window = window_secs(policy);
    match provider.limiter() {
        Limiter::Database => provider
            .store()
            .throttle_count(key, now - window)
            .await
            .map(|found| found.map(|(count, start)| (count, start + window - now)))
            .map_err(|e| e.to_string()),
        #[cfg(feature = "redis")]
        Limiter::Redis(redis, prefix) => {
            redis_current(redis.clone(), &redis_key(prefix, key)).await
        }
    }
}

/// Adds one to `key`; returns (count, seconds until the window ends).
async fn increment(
    provider: &Provider,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<(i64, i64), String> {
    let now = provider.clock().unix();
    let window = window_secs(policy);
    match provider.limiter() {
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
    }
}

fn throttled(remaining: i64) -> Throttled {
    Throttled {
        retry_after_secs: u64::try_from(remaining).unwrap_or(0).max(1),
    }
}

/// Refuses when `key` has reached its limit in the current window (for failure counters).
pub async fn check(
    provider: &Provider,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<(), Throttled> {
    match current(provider, key, policy).await {
        Ok(Some((count, remaining))) if count >= i64::from(policy.limit) => {
            Err(throttled(remaining))
        }
        Ok(_) => Ok(()),
        Err(e) => {
            // Failing open keeps logins working while the counter store hiccups; it is logged.
            tracing::error!(error = %e, "cannot read a throttle counter");
            Ok(())
        }
    }
}

/// Counts one failure for `key`.
pub async fn record(
    provider: &Provider,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<(), StoreError> {
    increment(provider, key, policy)
        .await
        .map(|_| ())
        .map_err(|e| StoreError::Backend(e.into()))
}

/// Counts one attempt and refuses it if that exceeds the limit (every request counts).
pub async fn hit(provider: &Provider, key: &str, policy: &ThrottlePolicy) -> Result<(), Throttled> {
    match increment(provider, key, policy).await {
        Ok((count, remaining)) if count > i64::from(policy.limit) => Err(throttled(remaining)),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "cannot count a rate-limited request");
            Ok(())
        }
    }
}

/// Forgets `key` (after a success).
pub async fn reset(provider: &Provider, key: &str) -> Result<(), StoreError> {
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
    key: &str,
) -> Result<Option<(i64, i64)>, String> {
    let (count, ttl): (Option<i64>, i64) = redis::pipe()
        .get(key)
        .ttl(key)
        .query_async(&mut redis)
        .await
        .map_err(|e| e.to_string())?;
    Ok(count.map(|count| (count, ttl.max(0))))
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
