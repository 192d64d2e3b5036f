//! Tokens to call another service on a user's behalf, by token exchange
//! ([RFC 8693](https://www.rfc-editor.org/rfc/rfc8693)).
//!
//! The service holding a user's access token (its caller's bearer token) asks the server for a
//! token to one other service, with a scope no wider than the user's. The answer carries the
//! user as `sub` and this service as `act.sub`; the other service checks both.
//!
//! Tokens are cached per (SHA-256 of the user's token, target, scope) until shortly before
//! they expire, in a cache of bounded size: a user calling twice costs one exchange.

use crate::clock::{Clock, SystemClock};
use crate::credentials::ClientCredentials;
use crate::token_source::{AccessToken, Failure, Retries, TokenError, token_endpoint};
use crate::transport::{FetchError, default_http_client, http_and_clock_settings, send_json};
use auth_proto::token::TokenResponse;
use auth_proto::token::token_types::ACCESS_TOKEN;
use aws_lc_rs::digest::{SHA256, digest};
use reqwest::header::AUTHORIZATION;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The grant type of RFC 8693 section 2.1.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The service an exchanged token is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExchangeTarget {
    /// A logical name: the `aud` the other service verifies (RFC 8693 `audience`).
    Audience(String),
    /// A registered resource's URI (RFC 8707 `resource`).
    Resource(String),
}

impl ExchangeTarget {
    /// A target named by its audience.
    pub fn audience(audience: impl Into<String>) -> Self {
        Self::Audience(audience.into())
    }

    /// A target named as a registered resource (RFC 8707).
    pub fn resource(uri: impl Into<String>) -> Self {
        Self::Resource(uri.into())
    }

    fn parameter(&self) -> (&'static str, &str) {
        match self {
            Self::Audience(audience) => ("audience", audience),
            Self::Resource(uri) => ("resource", uri),
        }
    }
}

/// Exchanges users' access tokens for tokens to other services, and caches them.
///
/// Cheap to clone: clones share the cache.
///
/// ```no_run
/// # async fn run(user_token: &str) -> Result<(), auth_client::TokenError> {
/// use auth_client::{ClientCredentials, ExchangeSource, ExchangeTarget};
///
/// let exchange = ExchangeSource::builder(
///     "https://id.example.com",
///     ClientCredentials::new("events-service", std::env::var("CLIENT_SECRET").unwrap_or_default()),
/// )
/// .build()
/// .await?;
/// let token = exchange
///     .exchange(user_token, &ExchangeTarget::audience("https://tickets.example.com"), Some("profile"))
///     .await?;
/// let response = reqwest::Client::new()
///     .get("https://tickets.example.com/tickets/mine")
///     .header("authorization", token.bearer_header())
///     .send()
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ExchangeSource {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    credentials: ClientCredentials,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    retries: Retries,
    capacity: usize,
    cache: Mutex<HashMap<Key, AccessToken>>,
}

/// What a cached token answers for. The user's token is kept only as its hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    subject: [u8; 32],
    target: ExchangeTarget,
    scope: Option<String>,
}

impl fmt::Debug for ExchangeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeSource")
            .field("endpoint", &self.inner.endpoint)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl ExchangeSource {
    /// Settings for exchanges by client `credentials` at `issuer`.
    pub fn builder(
        issuer: impl Into<String>,
        credentials: ClientCredentials,
    ) -> ExchangeSourceBuilder {
        ExchangeSourceBuilder {
            issuer: issuer.into(),
            token_endpoint: None,
            credentials,
            http: None,
            clock: Arc::new(SystemClock),
            retries: Retries::new(3, Duration::from_millis(200)),
            capacity: 1024,
        }
    }

    /// A token for `target` acting for the user of `subject_token` (an access token of the
    /// same server), with `scope` (space-separated; `None`: the user's scope as far as this
    /// client may hold it). The cached one while it is not due for renewal.
    ///
    /// A refusal is [`TokenError::Rejected`]: `invalid_request` when the user's token is not
    /// valid (expired, revoked), `invalid_target` when this client may not have tokens for
    /// `target`, `invalid_scope` for a scope wider than the user's.
    pub async fn exchange(
        &self,
        subject_token: &str,
        target: &ExchangeTarget,
        scope: Option<&str>,
    ) -> Result<AccessToken, TokenError> {
        let key = Key {
            subject: sha256(subject_token),
            target: target.clone(),
            scope: scope.map(str::to_owned),
        };
        if let Some(token) = self.cached(&key) {
            return Ok(token);
        }
        let token = self.fetch(subject_token, target, scope).await?;
        self.store(key, token.clone());
        Ok(token)
    }

    /// Forgets `token`, so the next [`exchange`](Self::exchange) for it asks again: for when
    /// the other service answered `401` to it.
    pub fn invalidate(&self, token: &AccessToken) {
        self.lock().retain(|_, cached| !cached.same(token));
    }

    /// How many tokens are cached (expired ones may be among them until the next store).
    pub fn cached_tokens(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, AccessToken>> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(&self, key: &Key) -> Option<AccessToken> {
        let now = self.inner.clock.now();
        self.lock()
            .get(key)
            .filter(|token| now < token.renew_at())
            .cloned()
    }

    /// Caches `token`; when the cache is full, drops what is due for renewal, then the tokens
    /// that expire first.
    fn store(&self, key: Key, token: AccessToken) {
        let now = self.inner.clock.now();
        let capacity = self.inner.capacity;
        let mut cache = self.lock();
        if cache.len() >= capacity && !cache.contains_key(&key) {
            cache.retain(|_, cached| now < cached.renew_at());
            while cache.len() >= capacity {
                let first = cache
                    .iter()
                    .min_by_key(|(_, cached)| cached.expires_at())
                    .map(|(key, _)| key.clone());
                match first {
                    Some(first) => cache.remove(&first),
                    None => break,
                };
            }
        }
        cache.insert(key, token);
    }

    /// Exchanges, retrying transient failures with exponential backoff.
    async fn fetch(
        &self,
        subject_token: &str,
        target: &ExchangeTarget,
        scope: Option<&str>,
    ) -> Result<AccessToken, TokenError> {
        self.inner
            .retries
            .run("token exchange", || {
                self.request(subject_token, target, scope)
            })
            .await
    }

    async fn request(
        &self,
        subject_token: &str,
        target: &ExchangeTarget,
        scope: Option<&str>,
    ) -> Result<AccessToken, Failure> {
        let inner = &*self.inner;
        // RFC 8693 section 2.1, authenticated with client_secret_basic (RFC 6749 section 2.3.1).
        let mut form = vec![
            ("grant_type", GRANT_TYPE),
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS_TOKEN),
            ("requested_token_type", ACCESS_TOKEN),
            target.parameter(),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let answer = send_json(
            &inner.endpoint,
            inner
                .http
                .post(&inner.endpoint)
                .header(AUTHORIZATION, inner.credentials.basic_authorization())
                .form(&form),
        )
        .await;
        let (response, _): (TokenResponse, _) = answer.map_err(Failure::of)?;
        // RFC 8693 section 2.2.1: issued_token_type is REQUIRED; RFC 6749 section 7.1: a token
        // of a type the client does not understand MUST NOT be used.
        let unusable = if response.issued_token_type.as_deref() != Some(ACCESS_TOKEN) {
            Some(format!(
                "issued_token_type is {:?}, not `{ACCESS_TOKEN}`",
                response.issued_token_type
            ))
        } else if !response.token_type.eq_ignore_ascii_case("Bearer") {
            Some(format!(
                "token_type is `{}`, not `Bearer`",
                response.token_type
            ))
        } else {
            None
        };
        if let Some(reason) = unusable {
            return Err(Failure::Permanent(TokenError::InvalidResponse(
                FetchError::Body {
                    url: inner.endpoint.clone(),
                    reason,
                },
            )));
        }
        Ok(AccessToken::received(response, inner.clock.now(), None))
    }
}

fn sha256(text: &str) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, text.as_bytes()).as_ref());
    out
}

/// Settings of an [`ExchangeSource`].
#[must_use]
pub struct ExchangeSourceBuilder {
    issuer: String,
    token_endpoint: Option<String>,
    credentials: ClientCredentials,
    http: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    retries: Retries,
    capacity: usize,
}

impl ExchangeSourceBuilder {
    /// Use this token endpoint instead of reading it from the provider metadata.
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }

    /// Most tokens kept (default 1,024, at least 1).
    pub fn capacity(mut self, tokens: usize) -> Self {
        self.capacity = tokens.max(1);
        self
    }

    /// Attempts per exchange on network and server errors (default 3, at least 1), and the
    /// wait before the first retry (default 200 ms, doubling each time, at most 10 s).
    pub fn retry(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.retries = Retries::new(attempts, first_backoff);
        self
    }

    http_and_clock_settings!();

    /// Reads the token endpoint from the provider metadata (unless given).
    pub async fn build(self) -> Result<ExchangeSource, TokenError> {
        let http = self.http.unwrap_or_else(default_http_client);
        let endpoint = token_endpoint(&http, &self.issuer, self.token_endpoint).await?;
        Ok(ExchangeSource {
            inner: Arc::new(Inner {
                endpoint,
                credentials: self.credentials,
                http,
                clock: self.clock,
                retries: self.retries,
                capacity: self.capacity,
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}
