//! Token introspection, [RFC 7662](https://www.rfc-editor.org/rfc/rfc7662).

use crate::Provider;
use crate::clients::authentication::{Accept, Credentials, authenticate_throttled};
use crate::error::OAuthError;
use crate::grants::REFRESH_PREFIX;
use crate::params::Params;
use crate::tokens::access::ValidationFailure;
use auth_proto::introspection::IntrospectionResponse;

/// Answers an introspection request. The caller must be a confidential client (RFC 7662
/// section 2.1: the endpoint MUST require authorization, to prevent token scanning).
pub async fn introspect(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
    client_ip: &str,
) -> Result<IntrospectionResponse, OAuthError> {
    let credentials = Credentials::extract(authorization, params)?;
    authenticate_throttled(provider, &credentials, Accept::ConfidentialOnly, client_ip).await?;
    let token = params.require("token")?;
    // RFC 7662 section 2.1: token_type_hint is optional and the server MUST extend its search
    // past the hinted type, so the hint is not needed to find the token.
    match provider.validate_access_token(token).await {
        Ok(claims) => Ok(IntrospectionResponse {
            active: true,
            scope: claims.scope,
            client_id: Some(claims.client_id),
            token_type: Some("Bearer".to_owned()),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            sub: Some(claims.sub),
            aud: Some(claims.aud),
            iss: Some(claims.iss),
            jti: Some(claims.jti),
            roles: (!claims.roles.is_empty()).then_some(claims.roles),
            permissions: (!claims.permissions.is_empty()).then_some(claims.permissions),
        }),
        Err(ValidationFailure::Invalid(_)) => refresh_token(provider, token).await,
        Err(ValidationFailure::Internal(e)) => Err(e),
    }
}

/// The answer for a refresh token: active while it is the current token of a live family.
async fn refresh_token(
    provider: &Provider,
    token: &str,
) -> Result<IntrospectionResponse, OAuthError> {
    if !token.starts_with(REFRESH_PREFIX) {
        return Ok(IntrospectionResponse::inactive());
    }
    let now = provider.clock().unix();
    let Some((stored, family)) = provider
        .store()
        .refresh_token(&provider.hasher().hash(token))
        .await?
    else {
        return Ok(IntrospectionResponse::inactive());
    };
    let active =
        stored.rotated_at.is_none() && stored.expires_at > now && family.revoked_at.is_none();
    if !active {
        return Ok(IntrospectionResponse::inactive());
    }
    Ok(IntrospectionResponse {
        active: true,
        scope: Some(family.scope),
        client_id: Some(family.client_id),
        token_type: Some("refresh_token".to_owned()),
        exp: Some(stored.expires_at),
        iat: Some(stored.created_at),
        sub: Some(family.user_id.to_string()),
        iss: Some(provider.settings().issuer.as_str().to_owned()),
        ..IntrospectionResponse::default()
    })
}
