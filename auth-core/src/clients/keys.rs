//! The keys a client signs with: its registered `jwks`, or the set published at its
//! `jwks_uri`, fetched and cached (RFC 7591 section 2).
//!
//! A fetched set is used for [`JWKS_TTL_SECS`]. A token naming a `kid` the cached set lacks
//! (the client rotated its keys) fetches the set again at once, but at most every
//! [`REFETCH_FLOOR_SECS`] per URI, so a stream of tokens with made-up `kid`s cannot turn the server
//! into a request generator against the client's host. A fetch has a five-second timeout,
//! follows no redirect and reads at most [`MAX_JWKS_BYTES`].

use super::Client;
use auth_jose::jws::{JwsError, Rules, Verified};
use auth_jose::{ClientKeys, jws};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Seconds a fetched key set is used before it is fetched again.
pub const JWKS_TTL_SECS: i64 = 300;
/// Least seconds between two fetches of one URI.
pub const REFETCH_FLOOR_SECS: i64 = 30;
/// Largest key set document read.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// URIs remembered at most; past it the cache starts over.
const MAX_ENTRIES: usize = 1024;

/// Why something a client signed was not verified.
#[derive(Debug, thiserror::Error)]
pub enum ClientJwtError {
    /// The client has no keys.
    #[error("client `{0}` has registered no keys (jwks or jwks_uri)")]
    NoKeys(String),
    /// The client's `jwks_uri` could not be read.
    #[error("the keys of client `{client}` could not be fetched from its jwks_uri: {reason}")]
    Fetch {
        /// The client.
        client: String,
        /// What failed.
        reason: String,
    },
    /// The registered set no longer parses.
    #[error("the keys of client `{client}` are unusable: {reason}")]
    Keys {
        /// The client.
        client: String,
        /// What is wrong.
        reason: String,
    },
    /// The JWS did not verify.
    #[error(transparent)]
    Jws(#[from] JwsError),
}

struct Entry {
    keys: Arc<ClientKeys>,
    /// The provider's clock, seconds.
    fetched_at: i64,
}

/// Key sets fetched from clients' `jwks_uri`s, shared by every request of this replica.
pub struct JwksCache {
    http: reqwest::Client,
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache").finish_non_exhaustive()
    }
}

impl Default for JwksCache {
    fn default() -> Self {
        Self::new()
    }
}

impl JwksCache {
    /// An empty cache.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached set of `uri`, if fetched less than `max_age` seconds before `now`.
    fn cached(&self, uri: &str, now: i64, max_age: i64) -> Option<Arc<ClientKeys>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(uri)
            .filter(|entry| now - entry.fetched_at < max_age)
            .map(|entry| entry.keys.clone())
    }

    /// The set at `uri`: cached, or fetched when older than `max_age` seconds at `now`.
    async fn keys(&self, uri: &str, now: i64, max_age: i64) -> Result<Arc<ClientKeys>, String> {
        if let Some(keys) = self.cached(uri, now, max_age) {
            return Ok(keys);
        }
        let keys = Arc::new(self.fetch(uri).await?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            uri.to_owned(),
            Entry {
                keys: keys.clone(),
                fetched_at: now,
            },
        );
        Ok(keys)
    }

    async fn fetch(&self, uri: &str) -> Result<ClientKeys, String> {
        let mut response = self
            .http
            .get(uri)
            .header("accept", "application/jwk-set+json, application/json")
            .send()
            .await
            .map_err(|e| format!("the request failed ({})", without_url(&e)))?;
        if !response.status().is_success() {
            return Err(format!("it answered {}", response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading the answer failed ({})", without_url(&e)))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!(
                    "the document is larger than {MAX_JWKS_BYTES} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| "the document is not JSON".to_owned())?;
        ClientKeys::parse(&json).map_err(|e| e.to_string())
    }
}

/// What went wrong with a fetch, in words that never repeat the URL (the client chose it).
fn without_url(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "redirects are not followed"
    } else {
        "transport error"
    }
}

/// Verifies a compact JWS `client` signed, under `rules`, with its registered keys; `now` is
/// the provider's clock.
pub async fn verify(
    cache: &JwksCache,
    now: i64,
    client: &Client,
    token: &str,
    rules: &Rules<'_>,
) -> Result<Verified, ClientJwtError> {
    let id = client.id.to_string();
    if let Some(jwks) = &client.security.jwks {
        let keys = ClientKeys::parse(jwks).map_err(|e| ClientJwtError::Keys {
            client: id.clone(),
            reason: e.to_string(),
        })?;
        return Ok(keys.verify(token, rules)?);
    }
    let Some(uri) = &client.security.jwks_uri else {
        return Err(ClientJwtError::NoKeys(id));
    };
    let fetch_failed = |reason| ClientJwtError::Fetch {
        client: id.clone(),
        reason,
    };
    let keys = cache
        .keys(uri, now, JWKS_TTL_SECS)
        .await
        .map_err(fetch_failed)?;
    match keys.verify(token, rules) {
        // The client may have rotated its keys since the set was fetched.
        Err(JwsError::UnknownKey(kid)) => {
            let refetched = cache
                .keys(uri, now, REFETCH_FLOOR_SECS)
                .await
                .map_err(fetch_failed)?;
            if Arc::ptr_eq(&refetched, &keys) {
                return Err(JwsError::UnknownKey(kid).into());
            }
            Ok(refetched.verify(token, rules)?)
        }
        other => Ok(other?),
    }
}

/// The claims of a JWT, read without verifying it: only to learn which client sent it, whose
/// keys then verify it.
pub fn peek_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if token.len() > jws::MAX_TOKEN_LEN {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}
