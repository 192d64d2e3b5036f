//! Dynamic client registration, [RFC 7591](https://www.rfc-editor.org/rfc/rfc7591), and its
//! management protocol, [RFC 7592](https://www.rfc-editor.org/rfc/rfc7592).
//!
//! Dynamically registered clients are never trusted (users always see the consent screen), may
//! only ask for the scopes the operator allows for them, may not use `client_credentials`, and
//! never get an error redirect before the user has interacted
//! ([`crate::authorize::refuse_before_interaction`]).

use crate::Provider;
use crate::backchannel::BackchannelLogout;
use crate::clients::{
    self, AuthMethod, Client, ClientError, ClientExtras, ClientId, ClientSecurity, GrantType,
    NewClient, RedirectUri,
};
use crate::error::OAuthError;
use crate::scope::Scope;
use crate::secrets::{TokenHash, new_token};
use crate::store::StoreError;
use auth_proto::error::ErrorCode;
use auth_proto::registration::{ClientMetadata, RegistrationResponse};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// Prefix of registration access tokens.
pub const REGISTRATION_TOKEN_PREFIX: &str = "rat_";

/// Who may register clients.
#[derive(Debug, Clone)]
pub enum RegistrationMode {
    /// Anyone.
    Open,
    /// Holders of the initial access token (RFC 7591 section 3), stored as its hash.
    InitialAccessToken(TokenHash),
    /// Nobody: the endpoint is not offered.
    Disabled,
}

/// The operator's rules for dynamic registration.
#[derive(Debug, Clone)]
pub struct RegistrationPolicy {
    /// Who may register.
    pub mode: RegistrationMode,
    /// Scopes a registered client may ask for; also its default scope.
    pub allowed_scope: Scope,
}

fn invalid_metadata(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description.into())
}

/// Why a registration-management request was refused.
#[derive(Debug)]
pub enum ManagementError {
    /// The registration access token is missing or wrong, or the client does not exist
    /// (RFC 7592 section 2: answered 401 either way).
    Unauthorized,
    /// The new metadata is invalid.
    Invalid(OAuthError),
}

impl From<OAuthError> for ManagementError {
    fn from(e: OAuthError) -> Self {
        Self::Invalid(e)
    }
}

impl From<StoreError> for ManagementError {
    fn from(e: StoreError) -> Self {
        Self::Invalid(e.into())
    }
}

/// Whether `presented` is the initial access token of `mode` (RFC 7591 section 3).
pub fn may_register(provider: &Provider, mode: &RegistrationMode, presented: Option<&str>) -> bool {
    match mode {
        RegistrationMode::Open => true,
        RegistrationMode::Disabled => false,
        RegistrationMode::InitialAccessToken(expected) => presented.is_some_and(|token| {
            provider
                .hasher()
                .verify(&SecretString::from(token), expected)
        }),
    }
}

/// Registers a client from its metadata (RFC 7591 section 3.1).
pub async fn register(
    provider: &Provider,
    policy: &RegistrationPolicy,
    metadata: ClientMetadata,
) -> Result<RegistrationResponse, OAuthError> {
    let mut new = new_client(policy, &metadata)?;
    let registration_token = new_token(REGISTRATION_TOKEN_PREFIX);
    new.registration_token_hash = Some(provider.hasher().hash(registration_token.expose_secret()));
    let (client, secret) = clients::register(provider, new)
        .await
        .map_err(client_error)?;
    let mut response = response(provider, &client);
    response.client_secret = secret.map(|s| s.expose().to_owned());
    response.client_secret_expires_at = response.client_secret.as_ref().map(|_| 0);
    response.registration_access_token = Some(registration_token.expose_secret().to_owned());
    Ok(response)
}

/// Reads a registration (RFC 7592 section 2.1).
pub async fn read(
    provider: &Provider,
    client_id: &str,
    token: Option<&str>,
) -> Result<RegistrationResponse, ManagementError> {
    let client = authorize(provider, client_id, token).await?;
    Ok(response(provider, &client))
}

/// Replaces a registration's metadata (RFC 7592 section 2.2).
pub async fn update(
    provider: &Provider,
    policy: &RegistrationPolicy,
    client_id: &str,
    token: Option<&str>,
    metadata: ClientMetadata,
) -> Result<RegistrationResponse, ManagementError> {
    let client = authorize(provider, client_id, token).await?;
    // Section 2.2: the client_id MUST be included and match; a client_secret, if sent, MUST match.
    if metadata.client_id.as_deref() != Some(client.id.as_str()) {
        return Err(
            invalid_metadata("client_id in the body must be the id of the registration").into(),
        );
    }
    if let Some(secret) = &metadata.client_secret {
        let matches = client.secret_hash.as_ref().is_some_and(|stored| {
            provider
                .hasher()
                .verify(&SecretString::from(secret.as_str()), stored)
        });
        if !matches {
            return Err(
                invalid_metadata("client_secret does not match the client's secret").into(),
            );
        }
    }
    let new = new_client(policy, &metadata)?;
    new.security
        .validate(new.auth_method, !provider.settings().issuer.is_https())
        .map_err(client_error)?;
    new.backchannel
        .validate(!provider.settings().issuer.is_https())
        .map_err(client_error)?;
    if (new.auth_method == AuthMethod::None) != client.is_public() {
        return Err(invalid_metadata(
            "token_endpoint_auth_method cannot switch between public and confidential",
        )
        .into());
    }
    let uses_secret = matches!(
        new.auth_method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    );
    if uses_secret != client.secret_hash.is_some() {
        return Err(invalid_metadata(
            "token_endpoint_auth_method cannot switch between a client secret and private_key_jwt: register a new client",
        )
        .into());
    }
    let mut security = new.security;
    security.sector = clients::sector_of(provider, &security, &new.redirect_uris, &new.grant_types)
        .await
        .map_err(client_error)?;
    if security.sector != client.security.sector {
        return Err(invalid_metadata(
            "the update would change the client's subject identifiers (subject_type, sector_identifier_uri or the redirect URIs' host): register a new client",
        )
        .into());
    }
    let before = client.clone();
    let updated = Client {
        // A client that registered itself is never first-party, whatever happened before.
        trusted: false,
        name: new.name,
        auth_method: new.auth_method,
        grant_types: new.grant_types,
        scope: new.scope,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        extras: new.extras,
        security,
        backchannel: new.backchannel,
        ..client
    };
    let ends = clients::ChangeEnds::between(&before, &updated);
    provider
        .store()
        .update_client_ending(&updated, ends)
        .await?;
    Ok(response(provider, &updated))
}

/// Deletes a registration (RFC 7592 section 2.3).
pub async fn delete(
    provider: &Provider,
    client_id: &str,
    token: Option<&str>,
) -> Result<(), ManagementError> {
    let client = authorize(provider, client_id, token).await?;
    clients::delete(provider, &client.id)
        .await
        .map_err(|e| ManagementError::Invalid(client_error(e)))
}

async fn authorize(
    provider: &Provider,
    client_id: &str,
    token: Option<&str>,
) -> Result<Client, ManagementError> {
    let token = token.ok_or(ManagementError::Unauthorized)?;
    let id = ClientId::parse(client_id).map_err(|_| ManagementError::Unauthorized)?;
    let client = provider
        .store()
        .client(&id)
        .await?
        .ok_or(ManagementError::Unauthorized)?;
    let valid = client
        .registration_token_hash
        .as_ref()
        .is_some_and(|stored| provider.hasher().verify(&SecretString::from(token), stored));
    if valid {
        Ok(Arc::unwrap_or_clone(client))
    } else {
        Err(ManagementError::Unauthorized)
    }
}

fn client_error(e: ClientError) -> OAuthError {
    match e {
        ClientError::InvalidRedirectUri(m) => OAuthError::new(ErrorCode::InvalidRedirectUri, m),
        ClientError::InvalidId(m) | ClientError::InvalidMetadata(m) => invalid_metadata(m),
        ClientError::Store(e) => e.into(),
        other => invalid_metadata(other.to_string()),
    }
}

fn new_client(policy: &RegistrationPolicy, m: &ClientMetadata) -> Result<NewClient, OAuthError> {
    let auth_method = match m.token_endpoint_auth_method.as_deref() {
        None => AuthMethod::ClientSecretBasic,
        Some(name) => AuthMethod::parse(name).ok_or_else(|| {
            invalid_metadata(format!(
                "token_endpoint_auth_method `{name}` is not supported; use client_secret_basic, client_secret_post, private_key_jwt or none"
            ))
        })?,
    };
    let grant_types = match &m.grant_types {
        None => vec![GrantType::AuthorizationCode],
        Some(names) => names
            .iter()
            .map(|g| {
                GrantType::parse(g)
                    .ok_or_else(|| invalid_metadata(format!("grant type `{g}` is not supported")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    // Anyone may register when registration is open: a self-registered client must not mint
    // access tokens on its own behalf, which every resource server would accept (RFC 9700
    // section 2.3 asks to restrict what a token is good for).
    if grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid_metadata(
            "grant type `client_credentials` is not available to dynamically registered clients; ask an administrator to create the client",
        ));
    }
    // A self-registered client must not act for users at other services either: which
    // services a client may exchange users' tokens for is an administrator's decision.
    if grant_types.contains(&GrantType::TokenExchange) {
        return Err(invalid_metadata(
            "grant type `urn:ietf:params:oauth:grant-type:token-exchange` is not available to dynamically registered clients; ask an administrator to create the client",
        ));
    }
    // RFC 7591 section 2.1: response_types and grant_types must be consistent.
    let response_types = m.response_types.clone().unwrap_or_else(|| {
        if grant_types.contains(&GrantType::AuthorizationCode) {
            vec!["code".into()]
        } else {
            vec![]
        }
    });
    if let Some(other) = response_types.iter().find(|r| r.as_str() != "code") {
        return Err(invalid_metadata(format!(
            "response type `{other}` is not supported; use `code`"
        )));
    }
    if response_types.is_empty() == grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(invalid_metadata(
            "response_types `code` goes with grant_types `authorization_code`, and only with it",
        ));
    }
    let scope = match &m.scope {
        None => policy.allowed_scope.clone(),
        Some(text) => {
            let scope = Scope::parse(text).map_err(|e| invalid_metadata(e.to_string()))?;
            let refused: Vec<&str> = scope.not_in(&policy.allowed_scope).collect();
            if !refused.is_empty() {
                return Err(invalid_metadata(format!(
                    "scope `{}` is not available to dynamically registered clients",
                    refused.join(" ")
                )));
            }
            scope
        }
    };
    let uris = |list: &[String]| -> Result<Vec<RedirectUri>, OAuthError> {
        list.iter()
            .map(|u| RedirectUri::parse(u).map_err(client_error))
            .collect()
    };
    for (field, value) in [
        ("client_uri", &m.client_uri),
        ("logo_uri", &m.logo_uri),
        ("tos_uri", &m.tos_uri),
        ("policy_uri", &m.policy_uri),
    ] {
        if let Some(value) = value
            && !url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
        {
            return Err(invalid_metadata(format!(
                "{field} `{value}` is not an http(s) URL"
            )));
        }
    }
    let mut new = NewClient::new(
        m.client_name
            .clone()
            .unwrap_or_else(|| "Unnamed application".to_owned()),
        auth_method,
        grant_types,
    );
    new.scope = scope;
    new.redirect_uris = uris(&m.redirect_uris)?;
    new.post_logout_redirect_uris = uris(&m.post_logout_redirect_uris)?;
    new.extras = ClientExtras {
        client_uri: m.client_uri.clone(),
        logo_uri: m.logo_uri.clone(),
        contacts: m.contacts.clone(),
        tos_uri: m.tos_uri.clone(),
        policy_uri: m.policy_uri.clone(),
        software_id: m.software_id.clone(),
        software_version: m.software_version.clone(),
    };
    new.security = ClientSecurity {
        jwks: m.jwks.clone(),
        jwks_uri: m.jwks_uri.clone(),
        require_pushed_authorization_requests: m
            .require_pushed_authorization_requests
            .unwrap_or(false),
        dpop_bound_access_tokens: m.dpop_bound_access_tokens.unwrap_or(false),
        // Not a registration field: an operator puts a client under the profile (admin API,
        // CLI), or the whole deployment (`fapi.enabled`).
        fapi: false,
        pairwise: match m.subject_type.as_deref() {
            None | Some("public") => false,
            Some("pairwise") => true,
            Some(other) => {
                return Err(invalid_metadata(format!(
                    "subject_type `{other}` is not supported; use public or pairwise"
                )));
            }
        },
        sector_identifier_uri: m.sector_identifier_uri.clone(),
        sector: None,
        // Not for self-registered clients (see the grant type check above).
        token_exchange: None,
    };
    new.backchannel = BackchannelLogout {
        uri: m.backchannel_logout_uri.clone(),
        session_required: m.backchannel_logout_session_required.unwrap_or(false),
    };
    new.validate().map_err(client_error)?;
    Ok(new)
}

/// The RFC 7591 / 7592 view of a client (without secrets).
pub fn response(provider: &Provider, client: &Client) -> RegistrationResponse {
    let has_code = client.may_use(GrantType::AuthorizationCode);
    RegistrationResponse {
        client_id: client.id.to_string(),
        client_secret: None,
        client_id_issued_at: client.created_at,
        client_secret_expires_at: None,
        registration_access_token: None,
        registration_client_uri: provider
            .settings()
            .issuer
            .endpoint(&format!("/register/{}", client.id)),
        metadata: ClientMetadata {
            redirect_uris: client
                .redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect(),
            token_endpoint_auth_method: Some(client.auth_method.to_string()),
            grant_types: Some(client.grant_types.iter().map(ToString::to_string).collect()),
            response_types: Some(if has_code {
                vec!["code".into()]
            } else {
                vec![]
            }),
            client_name: Some(client.name.clone()),
            client_uri: client.extras.client_uri.clone(),
            logo_uri: client.extras.logo_uri.clone(),
            scope: Some(client.scope.to_string()),
            contacts: client.extras.contacts.clone(),
            tos_uri: client.extras.tos_uri.clone(),
            policy_uri: client.extras.policy_uri.clone(),
            software_id: client.extras.software_id.clone(),
            software_version: client.extras.software_version.clone(),
            post_logout_redirect_uris: client
                .post_logout_redirect_uris
                .iter()
                .map(ToString::to_string)
                .collect(),
            jwks_uri: client.security.jwks_uri.clone(),
            jwks: client.security.jwks.clone(),
            require_pushed_authorization_requests: client
                .security
                .require_pushed_authorization_requests
                .then_some(true),
            dpop_bound_access_tokens: client.security.dpop_bound_access_tokens.then_some(true),
            subject_type: Some(
                if client.security.sector.is_some() {
                    "pairwise"
                } else {
                    "public"
                }
                .to_owned(),
            ),
            sector_identifier_uri: client.security.sector_identifier_uri.clone(),
            backchannel_logout_uri: client.backchannel.uri.clone(),
            backchannel_logout_session_required: client
                .backchannel
                .uri
                .is_some()
                .then_some(client.backchannel.session_required),
            client_id: None,
            client_secret: None,
        },
    }
}
