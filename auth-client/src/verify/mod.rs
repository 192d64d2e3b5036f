//! Verifying access tokens offline: JWTs of the RFC 9068 profile signed with RS256, ES256 or
//! EdDSA (Ed25519), checked against the issuer's published keys; each key verifies only the
//! algorithm its JWK states.
//!
//! The JOSE part (header rules, keys, signatures) is `auth-jose`'s; here are the key cache, the
//! RFC 9068 claim checks and introspection.
//!
//! Knows nothing of HTTP servers; the `axum` module (feature `axum`) builds on it.

mod claims;
mod error;
// Hidden entry point for the fuzz targets in `fuzz/` (see the module docs).
#[doc(hidden)]
pub mod fuzzing;
mod introspection;
mod jwt;
mod keys;
mod logout;

pub use claims::Claims;
pub use error::VerifyError;
pub use logout::{LogoutToken, LogoutTokenError, LogoutVerifier};

use crate::clock::{self, Clock, SystemClock};
use crate::credentials::ClientCredentials;
use crate::discovery::{DiscoveryError, discover};
use crate::dpop::SeenProofs;
use crate::transport::{default_http_client, http_and_clock_settings};
use introspection::Introspector;
use keys::KeyCache;
use std::sync::Arc;
use std::time::Duration;

/// Checks bearer tokens issued by one authorization server for one audience.
///
/// Cheap to clone: clones share the key cache. Build it once at start-up with
/// [`Verifier::builder`] (or [`Verifier::new`] for the defaults).
///
/// ```no_run
/// # async fn run() -> Result<(), auth_client::VerifyError> {
/// use auth_client::Verifier;
///
/// let verifier = Verifier::new("https://id.example.com", "https://tickets.example.com").await?;
/// let claims = verifier.verify("eyJhbGciOiJSUzI1NiIs...").await?;
/// if claims.has_scope("tickets:write") {
///     println!("{} may write tickets", claims.sub);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    realm: String,
    leeway: Duration,
    clock: Arc<dyn Clock>,
    keys: KeyCache,
    introspection: Option<Introspector>,
    public_url: Option<String>,
    dpop_seen: SeenProofs,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("introspection", &self.inner.introspection.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with the default settings; see [`VerifierBuilder::build`].
    pub async fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, VerifyError> {
        Self::builder(issuer, audience).build().await
    }

    /// Settings for a verifier of tokens from `issuer` (the exact issuer identifier, e.g.
    /// `https://id.example.com`) meant for `audience` (the server's `tokens.audience`, which
    /// defaults to the issuer).
    pub fn builder(issuer: impl Into<String>, audience: impl Into<String>) -> VerifierBuilder {
        VerifierBuilder {
            issuer: issuer.into(),
            audience: audience.into(),
            realm: None,
            leeway: Duration::from_secs(60),
            refresh_floor: Duration::from_secs(30),
            max_cache_age: Duration::from_secs(600),
            introspection: None,
            introspection_ttl: Duration::from_secs(10),
            http: None,
            clock: Arc::new(SystemClock),
            public_url: None,
        }
    }

    /// Verifies `token` (the bare JWT, without `Bearer `) and returns its claims.
    ///
    /// Checks, in order: the header (`alg` is RS256, ES256 or EdDSA, `typ` is `at+jwt`, a
    /// `kid`), that the published key of that `kid` is a key of that `alg`, the signature with
    /// it, then `iss`, `aud`, `exp` and `nbf`
    /// (with the leeway) and the presence of `sub`, `client_id`, `iat` and `jti`
    /// (RFC 9068 sections 2.2 and 4). In introspection mode the server is then asked whether the
    /// token is still active.
    ///
    /// A token bound to a DPoP key (`cnf.jkt`) is refused here ([`VerifyError::DpopBound`]):
    /// it is only good with a proof, see [`verify_dpop`](Self::verify_dpop).
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let claims = self.verify_token(token).await?;
        if claims.dpop_jkt().is_some() {
            return Err(VerifyError::DpopBound);
        }
        Ok(claims)
    }

    /// Verifies a DPoP-bound `token` sent with `Authorization: DPoP` and its `proof` (the
    /// `DPoP` header) for a request of `method` to `url` (the URL the client addressed, as this
    /// service is reached from outside; query and fragment do not count), RFC 9449 section 7.
    ///
    /// Besides everything [`verify`](Self::verify) checks: the token must be bound to a key,
    /// the proof must be signed by that key, be for this method, URL and token, be made within
    /// the last five minutes (and at most a minute ahead, with the leeway), and not have been
    /// seen by this process before. (Several replicas of a service do not share what they saw:
    /// a proof could be replayed once per replica within its five minutes.)
    pub async fn verify_dpop(
        &self,
        token: &str,
        proof: Option<&str>,
        method: &str,
        url: &str,
    ) -> Result<Claims, VerifyError> {
        let claims = self.verify_token(token).await?;
        let Some(bound) = claims.dpop_jkt() else {
            return Err(VerifyError::NotDpopBound);
        };
        let proof = proof.ok_or_else(|| {
            VerifyError::DpopProof("a DPoP proof is required with this token".into())
        })?;
        let request = auth_jose::dpop::Request {
            method,
            url,
            access_token: Some(token),
        };
        let proof = auth_jose::dpop::verify(proof, &request)
            .map_err(|e| VerifyError::DpopProof(e.to_string()))?;
        if proof.jkt != bound {
            return Err(VerifyError::DpopProof(
                "the DPoP proof is signed by another key than the token is bound to".into(),
            ));
        }
        let now = clock::unix(self.inner.clock.now());
        let skew = i64::try_from(self.inner.leeway.as_secs()).unwrap_or(60);
        if proof.iat < now - DPOP_MAX_AGE_SECS || proof.iat > now + skew {
            return Err(VerifyError::DpopProof(
                "the DPoP proof's iat is outside the accepted window".into(),
            ));
        }
        if !self.inner.dpop_seen.first_use(
            &proof.jkt,
            &proof.jti,
            proof.iat + DPOP_MAX_AGE_SECS + skew,
            now,
        ) {
            return Err(VerifyError::DpopProof(
                "the DPoP proof was used before: make a new one for each request".into(),
            ));
        }
        Ok(claims)
    }

    /// The checks common to both schemes.
    async fn verify_token(&self, token: &str) -> Result<Claims, VerifyError> {
        let inner = &self.inner;
        let unverified = jwt::parse(token)?;
        let now = inner.clock.now();
        let (raw, now) = match inner
            .keys
            .with_fresh_key(unverified.kid(), now, |key| jwt::verify(&unverified, key))
        {
            Some(raw) => (raw?, now),
            None => {
                // The fetch is boxed: its future is large, and every verification's future
                // would otherwise carry (and copy) its size.
                let key = Box::pin(inner.keys.key(unverified.kid())).await?;
                (jwt::verify(&unverified, &key)?, inner.clock.now())
            }
        };
        let claims = jwt::check(
            raw,
            &jwt::Expectations {
                issuer: &inner.issuer,
                audience: &inner.audience,
                now: clock::unix(now),
                leeway: inner.leeway,
            },
        )?;
        // Boxed too, for the same reason.
        if let Some(introspector) = &inner.introspection
            && !Box::pin(introspector.is_active(token, claims.exp))
                .await
                .map_err(VerifyError::Introspection)?
        {
            return Err(VerifyError::Inactive);
        }
        Ok(claims)
    }

    /// The issuer tokens must come from.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The audience tokens must be meant for.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// The `realm` of `WWW-Authenticate` challenges (the audience unless set).
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The URL this service is reached at from outside, when set (the axum integration
    /// builds DPoP's `htu` from it).
    pub fn public_url(&self) -> Option<&str> {
        self.inner.public_url.as_deref()
    }
}

/// Oldest a DPoP proof may be, seconds.
const DPOP_MAX_AGE_SECS: i64 = 300;

/// Settings of a [`Verifier`]; [`build`](Self::build) reads the metadata and the keys.
#[must_use]
pub struct VerifierBuilder {
    issuer: String,
    audience: String,
    realm: Option<String>,
    leeway: Duration,
    refresh_floor: Duration,
    max_cache_age: Duration,
    introspection: Option<ClientCredentials>,
    introspection_ttl: Duration,
    http: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    public_url: Option<String>,
}

impl VerifierBuilder {
    /// The URL clients reach this service at (`https://tickets.example.com`), without a
    /// trailing slash: DPoP proofs name the URL they are for (`htu`), and behind a proxy the
    /// request alone does not tell it. Without it the axum integration uses `https://` and the
    /// `Host` header (`http://` for loopback hosts).
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Clock-skew allowance for `exp` and `nbf` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Least time between two fetches of the key set (default 30 s). Within it a token with
    /// an unknown `kid` is refused without asking the issuer.
    pub fn refresh_floor(mut self, floor: Duration) -> Self {
        self.refresh_floor = floor;
        self
    }

    /// Longest time the key set is used before it is fetched again (default 10 min); a shorter
    /// `Cache-Control: max-age` from the issuer wins, but never below the refresh floor.
    pub fn max_cache_age(mut self, age: Duration) -> Self {
        self.max_cache_age = age;
        self
    }

    /// Introspection mode (RFC 7662): after the offline checks, ask the server whether the
    /// token is still active, authenticating as this service's client. Use it where a
    /// revocation must take effect at once rather than at the token's expiry.
    pub fn introspection(mut self, credentials: ClientCredentials) -> Self {
        self.introspection = Some(credentials);
        self
    }

    /// How long an introspection answer is reused (default 10 s); never past the token's
    /// expiry.
    pub fn introspection_cache_ttl(mut self, ttl: Duration) -> Self {
        self.introspection_ttl = ttl;
        self
    }

    /// `realm` of the `WWW-Authenticate` challenges the axum integration sends (default: the
    /// audience).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    http_and_clock_settings!(
        "The HTTP client for metadata, keys and introspection (default: no redirects, 10 s \
         timeout)."
    );

    /// Reads the provider metadata (checking its `issuer` is exactly the configured one) and
    /// fetches the key set once, so a wrong issuer or an unreachable server fails at start-up.
    pub async fn build(self) -> Result<Verifier, VerifyError> {
        let http = self.http.unwrap_or_else(default_http_client);
        let metadata = discover(&http, &self.issuer).await?;
        let keys = KeyCache::load(
            metadata.jwks_uri,
            http.clone(),
            self.clock.clone(),
            self.refresh_floor,
            self.max_cache_age,
        )
        .await
        .map_err(VerifyError::Jwks)?;
        let introspection = match self.introspection {
            Some(credentials) => Some(Introspector::new(
                metadata
                    .introspection_endpoint
                    .ok_or(DiscoveryError::MissingEndpoint("introspection_endpoint"))?,
                credentials,
                http,
                self.clock.clone(),
                self.introspection_ttl,
            )),
            None => None,
        };
        Ok(Verifier {
            inner: Arc::new(Inner {
                realm: self.realm.unwrap_or_else(|| self.audience.clone()),
                issuer: self.issuer,
                audience: self.audience,
                leeway: self.leeway,
                clock: self.clock,
                keys,
                introspection,
                public_url: self.public_url,
                dpop_seen: SeenProofs::default(),
            }),
        })
    }
}
