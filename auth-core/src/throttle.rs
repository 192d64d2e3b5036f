//! Fixed-window counters for login throttling and rate limits, shared by every replica: in the
//! database by default, or in Redis when configured.
//!
//! A key (an account, a client address, a client id) may count `limit` events per window;
//! past that it is refused until the window ends. Keys that name a person are digests, so
//! e-mail addresses are not stored.
//!
//! A failure counter read below its limit is trusted for `counter_cache_ttl` (one second by
//! default), so the token endpoint does not read the counters of a well-behaved client on every
//! request. Every failure this replica records forgets that memory for its key, so repeated
//! failures here are always counted against the shared counter; failures recorded at other
//! replicas are seen after at most the ttl, which lets at most one extra attempt per replica
//! and ttl through. A counter at its limit is never remembered: it is read on every check.

use crate::Provider;
use crate::store::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
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
pub async fn check(
    provider: &Provider,
    key: &str,
    policy: &ThrottlePolicy,
) -> Result<(), Throttled> {
    check_all(provider, &[(key, policy)]).await
}

/// Refuses when any of the keys has reached its limit (with the longest wait among them);
/// reads all counters at once.
pub async fn check_all(
    provider: &Provider,
    checks: &[(&str, &ThrottlePolicy)],
) -> Result<(), Throttled> {
    let memory = provider.under_limit();
    if memory.all_fresh(checks) {
        return Ok(());
    }
    let read_at = Instant::now();
    let forgets = memory.forgets.load(Ordering::Acquire);
    match current(provider, checks).await {
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
