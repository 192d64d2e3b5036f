//! OAuth clients: their identity, what they may do, and their registration.
//!
//! A client secret is shown once, when it is created, and stored only as a keyed hash.
//! [`authentication`] checks a client's credentials at the token, introspection and revocation
//! endpoints.

pub mod assertion;
pub mod authentication;
pub mod keys;
mod redirect_uri;

pub use redirect_uri::RedirectUri;

use crate::Provider;
use crate::scope::Scope;
use crate::secrets::{TokenHash, new_id, new_token};
use crate::store::StoreError;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// Prefix of client secrets, for secret scanners.
pub const CLIENT_SECRET_PREFIX: &str = "cs_";

/// A client identifier: 1 to 128 characters from `A-Z a-z 0-9 . _ ~ -`.
///
/// UUID-shaped ids are refused: user ids are UUIDs, and RFC 9068 section 5 asks that the `sub`
/// of a client-credentials token (the client id) never collide with a user's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Validates a client id.
    pub fn parse(id: &str) -> Result<Self, ClientError> {
        let valid_chars = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
        if id.is_empty() || id.len() > 128 || !valid_chars {
            return Err(ClientError::InvalidId(format!(
                "client id `{id}` must be 1 to 128 characters from A-Z a-z 0-9 . _ ~ -"
            )));
        }
        if uuid::Uuid::try_parse(id).is_ok() {
            return Err(ClientError::InvalidId(format!(
                "client id `{id}` must not be a UUID: UUIDs are user ids"
            )));
        }
        Ok(Self(id.to_owned()))
    }

    /// A new random client id.
    pub fn generate() -> Self {
        Self(format!("client-{}", crate::secrets::new_id()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value as it appears in requests, metadata and storage.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }

            /// Parses the wire value.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($wire => Some(Self::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Grant types of the token endpoint.
    GrantType {
        /// RFC 6749 section 4.1 with PKCE.
        AuthorizationCode = "authorization_code",
        /// RFC 6749 section 4.4.
        ClientCredentials = "client_credentials",
        /// RFC 6749 section 6.
        RefreshToken = "refresh_token",
        /// RFC 8628 section 3.4: the device authorization grant.
        DeviceCode = "urn:ietf:params:oauth:grant-type:device_code",
        /// RFC 8693: a service exchanges a user's access token for one to another service.
        TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange",
    }
}

wire_enum! {
    /// How a client authenticates at the token endpoint (RFC 7591 section 2).
    AuthMethod {
        /// HTTP Basic with the client id and secret (RFC 6749 section 2.3.1).
        ClientSecretBasic = "client_secret_basic",
        /// Client id and secret in the request body (RFC 6749 section 2.3.1).
        ClientSecretPost = "client_secret_post",
        /// A JWT signed with one of the client's registered keys (RFC 7523 section 2.2, OIDC
        /// Core section 9): no shared secret.
        PrivateKeyJwt = "private_key_jwt",
        /// A public client: no secret.
        None = "none",
    }
}

/// A registered client.
#[derive(Clone)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// Human-readable name, shown on the consent page.
    pub name: String,
    /// How it authenticates; [`AuthMethod::None`] makes it a public client.
    pub auth_method: AuthMethod,
    /// Keyed hash of its secret; `None` for public clients.
    pub secret_hash: Option<TokenHash>,
    /// Grant types it may use.
    pub grant_types: Vec<GrantType>,
    /// The scopes it may obtain; also its default scope.
    pub scope: Scope,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<RedirectUri>,
    /// Where RP-initiated logout may send the user afterwards.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// A first-party client: users are not asked for consent.
    pub trusted: bool,
    /// Descriptive RFC 7591 metadata.
    pub extras: ClientExtras,
    /// Its keys and the request rules it registered.
    pub security: ClientSecurity,
    /// Where it is told of ended sessions (OIDC Back-Channel Logout).
    pub backchannel: crate::backchannel::BackchannelLogout,
    /// Hash of the RFC 7592 registration access token, for dynamically registered clients.
    pub registration_token_hash: Option<TokenHash>,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// This registration of the id with its current secret: random, new when the client is
    /// created and when its secret is rotated. Its tokens carry it and die when it changes.
    pub registration_id: String,
}

/// Descriptive client metadata (RFC 7591 section 2), shown to users and returned by RFC 7592.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientExtras {
    /// Home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// Contacts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// Terms of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    /// Privacy policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    /// Software id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    /// Software version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
}

/// A client's keys (RFC 7591 section 2: `jwks` or `jwks_uri`, never both) and the request rules
/// it registered.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClientSecurity {
    /// Its public keys, inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// Where its public keys are published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Every authorization request must be pushed (RFC 9126 section 6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_pushed_authorization_requests: bool,
    /// Every token request must carry a DPoP proof (RFC 9449 section 5.2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
    /// The client follows the FAPI 2.0 Security Profile (see [`crate::fapi`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fapi: bool,
    /// Asked for pairwise subject identifiers (OIDC Core section 8); `sector` is then set at
    /// registration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pairwise: bool,
    /// Where the client lists the redirect URIs of its sector (OIDC Core section 8.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    /// The sector of its pairwise subject identifiers (a host), fixed at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// What the client may obtain by token exchange (RFC 8693); `None`: nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_exchange: Option<TokenExchangePolicy>,
}

/// The targets a client may exchange a user's token for ([`GrantType::TokenExchange`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExchangePolicy {
    /// The audiences (an `audience`, or a registered `resource` URI) the exchanged tokens may
    /// be for; each token is for exactly one of them.
    pub audiences: Vec<String>,
}

impl TokenExchangePolicy {
    /// Most audiences one client may name.
    pub const MAX_AUDIENCES: usize = 32;

    /// Checks the list: 1 to [`Self::MAX_AUDIENCES`] distinct values of 1 to 512 printable
    /// characters, none of them the server's own audience (`own_audience`), whose tokens the
    /// server's APIs and every default-configured service accept: an exchange is for one
    /// named service.
    pub fn validate(&self, own_audience: &str) -> Result<(), ClientError> {
        let invalid = |m: String| Err(ClientError::InvalidMetadata(m));
        if self.audiences.is_empty() || self.audiences.len() > Self::MAX_AUDIENCES {
            return invalid(format!(
                "token_exchange.audiences lists 1 to {} audiences",
                Self::MAX_AUDIENCES
            ));
        }
        for (i, audience) in self.audiences.iter().enumerate() {
            if audience.is_empty()
                || audience.len() > 512
                || audience
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
            {
                return invalid(format!(
                    "token_exchange audience `{audience}` must be 1 to 512 characters without spaces"
                ));
            }
            if audience == own_audience {
                return invalid(format!(
                    "token_exchange audience `{audience}` is this server's own audience (tokens.audience): name the service the tokens are for"
                ));
            }
            if self.audiences[..i].contains(audience) {
                return invalid(format!(
                    "token_exchange audience `{audience}` is listed twice"
                ));
            }
        }
        Ok(())
    }

    /// Whether `audience` is one of the allowed targets.
    pub fn allows(&self, audience: &str) -> bool {
        self.audiences.iter().any(|a| a == audience)
    }
}

impl ClientSecurity {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Checks what a registration says: `jwks` or `jwks_uri` but not both (RFC 7591 section
    /// 2), a key set that parses, an https `jwks_uri` (http only on loopback, when the server
    /// itself runs there), and keys where the method needs them.
    pub fn validate(&self, auth_method: AuthMethod, allow_http: bool) -> Result<(), ClientError> {
        let invalid = |m: String| Err(ClientError::InvalidMetadata(m));
        if self.jwks.is_some() && self.jwks_uri.is_some() {
            return invalid("jwks and jwks_uri must not both be present".to_owned());
        }
        if let Some(jwks) = &self.jwks
            && let Err(e) = auth_jose::ClientKeys::parse(jwks)
        {
            return invalid(e.to_string());
        }
        if let Some(uri) = &self.jwks_uri {
            keys::check_client_url("jwks_uri", uri, allow_http)
                .map_err(ClientError::InvalidMetadata)?;
        }
        // FAPI 2.0 Security Profile section 5.3.2.1: clients authenticate with private_key_jwt
        // (mTLS is not offered).
        if self.fapi && auth_method != AuthMethod::PrivateKeyJwt {
            return invalid(
                "a FAPI 2.0 client must authenticate with private_key_jwt (token_endpoint_auth_method)"
                    .to_owned(),
            );
        }
        if auth_method == AuthMethod::PrivateKeyJwt
            && self.jwks.is_none()
            && self.jwks_uri.is_none()
        {
            return invalid(
                "token_endpoint_auth_method private_key_jwt needs the client's public keys in jwks or jwks_uri"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

impl Client {
    /// Whether the client has no secret (RFC 6749 section 2.1).
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    /// Whether the client may use `grant`.
    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether the client registered itself (RFC 7591): it holds a registration access token.
    /// Nobody vouches for its redirect URIs, so the server never redirects to them before the
    /// user has interacted (RFC 9700 section 4.11.2).
    pub fn registered_dynamically(&self) -> bool {
        self.registration_token_hash.is_some()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("auth_method", &self.auth_method)
            .field("grant_types", &self.grant_types)
            .field("scope", &self.scope.to_string())
            .finish_non_exhaustive()
    }
}

/// What is needed to register a client.
#[derive(Debug, Clone)]
pub struct NewClient {
    /// The id to use; generated when `None`.
    pub id: Option<ClientId>,
    /// Human-readable name.
    pub name: String,
    /// Authentication method; [`AuthMethod::None`] for a public client.
    pub auth_method: AuthMethod,
    /// Grant types.
    pub grant_types: Vec<GrantType>,
    /// Allowed scopes.
    pub scope: Scope,
    /// Redirect URIs.
    pub redirect_uris: Vec<RedirectUri>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// First-party client (no consent screen).
    pub trusted: bool,
    /// Descriptive metadata.
    pub extras: ClientExtras,
    /// Keys and request rules.
    pub security: ClientSecurity,
    /// Back-channel logout registration.
    pub backchannel: crate::backchannel::BackchannelLogout,
    /// Hash of the registration access token (dynamic registration only).
    pub registration_token_hash: Option<TokenHash>,
}

impl NewClient {
    /// A client with this name, method and grants, and nothing else.
    pub fn new(
        name: impl Into<String>,
        auth_method: AuthMethod,
        grant_types: Vec<GrantType>,
    ) -> Self {
        Self {
            id: None,
            name: name.into(),
            auth_method,
            grant_types,
            scope: Scope::empty(),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            trusted: false,
            extras: ClientExtras::default(),
            security: ClientSecurity::default(),
            backchannel: crate::backchannel::BackchannelLogout::default(),
            registration_token_hash: None,
        }
    }
}

/// Most characters of a client's scopes (separated by spaces): far above any real client, and
/// a bound on what every token and consent of the client carries.
pub const MAX_SCOPE_CHARS: usize = 2_000;

/// Why a client could not be registered or found.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The id is malformed.
    #[error("{0}")]
    InvalidId(String),
    /// A redirect URI is unacceptable.
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// Some other metadata is unacceptable.
    #[error("{0}")]
    InvalidMetadata(String),
    /// The id is taken.
    #[error("a client with id `{0}` already exists")]
    Duplicate(ClientId),
    /// No client has this id.
    #[error("no client is registered with id `{0}`")]
    NotFound(ClientId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl NewClient {
    /// Checks that the metadata is consistent (RFC 6749 sections 2.1, 3.1.2 and 4.4).
    pub fn validate(&self) -> Result<(), ClientError> {
        let invalid = |m: &str| Err(ClientError::InvalidMetadata(m.to_owned()));
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return invalid("client name must be 1 to 200 characters");
        }
        if self.grant_types.is_empty() {
            return invalid("a client needs at least one grant type");
        }
        if self.scope.to_string().len() > MAX_SCOPE_CHARS {
            return Err(ClientError::InvalidMetadata(format!(
                "a client's scopes take at most {MAX_SCOPE_CHARS} characters"
            )));
        }
        let public = self.auth_method == AuthMethod::None;
        // RFC 6749 section 4.4: the client credentials grant MUST only be used by confidential clients.
        if public && self.grant_types.contains(&GrantType::ClientCredentials) {
            return invalid(
                "a public client (token_endpoint_auth_method `none`) cannot use client_credentials",
            );
        }
        let uses_code = self.grant_types.contains(&GrantType::AuthorizationCode);
        // RFC 6749 section 3.1.2.2: public clients and code-flow clients MUST register redirect URIs.
        if uses_code && self.redirect_uris.is_empty() {
            return Err(ClientError::InvalidRedirectUri(
                "a client using authorization_code must register at least one redirect URI"
                    .to_owned(),
            ));
        }
        // The grants that act for a user; a device needs no redirect URI (RFC 8628 section 3.3).
        let for_user = uses_code || self.grant_types.contains(&GrantType::DeviceCode);
        if self.grant_types.contains(&GrantType::RefreshToken) && !for_user {
            return invalid(
                "refresh_token is only issued with authorization_code or urn:ietf:params:oauth:grant-type:device_code",
            );
        }
        // RFC 8693 section 2.1 leaves client authentication to the server: only a confidential
        // client, whose identity is proven, may act for a user at another service.
        if public && self.grant_types.contains(&GrantType::TokenExchange) {
            return invalid(
                "a public client (token_endpoint_auth_method `none`) cannot use token exchange",
            );
        }
        if self.grant_types.contains(&GrantType::TokenExchange)
            != self.security.token_exchange.is_some()
        {
            return invalid(
                "token exchange needs both the grant type and token_exchange.audiences (the services the client may obtain tokens for)",
            );
        }
        if !uses_code && !self.redirect_uris.is_empty() {
            return Err(ClientError::InvalidRedirectUri(
                "redirect URIs are only used with authorization_code".to_owned(),
            ));
        }
        Ok(())
    }
}

/// A client secret, as handed out once at registration. `Debug` never shows it.
pub struct ClientSecret(SecretString);

impl ClientSecret {
    /// The secret, to show to the operator once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(..)")
    }
}

/// Registers a client. Returns it with its secret, which is not stored and cannot be shown again.
pub async fn register(
    provider: &Provider,
    new: NewClient,
) -> Result<(Client, Option<ClientSecret>), ClientError> {
    new.validate()?;
    // A FAPI 2.0 deployment holds every new client to the profile.
    let profile = ClientSecurity {
        fapi: new.security.fapi || provider.settings().fapi,
        ..new.security.clone()
    };
    profile.validate(new.auth_method, !provider.settings().issuer.is_https())?;
    if let Some(policy) = &new.security.token_exchange {
        policy.validate(&provider.settings().audience)?;
    }
    new.backchannel
        .validate(!provider.settings().issuer.is_https())?;
    let mut new = new;
    new.security.sector = sector_of(
        provider,
        &new.security,
        &new.redirect_uris,
        &new.grant_types,
    )
    .await?;
    let secret = matches!(
        new.auth_method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    )
    .then(|| ClientSecret(new_token(CLIENT_SECRET_PREFIX)));
    let client = Client {
        id: new.id.unwrap_or_else(ClientId::generate),
        name: new.name.trim().to_owned(),
        auth_method: new.auth_method,
        secret_hash: secret.as_ref().map(|s| provider.hasher().hash(s.expose())),
        grant_types: new.grant_types,
        scope: new.scope,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        trusted: new.trusted,
        extras: new.extras,
        security: new.security,
        backchannel: new.backchannel,
        registration_token_hash: new.registration_token_hash,
        created_at: provider.clock().unix(),
        registration_id: new_id(),
    };
    match provider.store().insert_client(&client).await {
        Ok(()) => Ok((client, secret)),
        Err(StoreError::Conflict(_)) => Err(ClientError::Duplicate(client.id)),
        Err(e) => Err(e.into()),
    }
}

/// The sector of a client asking for pairwise subject identifiers (OIDC Core section 8.1): the
/// host of its `sector_identifier_uri`, whose JSON array must list every redirect URI; without
/// one, the single host all its redirect URIs share. `None` for public subjects.
///
/// A client holding the device grant gets tokens without receiving anything at a redirect URI,
/// so its redirect URIs' host proves no sector: it needs a `sector_identifier_uri`.
pub async fn sector_of(
    provider: &Provider,
    security: &ClientSecurity,
    redirect_uris: &[RedirectUri],
    grant_types: &[GrantType],
) -> Result<Option<String>, ClientError> {
    if !security.pairwise {
        return Ok(None);
    }
    let invalid = |m: String| ClientError::InvalidMetadata(m);
    if let Some(uri) = &security.sector_identifier_uri {
        let url = url::Url::parse(uri)
            .ok()
            .filter(|url| url.scheme() == "https" || !provider.settings().issuer.is_https())
            .ok_or_else(|| {
                invalid(format!(
                    "sector_identifier_uri `{uri}` must be an https URL"
                ))
            })?;
        let listed = provider.client_jwks().fetch_json(uri).await.map_err(|_| {
            invalid(format!(
                "sector_identifier_uri `{uri}` could not be read as a JSON array of URIs"
            ))
        })?;
        let listed: Vec<String> = serde_json::from_value(listed).map_err(|_| {
            invalid(format!(
                "sector_identifier_uri `{uri}` is not a JSON array of URIs"
            ))
        })?;
        if let Some(missing) = redirect_uris
            .iter()
            .find(|r| !listed.iter().any(|l| l == r.as_str()))
        {
            return Err(invalid(format!(
                "redirect URI `{}` is not listed at sector_identifier_uri `{uri}`",
                missing.as_str()
            )));
        }
        return Ok(url.host_str().map(str::to_owned));
    }
    if grant_types.contains(&GrantType::DeviceCode) {
        return Err(invalid(
            "a pairwise client with the device grant needs a sector_identifier_uri: it receives tokens without a redirect URI, so the redirect URIs' host does not prove its sector (OIDC Core section 8.1)".into(),
        ));
    }
    // Only web redirect URIs name a host the client receives codes at: a private-use scheme
    // (`com.example.app://victim.example/cb`) can name any host, so it would let anyone claim
    // another site's sector. With such a URI, the sector must come from a sector_identifier_uri.
    let mut hosts = Vec::new();
    for uri in redirect_uris {
        let url = url::Url::parse(uri.as_str()).ok();
        match url
            .as_ref()
            .filter(|url| matches!(url.scheme(), "https" | "http"))
        {
            Some(url) => hosts.extend(url.host_str().map(str::to_ascii_lowercase)),
            None => {
                return Err(invalid(format!(
                    "redirect URI `{}` is not an https URL: pairwise subject identifiers need a sector_identifier_uri for it (OIDC Core section 8.1)",
                    uri.as_str()
                )));
            }
        }
    }
    let mut hosts = hosts.into_iter();
    let Some(first) = hosts.next() else {
        return Err(invalid(
            "pairwise subject identifiers need redirect URIs or a sector_identifier_uri".into(),
        ));
    };
    if hosts.any(|host| host != first) {
        return Err(invalid(
            "redirect URIs on several hosts need a sector_identifier_uri for pairwise subject identifiers (OIDC Core section 8.1)".into(),
        ));
    }
    Ok(Some(first))
}

/// Deletes a client. Its refresh tokens and their access tokens are revoked with it, its
/// pending codes go, and its client-credentials tokens read inactive once every replica has
/// forgotten the client (`database.cache_secs`); a client registered later under the same id
/// is another registration and revives none of them.
pub async fn delete(provider: &Provider, id: &ClientId) -> Result<(), ClientError> {
    match provider
        .store()
        .delete_client(id, provider.clock().unix())
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(ClientError::NotFound(id.clone())),
        Err(e) => Err(e.into()),
    }
}

/// Sets the services `id` may exchange users' tokens for (RFC 8693), adding the token-exchange
/// grant type; an empty list takes both away. Tokens already exchanged live until they expire.
pub async fn set_token_exchange(
    provider: &Provider,
    id: &ClientId,
    audiences: Vec<String>,
) -> Result<Client, ClientError> {
    let mut client = provider
        .store()
        .client(id)
        .await?
        .ok_or_else(|| ClientError::NotFound(id.clone()))?
        .as_ref()
        .clone();
    client
        .grant_types
        .retain(|g| *g != GrantType::TokenExchange);
    client.security.token_exchange = None;
    if audiences.is_empty() && client.grant_types.is_empty() {
        return Err(ClientError::InvalidMetadata(format!(
            "client `{id}` has no grant type but token exchange: delete the client instead"
        )));
    }
    if !audiences.is_empty() {
        let policy = TokenExchangePolicy { audiences };
        policy.validate(&provider.settings().audience)?;
        if client.is_public() {
            return Err(ClientError::InvalidMetadata(format!(
                "client `{id}` is public: token exchange needs a confidential client"
            )));
        }
        if client.registered_dynamically() {
            return Err(ClientError::InvalidMetadata(format!(
                "client `{id}` registered itself: token exchange is for clients an administrator created"
            )));
        }
        client.grant_types.push(GrantType::TokenExchange);
        client.security.token_exchange = Some(policy);
    }
    match provider.store().update_client(&client).await {
        Ok(()) => Ok(client),
        Err(StoreError::NotFound) => Err(ClientError::NotFound(id.clone())),
        Err(e) => Err(e.into()),
    }
}

/// What a change of a client's settings ends at once, besides the settings themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeEnds {
    /// Its unused authorization codes: a redirect URI they may have gone to is gone, or the
    /// code grant is.
    pub unused_codes: bool,
    /// Its token families (refresh tokens, and their access tokens through the revocation
    /// feed): the refresh grant is gone (re-adding it later revives none), or the client is no
    /// longer first-party (its users never consented).
    pub families: bool,
}

impl ChangeEnds {
    /// What changing `before` into `after` ends.
    pub fn between(before: &Client, after: &Client) -> Self {
        let uri_removed = before
            .redirect_uris
            .iter()
            .any(|r| !after.redirect_uris.iter().any(|a| a.as_str() == r.as_str()));
        let lost = |grant| before.may_use(grant) && !after.may_use(grant);
        Self {
            unused_codes: uri_removed || lost(GrantType::AuthorizationCode),
            families: lost(GrantType::RefreshToken) || (before.trusted && !after.trusted),
        }
    }
}

/// What an administrator changes of a client (the console's edit form): everything but its
/// id, authentication method, keys, token-exchange policy and subject type.
#[derive(Debug, Clone)]
pub struct ClientChanges {
    /// Human-readable name.
    pub name: String,
    /// Grant types. Token exchange is kept as the client has it: it comes with its policy
    /// ([`set_token_exchange`]), so it is neither added nor removed here.
    pub grant_types: Vec<GrantType>,
    /// Allowed scopes.
    pub scope: Scope,
    /// Redirect URIs.
    pub redirect_uris: Vec<RedirectUri>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// First-party client (no consent screen).
    pub trusted: bool,
}

/// Replaces a client's name, grants, scope, redirect URIs and trust, under the rules a new
/// client meets. What the change takes away stops working at once: a grant type is checked at
/// every token request, a refresh narrows to the client's scope as it is now, and a code
/// issued for a redirect URI that is gone is refused (the authorization code grant checks it
/// is still registered); access tokens already issued live until they expire. Pairwise
/// subject identifiers must keep their sector (OIDC Core section 8.1): the users' identifiers
/// at the client would change.
pub async fn update(
    provider: &Provider,
    id: &ClientId,
    changes: ClientChanges,
) -> Result<Client, ClientError> {
    let current = provider
        .store()
        .client(id)
        .await?
        .ok_or_else(|| ClientError::NotFound(id.clone()))?;
    let mut grant_types: Vec<GrantType> = changes
        .grant_types
        .into_iter()
        .filter(|g| *g != GrantType::TokenExchange)
        .collect();
    if current.may_use(GrantType::TokenExchange) {
        grant_types.push(GrantType::TokenExchange);
    }
    let mut wanted = NewClient::new(changes.name, current.auth_method, grant_types);
    wanted.scope = changes.scope;
    wanted.redirect_uris = changes.redirect_uris;
    wanted.post_logout_redirect_uris = changes.post_logout_redirect_uris;
    wanted.trusted = changes.trusted;
    wanted.security = current.security.clone();
    wanted.validate()?;
    // A client that registered itself (RFC 7591) stays within what registration gives: never
    // first-party, no grant or scope it did not have.
    if current.registered_dynamically() {
        if wanted.trusted {
            return Err(ClientError::InvalidMetadata(
                "a client that registered itself cannot be made first-party (trusted)".to_owned(),
            ));
        }
        if let Some(grant) = wanted.grant_types.iter().find(|g| !current.may_use(**g)) {
            return Err(ClientError::InvalidMetadata(format!(
                "a client that registered itself keeps its grant types or fewer: `{grant}` is new"
            )));
        }
        if let Some(scope) = wanted.scope.iter().find(|s| !current.scope.contains(s)) {
            return Err(ClientError::InvalidMetadata(format!(
                "a client that registered itself keeps its scopes or fewer: `{scope}` is new"
            )));
        }
    }
    let sector = sector_of(
        provider,
        &current.security,
        &wanted.redirect_uris,
        &wanted.grant_types,
    )
    .await?;
    if sector != current.security.sector {
        return Err(ClientError::InvalidMetadata(
            "the change would move the client's pairwise subject identifiers to another sector (the redirect URIs' host): register a new client instead".to_owned(),
        ));
    }
    let updated = Client {
        name: wanted.name.trim().to_owned(),
        grant_types: wanted.grant_types,
        scope: wanted.scope,
        redirect_uris: wanted.redirect_uris,
        post_logout_redirect_uris: wanted.post_logout_redirect_uris,
        trusted: wanted.trusted,
        ..current.as_ref().clone()
    };
    let ends = ChangeEnds::between(&current, &updated);
    match provider.store().update_client_ending(&updated, ends).await {
        Ok(()) => Ok(updated),
        Err(StoreError::NotFound) => Err(ClientError::NotFound(id.clone())),
        Err(e) => Err(e.into()),
    }
}

/// Gives a confidential client a new secret and returns it (shown once). The old secret stops
/// working at once, and every token issued under it ends: its refresh tokens are bound to the
/// client's authentication (RFC 6749 section 10.4, RFC 9700 section 4.14.2), and a rotation is
/// how an operator answers a leaked secret, so what was obtained with the old one is revoked
/// too (access tokens read inactive within `database.cache_secs` on every replica).
pub async fn rotate_secret(
    provider: &Provider,
    id: &ClientId,
) -> Result<ClientSecret, ClientError> {
    let client = provider
        .store()
        .client(id)
        .await?
        .ok_or_else(|| ClientError::NotFound(id.clone()))?;
    if client.secret_hash.is_none() {
        return Err(ClientError::InvalidMetadata(format!(
            "client `{id}` authenticates with {}: it has no secret to rotate",
            client.auth_method
        )));
    }
    let secret = ClientSecret(new_token(CLIENT_SECRET_PREFIX));
    match provider
        .store()
        .rotate_client_secret(id, &provider.hasher().hash(secret.expose()), &new_id())
        .await
    {
        Ok(()) => Ok(secret),
        Err(StoreError::NotFound) => Err(ClientError::NotFound(id.clone())),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_follow_the_charset_and_are_never_uuids() {
        assert!(ClientId::parse("shop.example-1_~").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("a b").is_err());
        assert!(ClientId::parse(&"x".repeat(129)).is_err());
        let err = ClientId::parse("0190a8c4-5b8e-7d4e-9c1a-2f3b4c5d6e7f").unwrap_err();
        assert!(err.to_string().contains("must not be a UUID"));
    }

    fn new_client(auth: AuthMethod, grants: &[GrantType]) -> NewClient {
        NewClient::new("Shop", auth, grants.to_vec())
    }

    #[test]
    fn a_client_s_scopes_are_bounded() {
        let mut client = new_client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::ClientCredentials],
        );
        let many: Vec<String> = (0..400).map(|i| format!("scope{i}")).collect();
        client.scope = Scope::parse(&many.join(" ")).unwrap();
        let err = client.validate().unwrap_err();
        assert!(err.to_string().contains("at most 2000 characters"), "{err}");
        client.scope = Scope::parse("orders:read orders:write").unwrap();
        assert!(client.validate().is_ok());
    }

    #[test]
    fn public_clients_cannot_use_client_credentials() {
        let err = new_client(AuthMethod::None, &[GrantType::ClientCredentials])
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("cannot use client_credentials"));
    }

    #[test]
    fn token_exchange_audiences_are_distinct_named_services() {
        let policy = |audiences: &[&str]| TokenExchangePolicy {
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
        };
        let own = "https://id.example.com";
        assert!(
            policy(&["https://tickets.example.com"])
                .validate(own)
                .is_ok()
        );
        for (audiences, says) in [
            (&[][..], "1 to 32"),
            (&[own][..], "own audience"),
            (&["a", "a"][..], "twice"),
            (&["two words"][..], "without spaces"),
        ] {
            let error = policy(audiences).validate(own).unwrap_err();
            assert!(error.to_string().contains(says), "{error}");
        }
        let mut grants = new_client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::ClientCredentials, GrantType::TokenExchange],
        );
        assert!(grants.validate().is_err(), "the grant needs its audiences");
        grants.security.token_exchange = Some(policy(&["https://tickets.example.com"]));
        assert!(grants.validate().is_ok());
        grants.auth_method = AuthMethod::None;
        grants.grant_types = vec![GrantType::TokenExchange];
        assert!(grants.validate().is_err(), "public clients cannot exchange");
    }

    #[test]
    fn code_clients_need_a_redirect_uri() {
        let err = new_client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        )
        .validate()
        .unwrap_err();
        assert!(matches!(err, ClientError::InvalidRedirectUri(_)));
    }

    #[test]
    fn device_clients_need_no_redirect_uri_and_may_refresh() {
        new_client(
            AuthMethod::None,
            &[GrantType::DeviceCode, GrantType::RefreshToken],
        )
        .validate()
        .unwrap();
        let err = new_client(AuthMethod::None, &[GrantType::RefreshToken])
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("only issued with"));
    }
}
