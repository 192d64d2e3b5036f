//! Resource indicators, [RFC 8707](https://www.rfc-editor.org/rfc/rfc8707): the APIs a token can
//! be meant for (profiles, events, tickets, ...), registered as data with the scopes each
//! accepts. A client names the API in `resource` at `/authorize` and at the token endpoint;
//! the access token's `aud` is then that API alone, and its scope what the API accepts, so a
//! token for one API is refused by every other (its `auth-client` verifier checks `aud`).

use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;
use crate::scope::Scope;
use crate::store::StoreError;
use auth_proto::error::ErrorCode;

/// A registered API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Its URI: what clients send in `resource` and tokens carry in `aud`.
    pub uri: String,
    /// What it is, for operators.
    pub name: String,
    /// The scopes it accepts; a token for it carries no others.
    pub scope: Scope,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
}

/// Why a resource could not be registered or removed.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// The URI or name is unacceptable.
    #[error("{0}")]
    Invalid(String),
    /// The URI is taken.
    #[error("a resource with URI `{0}` already exists")]
    Duplicate(String),
    /// No resource has this URI.
    #[error("no resource is registered with URI `{0}`")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An `invalid_target` error (RFC 8707 section 2).
pub fn invalid_target(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidTarget, description)
}

/// Checks a resource URI: absolute, without a fragment (RFC 8707 section 2), at most 512
/// characters.
pub fn check_uri(uri: &str) -> Result<(), String> {
    let url =
        url::Url::parse(uri).map_err(|_| format!("resource `{uri}` is not an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(format!("resource `{uri}` must not have a fragment"));
    }
    if uri.len() > 512 {
        return Err("a resource URI is at most 512 characters".to_owned());
    }
    Ok(())
}

/// Registers an API.
pub async fn register(
    provider: &Provider,
    uri: &str,
    name: &str,
    scope: Scope,
) -> Result<Resource, ResourceError> {
    check_uri(uri).map_err(ResourceError::Invalid)?;
    // The server's own audience is not an API of its own: tokens for it would pass the
    // server's userinfo and APIs with a narrowed scope.
    if uri == provider.settings().audience {
        return Err(ResourceError::Invalid(format!(
            "`{uri}` is this server's own audience (tokens.audience), not an API to register"
        )));
    }
    if name.trim().is_empty() || name.len() > 200 {
        return Err(ResourceError::Invalid(
            "a resource name is 1 to 200 characters".to_owned(),
        ));
    }
    if scope.is_empty() {
        return Err(ResourceError::Invalid(
            "a resource accepts at least one scope".to_owned(),
        ));
    }
    let resource = Resource {
        uri: uri.to_owned(),
        name: name.trim().to_owned(),
        scope,
        created_at: provider.clock().unix(),
    };
    match provider.store().insert_resource(&resource).await {
        Ok(()) => Ok(resource),
        Err(StoreError::Conflict(_)) => Err(ResourceError::Duplicate(uri.to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// Removes an API. Tokens already issued for it keep their `aud` until they expire; no new
/// token names it.
pub async fn delete(provider: &Provider, uri: &str) -> Result<(), ResourceError> {
    match provider.store().delete_resource(uri).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(ResourceError::NotFound(uri.to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// The registered resources the request names in `resource` (none, one or several), or
/// `invalid_target` naming the first that is not registered.
pub async fn requested(provider: &Provider, params: &Params) -> Result<Vec<Resource>, OAuthError> {
    let mut found = Vec::new();
    for uri in params.all("resource") {
        check_uri(uri).map_err(invalid_target)?;
        let resource = provider
            .store()
            .resource(uri)
            .await?
            .ok_or_else(|| invalid_target(format!("resource `{uri}` is not registered")))?;
        if !found.iter().any(|r: &Resource| r.uri == resource.uri) {
            found.push(resource);
        }
    }
    Ok(found)
}

/// The audience and scope of an access token: for one resource, its URI and the part of
/// `scope` it accepts; without one, `None` (the server's default audience) and `scope`.
pub fn target(
    resources: &[Resource],
    scope: &Scope,
) -> Result<(Option<String>, Scope), OAuthError> {
    match resources {
        [] => Ok((None, scope.clone())),
        [resource] => {
            let narrowed: Scope = scope
                .iter()
                .filter(|s| resource.scope.contains(s))
                .collect();
            if narrowed.is_empty() {
                return Err(invalid_target(format!(
                    "resource `{}` accepts none of the scopes granted",
                    resource.uri
                )));
            }
            Ok((Some(resource.uri.clone()), narrowed))
        }
        _ => Err(invalid_target(
            "an access token is for one resource: send one `resource` at the token endpoint",
        )),
    }
}

/// The audience and scope of the access token a token request asks for: `resource` at the
/// token endpoint (RFC 8707 section 2.2), within the resources the grant was authorized for
/// (`granted`; empty when the authorization named none, and for client credentials). Without
/// a `resource`, the one resource authorized is the target; several need one named.
pub async fn token_target(
    provider: &Provider,
    params: &Params,
    granted: &[String],
    scope: &Scope,
) -> Result<(Option<String>, Scope), OAuthError> {
    let requested = requested(provider, params).await?;
    if let Some(outside) = requested
        .iter()
        .find(|r| !granted.is_empty() && !granted.contains(&r.uri))
    {
        return Err(invalid_target(format!(
            "resource `{}` was not part of the authorization",
            outside.uri
        )));
    }
    let chosen = if requested.is_empty() {
        match granted {
            [] => Vec::new(),
            [only] => match provider.store().resource(only).await? {
                Some(resource) => vec![resource],
                None => {
                    return Err(invalid_target(format!(
                        "resource `{only}` is no longer registered"
                    )));
                }
            },
            _ => {
                return Err(invalid_target(
                    "the authorization names several resources: send the one this token is for in `resource`",
                ));
            }
        }
    } else {
        requested
    };
    target(&chosen, scope)
}
