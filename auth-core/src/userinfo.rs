//! The userinfo endpoint, [OIDC Core section 5.3](https://openid.net/specs/openid-connect-core-1_0.html#UserInfo),
//! protected as an RFC 6750 resource.

use crate::Provider;
use crate::dpop::{self, ProofRequest};
use crate::error::OAuthError;
use crate::scope::Scope;
use crate::tokens::access::ValidationFailure;
use crate::users::{self, UserId};
use auth_proto::error::ErrorCode;
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
    /// The DPoP proof is missing or invalid (RFC 9449 section 7.1).
    #[error("{0}")]
    InvalidDpopProof(String),
    /// The DPoP proof must carry the server's nonce (RFC 9449 section 9).
    #[error("{0}")]
    UseDpopNonce(String),
    /// The server failed.
    #[error(transparent)]
    Internal(OAuthError),
}

/// How a request presented its access token (RFC 6750, RFC 9449 section 7).
#[derive(Debug, Clone, Copy)]
pub enum Presentation<'a> {
    /// `Authorization: Bearer`, or the form body.
    Bearer,
    /// `Authorization: DPoP`, with the request's `DPoP` proof (if any) and what it must be for.
    Dpop {
        /// The `DPoP` header.
        proof: Option<&'a str>,
        /// The request's method.
        method: &'a str,
        /// The URL the client addressed.
        url: &'a str,
    },
}

/// Checks that a token is presented as its binding requires: a DPoP-bound token only with the
/// DPoP scheme and a proof signed by its key (RFC 9449 sections 7.1 and 7.2), an unbound one
/// only as a bearer token.
pub async fn check_presentation(
    provider: &Provider,
    access_token: &str,
    bound_to: Option<&str>,
    presentation: Presentation<'_>,
) -> Result<(), ResourceError> {
    match (bound_to, presentation) {
        (None, Presentation::Bearer) => Ok(()),
        (None, Presentation::Dpop { .. }) => Err(ResourceError::InvalidToken(
            "this access token is not bound to a DPoP key: send it with the Bearer scheme".into(),
        )),
        (Some(_), Presentation::Bearer) => Err(ResourceError::InvalidToken(
            "this access token is bound to a DPoP key: send it with the DPoP scheme and a proof"
                .into(),
        )),
        (Some(_), Presentation::Dpop { proof: None, .. }) => Err(ResourceError::InvalidDpopProof(
            "a DPoP proof is required with this token".into(),
        )),
        (
            Some(bound),
            Presentation::Dpop {
                proof: Some(proof),
                method,
                url,
            },
        ) => {
            let request = ProofRequest {
                method,
                url,
                access_token: Some(access_token),
            };
            let jkt = dpop::check(provider, proof, &request)
                .await
                .map_err(|e| match e.code() {
                    ErrorCode::UseDpopNonce => ResourceError::UseDpopNonce(e.description().into()),
                    ErrorCode::InvalidDpopProof => {
                        ResourceError::InvalidDpopProof(e.description().into())
                    }
                    _ => ResourceError::Internal(e),
                })?;
            if jkt == bound {
                Ok(())
            } else {
                Err(ResourceError::InvalidDpopProof(
                    "the DPoP proof is signed by another key than the token is bound to".into(),
                ))
            }
        }
    }
}

/// The server's own resources (userinfo, the account and admin APIs, metrics) take only tokens
/// meant for the server's audience: a token a client got for another API (RFC 8707) is not
/// good here.
pub fn check_audience(provider: &Provider, aud: &str) -> Result<(), ResourceError> {
    if aud == provider.settings().audience {
        Ok(())
    } else {
        Err(ResourceError::InvalidToken(
            "this access token is meant for another resource".into(),
        ))
    }
}

/// The claims about the user of `access_token`, by its scope.
pub async fn userinfo(
    provider: &Provider,
    access_token: &str,
    presentation: Presentation<'_>,
) -> Result<Map<String, Value>, ResourceError> {
    let claims = match provider.validate_access_token(access_token).await {
        Ok(claims) => claims,
        Err(ValidationFailure::Invalid(e)) => {
            return Err(ResourceError::InvalidToken(e.to_string()));
        }
        Err(ValidationFailure::Internal(e)) => return Err(ResourceError::Internal(e)),
    };
    check_audience(provider, &claims.aud)?;
    let bound_to = claims.cnf.as_ref().map(|cnf| cnf.jkt.as_str());
    check_presentation(provider, access_token, bound_to, presentation).await?;
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
    // OIDC Core section 5.3.2: the `sub` of the client's ID tokens, pairwise where they are.
    let client = match crate::clients::ClientId::parse(&claims.client_id) {
        Ok(id) => provider
            .store()
            .client(&id)
            .await
            .map_err(|e| ResourceError::Internal(e.into()))?,
        Err(_) => None,
    };
    let subject = crate::subject::for_client(provider, client.as_deref(), user.id.as_str());
    let mut body = Map::new();
    body.insert("sub".into(), subject.into());
    body.extend(users::claims(&user, &scope, &grants.roles));
    Ok(body)
}
