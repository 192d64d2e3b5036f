//! The keys a client signs with: its registered `jwks`, or the set published at its
//! `jwks_uri`, fetched and cached (RFC 7591 section 2).
//!
//! A fetched set is used for [`JWKS_TTL_SECS`]. A token naming a `kid` the cached set lacks
//! (the client rotated its keys) fetches the set again at once, but at most every
//! [`REFETCH_FLOOR_SECS`] per URI, and a failed fetch is remembered as long, so a stream of
//! tokens cannot turn the server into a request generator against the client's host. A fetch
//! has a five-second timeout, follows no redirect, reads at most [`MAX_JWKS_BYTES`], and never
//! connects to a loopback, private, link-local or otherwise non-public address (the URI is the
//! client's choice: server-side request forgery) unless the server itself runs on loopback
//! (development). What went wrong is logged, not told to the caller.

use super::Client;
use auth_jose::jws::{JwsError, Rules, Verified};
use auth_jose::{ClientKeys, jws};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
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
    /// The set, or the failure, of the last fetch.
    keys: Result<Arc<ClientKeys>, String>,
    /// The provider's clock, seconds.
    fetched_at: i64,
}

/// Key sets fetched from clients' `jwks_uri`s, shared by every request of this replica.
pub struct JwksCache {
    /// `Err` when the client could not be built: every fetch then fails (never a client
    /// without the address rules).
    http: Result<reqwest::Client, String>,
    entries: Mutex<HashMap<String, Entry>>,
    allow_private: bool,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache").finish_non_exhaustive()
    }
}

impl JwksCache {
    /// An empty cache; `allow_private` lets fetches reach loopback and private addresses (a
    /// server on loopback, in development and tests).
    pub fn new(allow_private: bool) -> Self {
        let http = client_url_http(Duration::from_secs(5), allow_private).map_err(|e| {
            tracing::error!(error = %e, "cannot build the HTTP client for clients' URLs");
            "the server's HTTP client is unavailable".to_owned()
        });
        Self {
            http,
            entries: Mutex::new(HashMap::new()),
            allow_private,
        }
    }

    /// What the last fetch of `uri` gave, if it was less than `max_age` seconds before `now`
    /// (a failure counts for [`REFETCH_FLOOR_SECS`] whatever `max_age` is).
    fn cached(&self, uri: &str, now: i64, max_age: i64) -> Option<Result<Arc<ClientKeys>, String>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(uri)
            .filter(|entry| {
                let age = now - entry.fetched_at;
                match entry.keys {
                    Ok(_) => age < max_age,
                    Err(_) => age < REFETCH_FLOOR_SECS,
                }
            })
            .map(|entry| entry.keys.clone())
    }

    /// The set at `uri`: cached, or fetched when older than `max_age` seconds at `now`.
    async fn keys(&self, uri: &str, now: i64, max_age: i64) -> Result<Arc<ClientKeys>, String> {
        if let Some(cached) = self.cached(uri, now, max_age) {
            return cached;
        }
        let keys = self.fetch(uri).await.map(Arc::new).map_err(|reason| {
            tracing::warn!(%reason, "cannot fetch a client's jwks_uri");
            "it did not answer with a usable key set".to_owned()
        });
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
        keys
    }

    async fn fetch(&self, uri: &str) -> Result<ClientKeys, String> {
        let json = self.fetch_json(uri).await?;
        ClientKeys::parse(&json).map_err(|e| e.to_string())
    }

    /// Reads the JSON document a client publishes at `uri` (a key set, a sector identifier
    /// list), with the limits of the module docs; the error is for the log.
    pub async fn fetch_json(&self, uri: &str) -> Result<serde_json::Value, String> {
        // An address in the URL is never resolved, so the resolver cannot check it.
        let host = url::Url::parse(uri)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>()
            && !self.allow_private
            && !is_public(ip)
        {
            return Err(format!("{uri} names a non-public address"));
        }
        let mut response = self
            .http
            .as_ref()
            .map_err(Clone::clone)?
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
        serde_json::from_slice(&body).map_err(|_| "the document is not JSON".to_owned())
    }
}

/// A resolver that drops every address a client's URL must not reach.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| allow_private || is_public(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, unique local),
/// link-local (cloud metadata services live there), shared (RFC 6598), unspecified,
/// multicast, broadcast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            // Only global unicast (2000::/3, RFC 4291 section 2.4), which leaves out loopback,
            // unique local, link-local, site-local (fec0::/10), multicast, IPv4-compatible
            // (::/96) and IPv4-translated forms, and NAT64 (64:ff9b::/96, 64:ff9b:1::/48:
            // a gateway would carry them to private IPv4 addresses). Within it, the prefixes
            // that embed or tunnel to an IPv4 address the server cannot check (6to4
            // 2002::/16, Teredo 2001::/32) and documentation (2001:db8::/32) are refused.
            let [first, second, ..] = v6.segments();
            (first & 0xe000) == 0x2000
                && first != 0x2002
                && !(first == 0x2001 && (second == 0 || second == 0x0db8))
        }
    }
}

/// Checks a URL a client registers for the server to reach (`jwks_uri`,
/// `backchannel_logout_uri`): absolute, https without credentials or fragment, on a public
/// host; http and loopback or private hosts only when `allow_http` (the server itself runs on
/// http, in development). The message names `field`.
pub fn check_client_url(field: &str, uri: &str, allow_http: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(uri).map_err(|_| format!("{field} `{uri}` is not a URL"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    let private_literal = url
        .host_str()
        .and_then(|host| host.trim_matches(['[', ']']).parse::<IpAddr>().ok())
        .is_some_and(|ip| !is_public(ip));
    if !allow_http && (private_literal || url.host_str() == Some("localhost")) {
        return Err(format!(
            "{field} `{uri}` must name a public host: the server does not connect to loopback, private or link-local addresses"
        ));
    }
    let allowed = url.scheme() == "https" || (url.scheme() == "http" && allow_http && loopback);
    if !allowed || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{field} `{uri}` must be an https URL without credentials or fragment"
        ));
    }
    Ok(url)
}

/// The HTTP client for the URLs clients register for the server to reach (`jwks_uri`,
/// `sector_identifier_uri`, `backchannel_logout_uri`): `timeout`, no redirects, only the
/// addresses [`is_public`] allows (unless `allow_private`), and never through a proxy from the
/// environment (`HTTPS_PROXY`...): a proxy resolves the client's host itself, past the
/// resolver, and would reach internal names and addresses for it.
pub(crate) fn client_url_http(
    timeout: Duration,
    allow_private: bool,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(public_only_resolver(allow_private))
        .build()
}

/// A resolver that drops every address a client's URL must not reach; `allow_private` (a
/// server on loopback) lets every address through.
fn public_only_resolver(allow_private: bool) -> Arc<dyn reqwest::dns::Resolve> {
    Arc::new(PublicOnly { allow_private })
}

/// What went wrong with a fetch, in words that never repeat the URL (the client chose it).
pub(crate) fn without_url(error: &reqwest::Error) -> &'static str {
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
    // The header first: a token that cannot pass (no JWS, an algorithm not allowed) costs no key
    // parsing and no fetch of the client's key set.
    auth_jose::jws::Unverified::parse(token, rules)?;
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

/// Verifies a JWT `client` signed for this server (an assertion, a request object): its keys,
/// the algorithms it may use (FAPI 2.0 narrows them), any `typ` (the caller checks it), `kid`
/// optional.
pub async fn verify_client_jwt(
    provider: &crate::Provider,
    client: &Client,
    token: &str,
) -> Result<Verified, ClientJwtError> {
    let rules = Rules {
        algorithms: crate::fapi::client_algorithms(provider, client),
        ..super::assertion::CLIENT_JWT
    };
    verify(
        provider.client_jwks(),
        provider.clock().unix(),
        client,
        token,
        &rules,
    )
    .await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            // Forms that embed, translate or tunnel to an IPv4 address, and site-local.
            "::10.0.0.1",
            "::ffff:0:a00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "2001::a00:1",
            "2001:db8::1",
            "fec0::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_production_server_never_connects_to_a_private_address() {
        // A listener on loopback counts the connections it gets.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(socket);
            }
        });
        let uris = [
            format!("https://127.0.0.1:{port}/jwks"),
            format!("https://localhost:{port}/jwks"),
            format!("https://[::ffff:127.0.0.1]:{port}/jwks"),
        ];
        let production = JwksCache::new(false);
        for uri in &uris {
            assert!(production.fetch(uri).await.is_err(), "{uri}");
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
        // On loopback (development) the same fetch connects: the listener would have seen it.
        let development = JwksCache::new(true);
        assert!(development.fetch(&uris[0]).await.is_err(), "not TLS");
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
