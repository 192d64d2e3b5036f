//! Client-credentials tokens for the service's own calls
//! ([RFC 6749 section 4.4](https://www.rfc-editor.org/rfc/rfc6749#section-4.4)).
//!
//! One token is cached and shared. It is renewed before it expires, by one request however
//! many tasks ask; while a still-valid token is being renewed, other tasks keep using it.

use crate::clock::{Clock, SystemClock, later};
use crate::credentials::ClientCredentials;
use crate::discovery::{DiscoveryError, discover};
use crate::dpop::DpopKey;
use crate::transport::{FetchError, default_http_client, http_and_clock_settings, send_json};
use auth_proto::token::TokenResponse;
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// Renew when less than this remains (or 10 % of the lifetime, whichever is more).
const MIN_RENEW_MARGIN: Duration = Duration::from_secs(60);

/// An access token of this service. `Debug` prints no token.
#[derive(Clone)]
pub struct AccessToken {
    value: Arc<SecretString>,
    scope: Option<String>,
    expires_at: SystemTime,
    renew_at: SystemTime,
    /// The key the token is bound to (RFC 9449), when the source has one.
    dpop: Option<DpopKey>,
}

/// The headers a call with an [`AccessToken`] carries.
#[derive(Clone)]
pub struct Authorization {
    /// The `Authorization` header: `Bearer <token>` or `DPoP <token>`.
    pub authorization: String,
    /// The `DPoP` header, for a DPoP-bound token.
    pub dpop: Option<String>,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization").finish_non_exhaustive()
    }
}

impl AccessToken {
    /// The token, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        self.value.expose_secret()
    }

    /// The `Authorization` header value of a bearer token: `Bearer <token>`. A DPoP-bound token
    /// needs [`authorization`](Self::authorization) instead.
    pub fn bearer_header(&self) -> String {
        format!("Bearer {}", self.secret())
    }

    /// Whether the token is bound to the source's DPoP key.
    pub fn is_dpop_bound(&self) -> bool {
        self.dpop.is_some()
    }

    /// The headers of a `method` call to `url` with this token: a bearer token's
    /// `Authorization`, or for a DPoP-bound token `Authorization: DPoP` and a fresh proof for
    /// this method and URL (RFC 9449 section 7.1).
    pub fn authorization(&self, method: &str, url: &str) -> Authorization {
        match &self.dpop {
            None => Authorization {
                authorization: self.bearer_header(),
                dpop: None,
            },
            Some(key) => Authorization {
                authorization: format!("DPoP {}", self.secret()),
                dpop: Some(key.proof(method, url, Some(self.secret()))),
            },
        }
    }

    /// The granted scope, as the server reported it.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// When the token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token endpoint refused (a `4xx`): wrong credentials (`invalid_client`), a scope the
    /// client may not have (`invalid_scope`), ... Not retried.
    #[error("the token endpoint refused the request ({status}{}){}",
        .error.as_deref().map(|e| format!(" `{e}`")).unwrap_or_default(),
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The OAuth error code (RFC 6749 section 5.2).
        error: Option<String>,
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// No usable answer after every attempt (network errors, `5xx`, `429`).
    #[error("no token after {attempts} attempts: {last}")]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: FetchError,
    },
    /// A success status whose body is not a bearer token response.
    #[error("the token endpoint's answer is unusable: {0}")]
    InvalidResponse(FetchError),
    /// The provider metadata could not be used (only when building).
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
}

/// Fetches and caches this service's client-credentials token.
///
/// Cheap to clone: clones share the cached token.
///
/// ```no_run
/// # async fn run() -> Result<(), auth_client::TokenError> {
/// use auth_client::{ClientCredentials, TokenSource};
///
/// let tokens = TokenSource::builder(
///     "https://id.example.com",
///     ClientCredentials::new("tickets", std::env::var("CLIENT_SECRET").unwrap_or_default()),
/// )
/// .scope("users:read")
/// .build()
/// .await?;
/// let token = tokens.token().await?;
/// let response = reqwest::Client::new()
///     .get("https://profiles.example.com/v1/me")
///     .header("authorization", token.bearer_header())
///     .send()
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    credentials: ClientCredentials,
    scope: Option<String>,
    dpop: Option<DpopKey>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    retries: Retries,
    current: RwLock<Option<AccessToken>>,
    /// Held while a token is requested: the single flight.
    fetching: Mutex<()>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("endpoint", &self.inner.endpoint)
            .field("credentials", &self.inner.credentials)
            .field("scope", &self.inner.scope)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Settings for tokens of client `credentials` from `issuer`.
    pub fn builder(
        issuer: impl Into<String>,
        credentials: ClientCredentials,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder {
            issuer: issuer.into(),
            token_endpoint: None,
            credentials,
            scope: None,
            dpop: None,
            http: None,
            clock: Arc::new(SystemClock),
            retries: Retries::new(4, Duration::from_millis(200)),
        }
    }

    /// A valid token: the cached one, or a new one when it is missing or due for renewal.
    ///
    /// A token is renewed once less than max(60 s, 10 % of its lifetime) remains (half its
    /// lifetime for tokens living under two minutes). If the renewal fails on a network or
    /// server error while the cached token is still valid, the cached token is returned.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        let inner = &*self.inner;
        let cached = self.cached();
        if let Some(token) = &cached {
            let now = inner.clock.now();
            if now < token.renew_at {
                return Ok(token.clone());
            }
            if now < token.expires_at && inner.fetching.try_lock().is_err() {
                // Another task is renewing; this one is still good meanwhile.
                return Ok(token.clone());
            }
        }
        let _flight = inner.fetching.lock().await;
        let cached = self.cached();
        if let Some(token) = &cached
            && inner.clock.now() < token.renew_at
        {
            // Renewed by the task this one waited for.
            return Ok(token.clone());
        }
        match self.fetch().await {
            Ok(token) => {
                *inner
                    .current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(token.clone());
                Ok(token)
            }
            Err(error @ TokenError::Unavailable { .. }) => match cached {
                Some(token) if inner.clock.now() < token.expires_at => {
                    tracing::warn!(%error, "cannot renew the service token; using the current one");
                    Ok(token)
                }
                _ => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// Forgets `token` if it is the cached one, so the next [`token`](Self::token) asks for a
    /// new one: for when a service answered `401` to it.
    pub fn invalidate(&self, token: &AccessToken) {
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current
            .as_ref()
            .is_some_and(|cached| Arc::ptr_eq(&cached.value, &token.value))
        {
            *current = None;
        }
    }

    fn cached(&self) -> Option<AccessToken> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Requests a token, retrying transient failures with exponential backoff.
    async fn fetch(&self) -> Result<AccessToken, TokenError> {
        self.inner
            .retries
            .run("token request", || self.request())
            .await
    }

    async fn request(&self) -> Result<AccessToken, Failure> {
        let inner = &*self.inner;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &inner.scope {
            form.push(("scope", scope));
        }
        // RFC 6749 section 4.4.2, authenticated with client_secret_basic (section 2.3.1).
        let build = || {
            let mut request = inner
                .http
                .post(&inner.endpoint)
                .header(AUTHORIZATION, inner.credentials.basic_authorization())
                .form(&form);
            if let Some(key) = &inner.dpop {
                request = request.header("dpop", key.proof("POST", &inner.endpoint, None));
            }
            request
        };
        let mut answer = send_json(&inner.endpoint, build()).await;
        // RFC 9449 section 8: the server asks for its nonce once; the retry carries it.
        if let (Some(key), Err(FetchError::Status { error, nonce, .. })) = (&inner.dpop, &answer)
            && error.as_deref() == Some("use_dpop_nonce")
            && let Some(nonce) = nonce
        {
            key.set_nonce(nonce);
            answer = send_json(&inner.endpoint, build()).await;
        }
        let (response, headers): (TokenResponse, _) = answer.map_err(Failure::of)?;
        // RFC 6749 section 7.1: the client MUST NOT use a token whose type it does not
        // understand; with a DPoP key it asked for a bound token (RFC 9449 section 5).
        let expected = if inner.dpop.is_some() {
            "DPoP"
        } else {
            "Bearer"
        };
        if !response.token_type.eq_ignore_ascii_case(expected) {
            return Err(Failure::Permanent(TokenError::InvalidResponse(
                FetchError::Body {
                    url: inner.endpoint.clone(),
                    reason: format!("token_type is `{}`, not `{expected}`", response.token_type),
                },
            )));
        }
        if let (Some(key), Some(nonce)) = (
            &inner.dpop,
            headers.get("dpop-nonce").and_then(|v| v.to_str().ok()),
        ) {
            key.set_nonce(nonce);
        }
        Ok(AccessToken::received(
            response,
            inner.clock.now(),
            inner.dpop.clone(),
        ))
    }
}

impl AccessToken {
    /// The token of a token response received at `now`, due for renewal once less than
    /// max(60 s, 10 % of its lifetime) remains (half its lifetime for tokens living under two
    /// minutes).
    pub(crate) fn received(
        response: TokenResponse,
        now: SystemTime,
        dpop: Option<DpopKey>,
    ) -> Self {
        let lifetime = Duration::from_secs(response.expires_in);
        let margin = MIN_RENEW_MARGIN.max(lifetime / 10).min(lifetime / 2);
        AccessToken {
            value: Arc::new(SecretString::from(response.access_token)),
            scope: response.scope,
            expires_at: later(now, lifetime),
            renew_at: later(now, lifetime - margin),
            dpop,
        }
    }

    /// When the token is due for renewal.
    pub(crate) fn renew_at(&self) -> SystemTime {
        self.renew_at
    }

    /// Whether `other` is this very token (not a copy of the same text).
    pub(crate) fn same(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.value, &other.value)
    }
}

/// Why one request to the token endpoint gave no token.
pub(crate) enum Failure {
    /// A network error, `5xx` or `429`: worth retrying.
    Transient(FetchError),
    /// Anything else.
    Permanent(TokenError),
}

impl Failure {
    /// A failed call to the token endpoint: worth retrying, a refusal (an error status), or
    /// an unusable answer.
    pub(crate) fn of(error: FetchError) -> Self {
        match error {
            error if error.is_transient() => Self::Transient(error),
            FetchError::Status {
                status,
                error,
                description,
                ..
            } => Self::Permanent(TokenError::Rejected {
                status,
                error,
                description,
            }),
            error => Self::Permanent(TokenError::InvalidResponse(error)),
        }
    }
}

/// How often a token request is tried and how long to wait between tries.
#[derive(Clone, Copy)]
pub(crate) struct Retries {
    attempts: u32,
    first_backoff: Duration,
}

impl Retries {
    /// At most `attempts` tries (at least 1); after a transient failure wait `first_backoff`,
    /// doubling each time, at most 10 s.
    pub(crate) fn new(attempts: u32, first_backoff: Duration) -> Self {
        Self {
            attempts: attempts.max(1),
            first_backoff,
        }
    }

    /// Calls `request` until it gives a token, fails for good, or the tries are used up.
    /// `what` names the request in the log.
    pub(crate) async fn run<F, R>(
        self,
        what: &str,
        mut request: F,
    ) -> Result<AccessToken, TokenError>
    where
        F: FnMut() -> R,
        R: Future<Output = Result<AccessToken, Failure>>,
    {
        let mut backoff = self.first_backoff;
        let mut attempt = 1;
        loop {
            match request().await {
                Ok(token) => return Ok(token),
                Err(Failure::Permanent(error)) => return Err(error),
                Err(Failure::Transient(last)) if attempt >= self.attempts => {
                    return Err(TokenError::Unavailable {
                        attempts: attempt,
                        last,
                    });
                }
                Err(Failure::Transient(error)) => {
                    tracing::warn!(%error, attempt, "{what} failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2).min(Duration::from_secs(10));
                    attempt += 1;
                }
            }
        }
    }
}

/// The token endpoint: `given`, or the one in `issuer`'s provider metadata.
pub(crate) async fn token_endpoint(
    http: &reqwest::Client,
    issuer: &str,
    given: Option<String>,
) -> Result<String, TokenError> {
    Ok(match given {
        Some(endpoint) => endpoint,
        None => discover(http, issuer).await?.token_endpoint,
    })
}

/// Settings of a [`TokenSource`].
#[must_use]
pub struct TokenSourceBuilder {
    issuer: String,
    token_endpoint: Option<String>,
    credentials: ClientCredentials,
    scope: Option<String>,
    http: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    retries: Retries,
    dpop: Option<DpopKey>,
}

impl TokenSourceBuilder {
    /// Binds the tokens to `key` (RFC 9449): each token request carries a proof, the tokens
    /// come back bound (`token_type` `DPoP`), and [`AccessToken::authorization`] makes the
    /// proof each call needs. A stolen token is then useless without the key.
    pub fn dpop_key(mut self, key: DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// The scope to ask for (space-separated). Without it, the token gets every scope the
    /// client is registered for.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Use this token endpoint instead of reading it from the provider metadata.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// Attempts per token on network and server errors (default 4, at least 1), and the wait
    /// before the first retry (default 200 ms, doubling each time, at most 10 s).
    pub fn retry(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.retries = Retries::new(attempts, first_backoff);
        self
    }

    http_and_clock_settings!();

    /// Reads the token endpoint from the provider metadata (unless given). No token is
    /// fetched yet.
    pub async fn build(self) -> Result<TokenSource, TokenError> {
        let http = self.http.unwrap_or_else(default_http_client);
        let endpoint = token_endpoint(&http, &self.issuer, self.token_endpoint).await?;
        Ok(TokenSource {
            inner: Arc::new(Inner {
                endpoint,
                credentials: self.credentials,
                scope: self.scope,
                dpop: self.dpop,
                http,
                clock: self.clock,
                retries: self.retries,
                current: RwLock::new(None),
                fetching: Mutex::new(()),
            }),
        })
    }
}
