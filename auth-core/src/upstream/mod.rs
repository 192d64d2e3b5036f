//! Sign-in with an upstream identity provider: any OpenID Connect provider found by its issuer
//! (OIDC Discovery 1.0), or GitHub (OAuth 2 and its user API).
//!
//! # Layout
//!
//! - this module: the operator's provider list ([`Upstreams`], [`ProviderConfig`]), the
//!   discovery document and key set of each provider, cached per replica, and the errors;
//! - [`outbound`]: every request to an upstream, under the rules for URLs the server does not
//!   control (no redirects, timeouts, size limits, public addresses unless the server itself
//!   runs on loopback);
//! - [`id_token`]: the ID token checks of OIDC Core section 3.1.3.7;
//! - [`github`]: GitHub's token and user answers;
//! - [`flow`]: the sign-in itself: start (state, nonce, PKCE), callback, account resolution
//!   (linked, created just in time, or linked after the user proves the local account), the
//!   second factor, and unlinking.
//!
//! It knows nothing of HTTP routing or pages: `auth-server` renders what [`flow`] decides.

pub mod flow;
pub mod github;
pub mod id_token;
pub mod outbound;

use crate::roles::RoleName;
use auth_jose::ClientKeys;
use secrecy::SecretString;
use serde::Deserialize;
use std::sync::{Arc, Mutex};

/// Seconds a discovery document or key set is used before it is fetched again.
pub const METADATA_TTL_SECS: i64 = 3600;
/// Least seconds between two fetches of a key set for an unknown `kid`.
pub const REFETCH_FLOOR_SECS: i64 = 30;

/// What kind of upstream a provider is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An OpenID Connect provider, found by its issuer identifier.
    Oidc {
        /// The issuer; discovery is at `{issuer}/.well-known/openid-configuration`.
        issuer: String,
    },
    /// GitHub (or GitHub Enterprise Server): OAuth 2 and the REST user API.
    Github {
        /// The authorization endpoint.
        authorize_url: String,
        /// The token endpoint.
        token_url: String,
        /// The REST API's base URL (`/user`, `/user/emails` below it).
        api_base: String,
    },
}

/// One rule of the role mapping: a user whose upstream `claim` is `value`, or contains it
/// (an array claim), gets the local `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRule {
    /// The claim's name.
    pub claim: String,
    /// The value it must be or contain.
    pub value: String,
    /// The local role granted.
    pub role: RoleName,
}

impl RoleRule {
    /// Whether `claims` satisfy the rule.
    pub fn matches(&self, claims: &serde_json::Map<String, serde_json::Value>) -> bool {
        match claims.get(&self.claim) {
            Some(serde_json::Value::String(s)) => s == &self.value,
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .any(|item| item.as_str() == Some(self.value.as_str())),
            Some(serde_json::Value::Bool(b)) => b.to_string() == self.value,
            Some(serde_json::Value::Number(n)) => n.to_string() == self.value,
            _ => false,
        }
    }
}

/// One provider as the operator configured it.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Slug used in URLs (`/login/upstream/{id}`) and stored with linked identities.
    pub id: String,
    /// The button's text.
    pub label: String,
    /// OIDC or GitHub.
    pub kind: Kind,
    /// The client id registered at the upstream.
    pub client_id: String,
    /// The client secret registered at the upstream.
    pub client_secret: SecretString,
    /// Scopes asked for.
    pub scopes: Vec<String>,
    /// Upstream claims to local roles.
    pub roles: Vec<RoleRule>,
    /// Whether a first sign-in without a local account creates one.
    pub create_accounts: bool,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("scopes", &self.scopes)
            .field("roles", &self.roles)
            .field("create_accounts", &self.create_accounts)
            .finish()
    }
}

/// The part of an OIDC discovery document the sign-in uses (OIDC Discovery 1.0 section 3).
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Where the browser is sent.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The provider's key set.
    pub jwks_uri: String,
    /// Client authentication methods at the token endpoint; absent means
    /// `client_secret_basic` (OIDC Discovery 1.0 section 3).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// PKCE methods (RFC 8414 section 2).
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

#[derive(Default)]
struct Cached {
    metadata: Option<(i64, Arc<Metadata>)>,
    keys: Option<(i64, Arc<ClientKeys>)>,
}

/// A configured provider, with its cached discovery document and keys.
pub struct Upstream {
    /// The configuration.
    pub config: ProviderConfig,
    cached: Mutex<Cached>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config.fmt(f)
    }
}

/// Every configured provider, and the HTTP client that reaches them. One per replica.
#[derive(Debug)]
pub struct Upstreams {
    providers: Vec<Arc<Upstream>>,
    http: outbound::Outbound,
}

impl Upstreams {
    /// The providers; `allow_private` lets requests reach loopback and private addresses (a
    /// server on loopback, in development and tests).
    pub fn new(providers: Vec<ProviderConfig>, allow_private: bool) -> Self {
        Self {
            providers: providers
                .into_iter()
                .map(|config| {
                    Arc::new(Upstream {
                        config,
                        cached: Mutex::new(Cached::default()),
                    })
                })
                .collect(),
            http: outbound::Outbound::new(allow_private),
        }
    }

    /// No providers.
    pub fn none() -> Self {
        Self::new(Vec::new(), false)
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Upstream>> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    /// Every provider, in configuration order.
    pub fn all(&self) -> &[Arc<Upstream>] {
        &self.providers
    }

    /// The HTTP client.
    pub fn http(&self) -> &outbound::Outbound {
        &self.http
    }

    /// The discovery document of an OIDC provider: cached, or fetched and checked.
    pub async fn metadata(
        &self,
        upstream: &Upstream,
        issuer: &str,
        now: i64,
    ) -> Result<Arc<Metadata>, UpstreamError> {
        {
            let cached = upstream.cached.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, metadata)) = &cached.metadata
                && now - at < METADATA_TTL_SECS
            {
                return Ok(metadata.clone());
            }
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let json = self.http.get_json(&url, None).await.map_err(|reason| {
            UpstreamError::Unavailable(format!("discovery document: {reason}"))
        })?;
        let metadata: Metadata = serde_json::from_value(json).map_err(|e| {
            UpstreamError::Unavailable(format!("discovery document is invalid: {e}"))
        })?;
        // OIDC Discovery 1.0 section 4.3: the issuer in the document MUST be identical to the
        // issuer URL the document was fetched for; otherwise it MUST NOT be used.
        if metadata.issuer != issuer {
            return Err(UpstreamError::Unavailable(
                "the discovery document names another issuer".into(),
            ));
        }
        let metadata = Arc::new(metadata);
        upstream
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .metadata = Some((now, metadata.clone()));
        Ok(metadata)
    }

    /// The key set of an OIDC provider; `refresh` fetches it again (a token names a `kid` the
    /// cached set lacks) unless the last fetch is younger than [`REFETCH_FLOOR_SECS`].
    pub async fn keys(
        &self,
        upstream: &Upstream,
        jwks_uri: &str,
        now: i64,
        refresh: bool,
    ) -> Result<Arc<ClientKeys>, UpstreamError> {
        let max_age = if refresh {
            REFETCH_FLOOR_SECS
        } else {
            METADATA_TTL_SECS
        };
        {
            let cached = upstream.cached.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, keys)) = &cached.keys
                && now - at < max_age
            {
                return Ok(keys.clone());
            }
        }
        let json = self
            .http
            .get_json(jwks_uri, None)
            .await
            .map_err(|reason| UpstreamError::Unavailable(format!("key set: {reason}")))?;
        let keys = Arc::new(
            ClientKeys::parse(&json)
                .map_err(|e| UpstreamError::Unavailable(format!("key set is unusable: {e}")))?,
        );
        upstream
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys = Some((now, keys.clone()));
        Ok(keys)
    }
}

/// Why an upstream sign-in failed. The messages are for the page the user sees; none repeats
/// what the upstream sent, except the `error` code of an error response.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No provider has this id.
    #[error("there is no sign-in provider with this name")]
    UnknownProvider,
    /// The upstream answered the authentication request with an error (RFC 6749 section
    /// 4.1.2.1).
    #[error("the provider refused the sign-in ({0})")]
    Refused(String),
    /// The `state` is unknown, used, expired, or from another browser.
    #[error("this sign-in has expired or was started in another browser; start again")]
    State,
    /// The upstream could not be reached or answered something unusable.
    #[error("the provider could not be reached or answered something unusable")]
    Unavailable(String),
    /// The ID token did not pass its checks.
    #[error("the provider's answer did not pass the checks: {0}")]
    IdToken(#[from] id_token::IdTokenError),
    /// The upstream gave no e-mail address.
    #[error("the provider did not tell us an e-mail address, which an account needs")]
    NoEmail,
    /// An account has the address, and the upstream does not say it is verified.
    #[error(
        "an account with this e-mail address exists, and the provider does not confirm that the address is yours, so the accounts cannot be linked; sign in with your password and link the provider from your account page"
    )]
    UnverifiedEmailTaken,
    /// The address is not verified, and this deployment requires verified addresses.
    #[error(
        "the provider does not confirm your e-mail address, and this service needs a confirmed one"
    )]
    UnverifiedEmail,
    /// No account exists and this provider does not create accounts.
    #[error("there is no account for this identity, and new accounts cannot be created here")]
    SignUpClosed,
    /// The account is disabled.
    #[error("this account is disabled; contact the administrator")]
    Disabled,
    /// The identity is linked to another account (linking from the account page).
    #[error("this identity is already linked to another account")]
    LinkedElsewhere,
    /// Storage or crypto failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::store::StoreError> for UpstreamError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl UpstreamError {
    /// The reason recorded in the audit log.
    pub fn reason(&self) -> String {
        match self {
            Self::Unavailable(detail) => format!("upstream unavailable: {detail}"),
            other => other.to_string(),
        }
    }
}
