//! The client credentials grant, [RFC 6749 section 4.4](https://www.rfc-editor.org/rfc/rfc6749#section-4.4).

use super::Confidential;
use crate::Provider;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::params::Params;
use crate::scope::Scope;
use crate::secrets::new_id;
use crate::tokens::access::AccessTokenRequest;
use auth_proto::token::TokenResponse;

/// Issues an access token to the authenticated `client` for itself (RFC 6749 section 4.4:
/// the grant MUST only be used by confidential clients).
pub async fn exchange(
    provider: &Provider,
    client: &Confidential<'_>,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let scope = granted_scope(client, params.get("scope"))?;
    // RFC 8707: a `resource` names the API the token is for, narrowing its scope.
    let (audience, scope) = crate::resources::token_target(provider, params, &[], &scope).await?;
    let issued = provider.issue_access_token(AccessTokenRequest {
        jti: new_id(),
        subject: client.id.as_str(),
        client_id: client.id.as_str(),
        scope: &scope,
        auth_time: None,
        roles: Vec::new(),
        permissions: Vec::new(),
        client_registration: &client.registration_id,
        dpop_jkt,
        audience: audience.as_deref(),
        sealed_subject: None,
    })?;
    // RFC 6749 section 5.1: expires_in RECOMMENDED, scope REQUIRED if it differs from the request.
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: super::token_type(dpop_jkt).to_owned(),
        expires_in: issued.expires_in,
        refresh_token: None,
        scope: (!scope.is_empty()).then(|| scope.to_string()),
        id_token: None,
        issued_token_type: None,
    })
}

/// The requested scope if the client may have all of it; the client's scope when none was
/// requested (RFC 6749 section 3.3: a pre-defined default).
fn granted_scope(client: &Client, requested: Option<&str>) -> Result<Scope, OAuthError> {
    let Some(requested) = requested else {
        return Ok(client.scope.clone());
    };
    Scope::parse_requested(requested)?.within(&client.scope, |refused| {
        format!("client `{}` may not request scope `{refused}`", client.id)
    })
}
