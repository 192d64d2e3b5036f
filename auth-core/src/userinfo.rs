//! The userinfo endpoint, [OIDC Core section 5.3](https://openid.net/specs/openid-connect-core-1_0.html#UserInfo),
//! protected as an RFC 6750 resource.

use crate::Provider;
use crate::error::OAuthError;
use crate::scope::Scope;
use crate::tokens::access::ValidationFailure;
use crate::users::{self, UserId};
use serde_json::{Map, Value};

/// Why userinfo refused (RFC 6750 section 3.1).
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// No token was sent: a bare challenge, no error code (RFC 6750 section 3.1).
    #[error("no access token")]
    Missing,
    /// The request is malformed (two tokens, a token in the query).
    #[error("{0}")]
    InvalidRequest(String),
    /// The token is expired, revoked, malformed or not ours.
    #[error("{0}")]
    InvalidToken(String),
    /// The token lacks a required scope.
    #[error("{0}")]
    InsufficientScope(String),
    /// The server failed.
    #[error(transparent)]
    Internal(OAuthError),
}

/// The claims about the user of `access_token`, by its scope.
pub async fn userinfo(
    provider: &Provider,
    access_token: &str,
) -> Result<Map<String, Value>, ResourceError> {
    let claims = match provider.validate_access_token(access_token).await {
        Ok(claims) => claims,
        Err(ValidationFailure::Invalid(e)) => {
            return Err(ResourceError::InvalidToken(e.to_string()));
        }
        Err(ValidationFailure::Internal(e)) => return Err(ResourceError::Internal(e)),
    };
    let scope = Scope::parse(claims.scope.as_deref().unwrap_or("")).unwrap_or_default();
    if !scope.contains("openid") {
        return Err(ResourceError::InsufficientScope(
            "the access token was not granted the `openid` scope".into(),
        ));
    }
    let user = match UserId::parse(&claims.sub) {
        Some(id) => provider
            .store()
            .user(&id)
            .await
            .map_err(|e| ResourceError::Internal(e.into()))?,
        None => None,
    };
    let Some(user) = user.filter(users::User::is_active) else {
        return Err(ResourceError::InvalidToken(
            "the user of this token no longer exists or is disabled".into(),
        ));
    };
    let grants = provider
        .store()
        .user_grants(&user.id)
        .await
        .map_err(|e| ResourceError::Internal(e.into()))?;
    let mut body = Map::new();
    body.insert("sub".into(), user.id.to_string().into());
    body.extend(users::claims(&user, &scope, &grants.roles));
    Ok(body)
}
