//! Asking the authorization server about users: is this id or e-mail address registered,
//! and who is this user. Calls `GET /api/users/registered` and `GET /api/users/{id}` with
//! the service's client-credentials token (scope `users:read`).
//!
//! Answers are cached for a while (negative ones for less). A server that cannot answer is
//! an error, never a silent "not registered".

use crate::clock::{Clock, SystemClock, later};
use crate::token_source::{TokenError, TokenSource};
use crate::transport::{FetchError, default_http_client, http_and_clock_settings, send_json};
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use url::Url;

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

/// Whether a user has an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// An account exists.
    Registered {
        /// The user id.
        id: String,
        /// Whether the account is disabled (it cannot log in; its tokens were revoked).
        disabled: bool,
    },
    /// No account has this id or address.
    NotRegistered,
}

impl Registration {
    /// Whether an account exists, disabled or not.
    pub fn is_registered(&self) -> bool {
        matches!(self, Self::Registered { .. })
    }

    /// Whether an account exists and is not disabled.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Self::Registered {
                disabled: false,
                ..
            }
        )
    }
}

/// A user as services see it (`GET /api/users/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// User id.
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Whether the address is confirmed.
    pub email_verified: bool,
    /// Full name.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// Why the directory could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The issuer is not a URL.
    #[error("the issuer `{issuer}` is not a URL: {reason}")]
    InvalidIssuer {
        /// The issuer given.
        issuer: String,
        /// Why it does not parse.
        reason: String,
    },
    /// No token for the call.
    #[error("cannot get a token to ask about users: {0}")]
    Token(#[from] TokenError),
    /// The token may not read users.
    #[error("the service may not read users (its client needs the `users:read` scope){}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Forbidden {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// The server is unreachable or answered with an error.
    #[error("the authorization server cannot say: {0}")]
    Unavailable(FetchError),
}

/// Looks users up at the authorization server, with a cache.
///
/// Cheap to clone: clones share the cache.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_client::{ClientCredentials, TokenSource, UserDirectory};
///
/// let issuer = "https://id.example.com";
/// let tokens = TokenSource::builder(issuer, ClientCredentials::new("tickets", "cs_..."))
///     .scope("users:read")
///     .build()
///     .await?;
/// let users = UserDirectory::new(issuer, tokens)?;
/// users.ensure_ready().await?; // at start-up: fails loudly if the server cannot answer
/// if users.is_registered("0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b").await?.is_active() {
///     // ...
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UserDirectory {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    tokens: TokenSource,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    negative_ttl: Duration,
    cache: Mutex<HashMap<Key, (Answer, SystemTime)>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Id(String),
    Email(String),
    User(String),
}

#[derive(Clone)]
enum Answer {
    Registration(Registration),
    User(Option<UserInfo>),
}

impl std::fmt::Debug for UserDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDirectory")
            .field("base", &self.inner.base.as_str())
            .field("ttl", &self.inner.ttl)
            .field("negative_ttl", &self.inner.negative_ttl)
            .finish_non_exhaustive()
    }
}

/// The body of `GET /api/users/registered`.
#[derive(Deserialize)]
struct Registered {
    registered: bool,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    id: Option<String>,
}

impl UserDirectory {
    /// A directory at `issuer` with the default cache lifetimes (60 s, 10 s for "not
    /// registered" and unknown users).
    pub fn new(issuer: &str, tokens: TokenSource) -> Result<Self, DirectoryError> {
        Self::builder(issuer, tokens).build()
    }

    /// Settings for a directory at `issuer`, calling with tokens from `tokens` (which must
    /// carry `users:read`).
    pub fn builder(issuer: impl Into<String>, tokens: TokenSource) -> UserDirectoryBuilder {
        UserDirectoryBuilder {
            issuer: issuer.into(),
            tokens,
            ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(10),
            http: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Whether user id `id` is registered.
    pub async fn is_registered(&self, id: &str) -> Result<Registration, DirectoryError> {
        self.registration(Key::Id(id.to_owned()), ("id", id)).await
    }

    /// Whether e-mail address `email` is registered (compared case-insensitively).
    pub async fn is_registered_email(&self, email: &str) -> Result<Registration, DirectoryError> {
        let email = email.trim().to_lowercase();
        self.registration(Key::Email(email.clone()), ("email", &email))
            .await
    }

    /// The user with id `id`, or `None` when there is none.
    pub async fn user(&self, id: &str) -> Result<Option<UserInfo>, DirectoryError> {
        let key = Key::User(id.to_owned());
        if let Some(Answer::User(user)) = self.cached(&key) {
            return Ok(user);
        }
        let url = self.api_url(&["api", "users", id]);
        let user = match self.get::<UserInfo>(url).await {
            Ok(user) => Some(user),
            // Only the API's own "no such user" answer means none: a 404 without it (a wrong
            // base URL, a proxy) is an error, not a missing user.
            Err(DirectoryError::Unavailable(FetchError::Status {
                status: 404,
                error: Some(error),
                ..
            })) if error == "not_found" => None,
            Err(error) => return Err(error),
        };
        self.remember(key, Answer::User(user.clone()), user.is_some());
        Ok(user)
    }

    /// Checks at start-up that the directory works: gets a token and asks the server once
    /// (bypassing the cache). Fails with what is wrong: no token, a token without
    /// `users:read`, or a server that cannot answer.
    pub async fn ensure_ready(&self) -> Result<(), DirectoryError> {
        let mut url = self.api_url(&["api", "users", "registered"]);
        // The nil UUID is nobody's id: any well-formed answer proves the path works.
        url.query_pairs_mut()
            .append_pair("id", "00000000-0000-0000-0000-000000000000");
        self.get::<Registered>(url).await.map(drop)
    }

    async fn registration(
        &self,
        key: Key,
        query: (&str, &str),
    ) -> Result<Registration, DirectoryError> {
        if let Some(Answer::Registration(registration)) = self.cached(&key) {
            return Ok(registration);
        }
        let mut url = self.api_url(&["api", "users", "registered"]);
        url.query_pairs_mut().append_pair(query.0, query.1);
        let answer = self.get::<Registered>(url.clone()).await?;
        let registration = match (answer.registered, answer.id) {
            (true, Some(id)) => Registration::Registered {
                id,
                disabled: answer.disabled.unwrap_or(false),
            },
            (false, _) => Registration::NotRegistered,
            (true, None) => {
                return Err(DirectoryError::Unavailable(FetchError::Body {
                    url: without_query(&url),
                    reason: "`registered` is true but there is no `id`".to_owned(),
                }));
            }
        };
        let positive = registration.is_registered();
        self.remember(key, Answer::Registration(registration.clone()), positive);
        Ok(registration)
    }

    /// GETs `url` with the service token. A `401` (the cached token was revoked, or signed
    /// with a key since withdrawn) is retried once with a new token.
    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, DirectoryError> {
        let inner = &*self.inner;
        let mut retried = false;
        loop {
            let token = inner.tokens.token().await?;
            let request = inner
                .http
                .get(url.clone())
                .header(AUTHORIZATION, token.bearer_header());
            match send_json::<T>(&without_query(&url), request).await {
                Ok((value, _)) => return Ok(value),
                Err(FetchError::Status { status: 401, .. }) if !retried => {
                    inner.tokens.invalidate(&token);
                    retried = true;
                }
                Err(FetchError::Status {
                    status: 403,
                    description,
                    ..
                }) => return Err(DirectoryError::Forbidden { description }),
                Err(error) => return Err(DirectoryError::Unavailable(error)),
            }
        }
    }

    fn api_url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn cached(&self, key: &Key) -> Option<Answer> {
        let now = self.inner.clock.now();
        let cache = self.lock();
        cache
            .get(key)
            .filter(|(_, until)| now < *until)
            .map(|(answer, _)| answer.clone())
    }

    fn remember(&self, key: Key, answer: Answer, positive: bool) {
        let now = self.inner.clock.now();
        let ttl = if positive {
            self.inner.ttl
        } else {
            self.inner.negative_ttl
        };
        let mut cache = self.lock();
        if cache.len() >= SWEEP_AT {
            cache.retain(|_, (_, until)| now < *until);
            if cache.len() >= SWEEP_AT {
                cache.clear();
            }
        }
        cache.insert(key, (answer, later(now, ttl)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (Answer, SystemTime)>> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `url` for error messages: the query may hold an e-mail address, which must not reach logs.
fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// Settings of a [`UserDirectory`].
#[must_use]
pub struct UserDirectoryBuilder {
    issuer: String,
    tokens: TokenSource,
    ttl: Duration,
    negative_ttl: Duration,
    http: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
}

impl UserDirectoryBuilder {
    /// How long a "registered" answer or a found user is reused (default 60 s).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long a "not registered" answer or an unknown user is reused (default 10 s).
    pub fn negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    http_and_clock_settings!();

    /// The directory; nothing is fetched yet (see [`UserDirectory::ensure_ready`]).
    pub fn build(self) -> Result<UserDirectory, DirectoryError> {
        let base = Url::parse(&self.issuer).map_err(|e| DirectoryError::InvalidIssuer {
            issuer: self.issuer.clone(),
            reason: e.to_string(),
        })?;
        Ok(UserDirectory {
            inner: Arc::new(Inner {
                base,
                tokens: self.tokens,
                http: self.http.unwrap_or_else(default_http_client),
                clock: self.clock,
                ttl: self.ttl,
                negative_ttl: self.negative_ttl,
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}
