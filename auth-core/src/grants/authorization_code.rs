//! The authorization code grant with PKCE, [RFC 6749 section 4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)
//! and [RFC 7636 section 4.5](https://www.rfc-editor.org/rfc/rfc7636#section-4.5).
//!
//! A code is redeemed at most once: the conditional update that marks it used, the new token
//! family, its refresh token and the access token id are one transaction, so of two concurrent
//! redemptions exactly one wins. A second use revokes every token issued from the code
//! (RFC 6749 section 4.1.2).
//!
//! A code dies with the browser session it was issued in (logout, a session ended from the
//! account page or API), with its client, and with the user's password (`store` deletes it in
//! each of those transactions).

use super::user_tokens::{Approval, Prepared, Redeeming};
use crate::Provider;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::params::Params;
use crate::pkce;
use auth_proto::token::TokenResponse;

/// Exchanges a code for tokens.
pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let code = params.require("code")?;
    let code_hash = provider.hasher().hash(code);
    let now = provider.clock().unix();
    let stored = provider
        .store()
        .authorization_code(&code_hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;
    if stored.used_at.is_some() {
        reused(provider, &stored.family_id).await?;
    }
    if stored.client_id != client.id.as_str() {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if stored.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    // RFC 6749 section 4.1.3: redirect_uri is REQUIRED if it was in the authorization request,
    // and the values MUST be identical.
    if let Some(expected) = &stored.redirect_uri {
        let sent = params.require("redirect_uri")?;
        if sent != expected {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the one in the authorization request",
            ));
        }
        // An administrator may have removed the URI since (a host given up or taken over):
        // a code delivered there is not redeemed.
        if !client.redirect_uris.iter().any(|r| r.matches(expected)) {
            return Err(OAuthError::invalid_grant(
                "the redirect_uri of this code is no longer registered for the client",
            ));
        }
    }
    let verifier = params.require("code_verifier")?;
    pkce::verify(&stored.code_challenge, verifier)?;
    // RFC 9449 section 10: a code bound with `dpop_jkt` is redeemed only with a proof of
    // that key.
    if let Some(bound) = &stored.dpop_jkt
        && dpop_jkt != Some(bound.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the authorization code is bound to another DPoP key (dpop_jkt): send a proof signed with it",
        ));
    }

    let approval = Approval {
        family_id: stored.family_id.clone(),
        user_id: stored.user_id.clone(),
        session_id: stored.session_id.clone(),
        scope: stored.scope.clone(),
        auth_time: stored.auth_time,
        amr: stored.amr.clone(),
        resources: stored.resources.clone(),
    };
    // The code's scope was what the user held when it was issued; a role revoked since takes
    // its scope away.
    let prepared = Prepared::new_family(provider, client, params, approval, dpop_jkt, now).await?;
    if !prepared
        .redeem(provider, Redeeming::Code(&code_hash), now)
        .await?
    {
        // Another request redeemed it between our read and our update.
        reused(provider, &stored.family_id).await?;
    }
    prepared.respond(provider, client, stored.nonce.as_deref(), dpop_jkt)
}

async fn reused(provider: &Provider, family_id: &str) -> Result<(), OAuthError> {
    // RFC 6749 section 4.1.2: deny, and revoke the tokens previously issued from this code.
    provider.store().revoke_family(family_id).await?;
    tracing::warn!(
        event = "authorization_code_reused",
        "an authorization code was used twice"
    );
    Err(OAuthError::invalid_grant(
        "the authorization code was already used; the tokens issued with it are revoked",
    ))
}
