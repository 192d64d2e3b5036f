//! Token introspection, [RFC 7662](https://www.rfc-editor.org/rfc/rfc7662).
//!
//! A token is active only while the state it was issued from holds: access tokens through
//! [`Provider::validate_access_token`], refresh tokens through their family (revoked by the
//! events that take something from the user, bound to one registration of the client, ended
//! `refresh_family_lifetime` after the authorization).

use crate::Provider;
use crate::clients::ClientId;
use crate::clients::authentication::{Accept, Credentials, authenticate_throttled};
use crate::error::OAuthError;
use crate::grants::{REFRESH_PREFIX, family_ends_at};
use crate::params::Params;
use crate::scope::Scope;
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
        Ok(claims) => {
            // A pairwise client's token answers with the `sub` it carries, never the user id.
            let client = match ClientId::parse(&claims.client_id) {
                Ok(id) => provider.store().client(&id).await?,
                Err(_) => None,
            };
            let sub = crate::subject::for_client(provider, client.as_deref(), &claims.sub);
            Ok(IntrospectionResponse {
                active: true,
                scope: claims.scope,
                client_id: Some(claims.client_id),
                // RFC 9449 section 6.2: a bound token says so, with the key it is bound to.
                token_type: Some(
                    crate::grants::token_type(claims.cnf.as_ref().map(|c| c.jkt.as_str()))
                        .to_owned(),
                ),
                cnf: claims.cnf,
                exp: Some(claims.exp),
                iat: Some(claims.iat),
                sub: Some(sub),
                aud: Some(claims.aud),
                iss: Some(claims.iss),
                jti: Some(claims.jti),
                roles: (!claims.roles.is_empty()).then_some(claims.roles),
                permissions: (!claims.permissions.is_empty()).then_some(claims.permissions),
                act: claims.act,
            })
        }
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
    let ends_at = stored.expires_at.min(family_ends_at(provider, &family));
    let active = stored.rotated_at.is_none() && ends_at > now && family.revoked_at.is_none();
    if !active {
        return Ok(IntrospectionResponse::inactive());
    }
    // The grant belongs to one registration of its client (and its secret); the scope is what
    // the client may still obtain. (The user side is in `revoked_at`: every event that takes
    // something from a user revokes the families concerned.)
    let client = match ClientId::parse(&family.client_id) {
        Ok(id) => provider.store().client(&id).await?,
        Err(_) => None,
    };
    let Some(client) = client.filter(|c| c.registration_id == family.client_registration) else {
        return Ok(IntrospectionResponse::inactive());
    };
    let scope: Scope = Scope::parse(&family.scope)
        .unwrap_or_default()
        .iter()
        .filter(|s| client.scope.contains(s))
        .collect();
    Ok(IntrospectionResponse {
        active: true,
        scope: (!scope.is_empty()).then(|| scope.to_string()),
        client_id: Some(family.client_id),
        token_type: Some("refresh_token".to_owned()),
        exp: Some(ends_at),
        iat: Some(stored.created_at),
        sub: Some(crate::subject::for_client(
            provider,
            Some(&client),
            family.user_id.as_str(),
        )),
        iss: Some(provider.settings().issuer.as_str().to_owned()),
        ..IntrospectionResponse::default()
    })
}
