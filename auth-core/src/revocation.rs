//! Token revocation, [RFC 7009](https://www.rfc-editor.org/rfc/rfc7009).

use crate::Provider;
use crate::clients::Client;
use crate::clients::authentication::{Accept, Credentials, authenticate_throttled};
use crate::error::OAuthError;
use crate::grants::REFRESH_PREFIX;
use crate::params::Params;
use crate::tokens::access::ValidationFailure;

/// Revokes a token of the authenticated client. Unknown, invalid or already revoked tokens are
/// answered with success (RFC 7009 section 2.2).
pub async fn revoke(
    provider: &Provider,
    authorization: Option<&str>,
    params: &Params,
    client_ip: &str,
) -> Result<(), OAuthError> {
    let credentials = Credentials::extract(authorization, params)?;
    let client =
        authenticate_throttled(provider, &credentials, Accept::AnyClient, client_ip).await?;
    let token = params.require("token")?;
    match provider.validate_access_token(token).await {
        Ok(claims) => {
            // RFC 7009 section 2.1: the server verifies the token was issued to the client
            // making the request; if not, the request is refused.
            if claims.client_id != client.id.as_str() {
                return Err(OAuthError::unauthorized_client(format!(
                    "the token was not issued to client `{}`",
                    client.id
                )));
            }
            provider
                .store()
                .revoke_access_token(&claims.jti, claims.exp)
                .await?;
            Ok(())
        }
        Err(ValidationFailure::Invalid(_)) => revoke_refresh_token(provider, &client, token).await,
        Err(ValidationFailure::Internal(e)) => Err(e),
    }
}

/// RFC 7009 section 2.1: revoking a refresh token SHOULD also invalidate the access tokens of
/// the same grant: the whole family is revoked.
async fn revoke_refresh_token(
    provider: &Provider,
    client: &Client,
    token: &str,
) -> Result<(), OAuthError> {
    if !token.starts_with(REFRESH_PREFIX) {
        return Ok(());
    }
    let Some((_, family)) = provider
        .store()
        .refresh_token(&provider.hasher().hash(token))
        .await?
    else {
        return Ok(());
    };
    if family.client_id != client.id.as_str() {
        return Err(OAuthError::unauthorized_client(format!(
            "the token was not issued to client `{}`",
            client.id
        )));
    }
    provider.store().revoke_family(&family.id).await?;
    Ok(())
}
