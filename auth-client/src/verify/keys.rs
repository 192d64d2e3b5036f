//! The issuer's signing keys, fetched from `jwks_uri` and kept in memory.
//!
//! - Keys are parsed once per fetch and shared; a verification only looks one up.
//! - An unknown `kid` triggers a fetch (the issuer may have rotated), **single-flight**: the
//!   tasks that miss together wait for one fetch and then look again.
//! - A **floor** between fetches: within it an unknown `kid` is refused without fetching, so
//!   a flood of forged tokens cannot hammer the issuer. The floor counts from the last
//!   attempt, failed or not.
//! - A **maximum age**: the JWKS response's `Cache-Control: max-age`, capped by the
//!   configured maximum and raised to at least the floor. Past it, the next verification
//!   fetches again (lazily, no background task); the other tasks keep using the cached keys
//!   meanwhile, and keep them if the fetch fails.

use super::VerifyError;
use crate::clock::{Clock, later};
use crate::transport::{FetchError, send_json};
use arc_swap::ArcSwap;
use auth_jose::{Jwk, JwkError, PublicKey};
use reqwest::header::{CACHE_CONTROL, HeaderMap};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// One fetched key set.
struct KeySet {
    /// Counts fetches, so a task that waited for the refresh lock sees whether one happened.
    generation: u64,
    keys: HashMap<String, Arc<PublicKey>>,
    stale_at: SystemTime,
}

/// Fetch bookkeeping, behind the single-flight lock.
struct FetchState {
    last_attempt: Option<SystemTime>,
}

pub(crate) struct KeyCache {
    jwks_uri: String,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    floor: Duration,
    max_age: Duration,
    /// Read on every verification, replaced once per fetch: an `ArcSwap`, whose reads write
    /// nothing shared, so threads verifying at once do not contend for a lock's cache line.
    current: ArcSwap<KeySet>,
    fetch: Mutex<FetchState>,
}

impl KeyCache {
    /// Fetches the key set once, so a misconfigured issuer fails at start-up.
    pub async fn load(
        jwks_uri: String,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
        floor: Duration,
        max_age: Duration,
    ) -> Result<Self, FetchError> {
        let cache = Self {
            jwks_uri,
            http,
            current: ArcSwap::from_pointee(KeySet {
                generation: 0,
                keys: HashMap::new(),
                stale_at: clock.now(),
            }),
            clock,
            floor,
            max_age: max_age.max(floor),
            fetch: Mutex::new(FetchState { last_attempt: None }),
        };
        {
            let mut state = cache.fetch.lock().await;
            cache.fetch_locked(&mut state).await?;
        }
        Ok(cache)
    }

    /// Runs `use_key` with the key named `kid` when the set cached at `now` is fresh and has
    /// it: the common case, with no waiting and no reference count taken to the set or the
    /// key. `None` otherwise: then [`key`](Self::key).
    pub fn with_fresh_key<T>(
        &self,
        kid: &str,
        now: SystemTime,
        use_key: impl FnOnce(&PublicKey) -> T,
    ) -> Option<T> {
        let current = self.current.load();
        let key = current.keys.get(kid)?;
        (now < current.stale_at).then(|| use_key(key))
    }

    /// The key named `kid`, fetching the key set again when it is unknown or stale.
    pub async fn key(&self, kid: &str) -> Result<Arc<PublicKey>, VerifyError> {
        let seen = self.current();
        let unknown = || VerifyError::UnknownKey(kid.to_owned());
        match seen.keys.get(kid) {
            Some(key) if self.clock.now() < seen.stale_at => Ok(key.clone()),
            Some(key) => {
                // Stale: one task fetches, the others go on with the cached key.
                let Ok(mut state) = self.fetch.try_lock() else {
                    return Ok(key.clone());
                };
                if self.current().generation != seen.generation || !self.may_fetch(&state) {
                    return self.current().keys.get(kid).cloned().ok_or_else(unknown);
                }
                match self.fetch_locked(&mut state).await {
                    Ok(fresh) => fresh.keys.get(kid).cloned().ok_or_else(unknown),
                    Err(error) => {
                        tracing::warn!(%error, "cannot refresh the issuer's keys; using the cached ones");
                        Ok(key.clone())
                    }
                }
            }
            None => {
                let mut state = self.fetch.lock().await;
                let latest = self.current();
                if latest.generation != seen.generation {
                    // Another task fetched while this one waited: that answer counts.
                    return latest.keys.get(kid).cloned().ok_or_else(unknown);
                }
                if !self.may_fetch(&state) {
                    return Err(unknown());
                }
                let fresh = self
                    .fetch_locked(&mut state)
                    .await
                    .map_err(VerifyError::Jwks)?;
                fresh.keys.get(kid).cloned().ok_or_else(unknown)
            }
        }
    }

    fn current(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    fn may_fetch(&self, state: &FetchState) -> bool {
        let now = self.clock.now();
        state
            .last_attempt
            .is_none_or(|at| now.duration_since(at).unwrap_or_default() >= self.floor)
    }

    /// Fetches and installs the key set; the caller holds the fetch lock.
    async fn fetch_locked(&self, state: &mut FetchState) -> Result<Arc<KeySet>, FetchError> {
        let now = self.clock.now();
        state.last_attempt = Some(now);
        let (body, headers): (RawKeySet, _) =
            send_json(&self.jwks_uri, self.http.get(&self.jwks_uri)).await?;
        let keys = body
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| Some((jwk.kid.clone(), Arc::new(parse_key(&jwk)?))))
            .collect();
        let max_age =
            cache_max_age(&headers).map_or(self.max_age, |age| age.clamp(self.floor, self.max_age));
        let fresh = Arc::new(KeySet {
            generation: self.current().generation + 1,
            keys,
            stale_at: later(now, max_age),
        });
        self.current.store(fresh.clone());
        Ok(fresh)
    }
}

/// The body of `jwks_uri`, each key parsed on its own so one odd key does not hide the rest.
#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// The verification key of a signing JWK (RS256, ES256 or EdDSA, see
/// [`PublicKey::from_jwk`]). Keys of other types, curves, algorithms or uses are left out: a
/// token naming them is signed with an unknown key.
fn parse_key(jwk: &Jwk) -> Option<PublicKey> {
    match PublicKey::from_jwk(jwk) {
        Ok(key) => Some(key),
        Err(JwkError::Unsupported) => None,
        Err(JwkError::Rejected(error)) => {
            tracing::warn!(kid = %jwk.kid, alg = %jwk.alg, %error, "the issuer publishes an unusable key");
            None
        }
    }
}

/// `max-age` of a `Cache-Control` header; `no-cache` and `no-store` count as zero.
fn cache_max_age(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|directive| {
        if directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store")
        {
            return Some(Duration::ZERO);
        }
        let (name, seconds) = directive.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| seconds.trim().parse().ok().map(Duration::from_secs))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(cache_control: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_str(cache_control).unwrap());
        headers
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            cache_max_age(&headers("public, max-age=150")),
            Some(Duration::from_secs(150))
        );
        assert_eq!(cache_max_age(&headers("no-store")), Some(Duration::ZERO));
        assert_eq!(cache_max_age(&headers("public")), None);
        assert_eq!(cache_max_age(&HeaderMap::new()), None);
    }
}
