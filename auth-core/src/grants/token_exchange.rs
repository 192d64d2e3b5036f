//! Token exchange, [RFC 8693](https://www.rfc-editor.org/rfc/rfc8693): a service holding a
//! user's access token obtains one for another service, to call it on the user's behalf.
//!
//! What is exchanged, and for what:
//!
//! - The subject token is an access token this server issued to a user (a client-credentials
//!   token has no user to act for), valid now by the same checks as introspection
//!   ([`Provider::validate_access_token`]): signature, expiry, revocation, its client's
//!   registration. Its grant (token family) must be live and its user active.
//! - The requesting client is confidential, holds the token-exchange grant type, and names one
//!   target (`audience` or `resource`) among the audiences an administrator allowed it
//!   (`token_exchange.audiences`). The new token's `aud` is that target alone.
//! - The scope is never wider than the subject token's, nor than what the requesting client may
//!   hold and the user's roles allow; for a registered resource (RFC 8707), only what it accepts.
//! - The new token is the user's (`sub`), issued to the requesting client (`client_id`), with
//!   `act` naming that client (section 4.1), nested over the subject token's `act`. It expires
//!   no later than the subject token, has no refresh token, and is recorded in the subject's
//!   token family: revoking the grant (logout, refresh-token revocation, password change...)
//!   revokes it too.
//! - An `actor_token`, when sent, must be a valid access token issued to the requesting client
//!   for itself (its client-credentials token): the actor is always the requesting service.
//! - A DPoP-bound subject token is refused: only the holder of its key may use it (RFC 9449
//!   section 6), and the requesting service does not hold the key. The new token is bound to
//!   the requesting client's own DPoP key when its request carries a proof.
//!
//! Refusals follow section 2.2.2: `invalid_request` for a subject or actor token that is
//! invalid or unacceptable, `invalid_target` for a target the client may not have,
//! `invalid_scope` for a wider scope.

use super::Confidential;
use super::user_tokens::current_scope;
use crate::Provider;
use crate::clients::{Client, ClientId, TokenExchangePolicy};
use crate::error::OAuthError;
use crate::params::Params;
use crate::resources::{self, Resource, invalid_target};
use crate::scope::Scope;
use crate::secrets::new_id;
use crate::store::IssuedAccess;
use crate::tokens::access::{AccessTokenRequest, ValidationFailure};
use crate::users::User;
use auth_proto::claims::{AccessTokenClaims, Actor};
use auth_proto::token::TokenResponse;
use auth_proto::token::token_types::ACCESS_TOKEN;

/// Most actors one token may name, nested: each exchange adds one.
pub const MAX_ACTORS: usize = 4;

/// Exchanges a user's access token for one to another service.
pub async fn exchange(
    provider: &Provider,
    client: &Confidential<'_>,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let policy = client.security.token_exchange.as_ref().ok_or_else(|| {
        OAuthError::unauthorized_client(format!(
            "client `{}` has no token_exchange audiences configured",
            client.id
        ))
    })?;
    // Section 2.1: subject_token and subject_token_type are REQUIRED.
    let subject_token = params.require("subject_token")?;
    let subject_type = params.require("subject_token_type")?;
    check_token_type("subject_token_type", subject_type)?;
    if let Some(requested) = params.get("requested_token_type")
        && requested != ACCESS_TOKEN
    {
        return Err(OAuthError::invalid_request(format!(
            "requested_token_type `{requested}` is not issued; this server issues `{ACCESS_TOKEN}`"
        )));
    }
    let actor = actor_token(provider, client, params).await?;
    let subject = valid_token(provider, "subject_token", subject_token).await?;
    // Section 2.2.2: an unacceptable subject token is `invalid_request`.
    if subject.cnf.is_some() {
        return Err(OAuthError::invalid_request(
            "the subject_token is bound to a DPoP key (RFC 9449): only its holder may use it, so it cannot be exchanged",
        ));
    }
    let depth = subject.act.as_ref().map_or(0, |act| act.chain().count());
    if depth >= MAX_ACTORS {
        return Err(OAuthError::invalid_request(format!(
            "the subject_token was exchanged {depth} times already; at most {MAX_ACTORS} services may act in a chain"
        )));
    }
    let family = provider
        .store()
        .family_of_access_token(&subject.jti)
        .await?
        .filter(|family| family.revoked_at.is_none())
        .ok_or_else(|| {
            OAuthError::invalid_request(
                "the subject_token is not a user's access token of a live grant (client-credentials tokens cannot be exchanged)",
            )
        })?;
    same_sector(provider, client, &subject).await?;
    let user = provider
        .store()
        .user(&family.user_id)
        .await?
        .filter(User::is_active)
        .ok_or_else(|| {
            OAuthError::invalid_request("the subject_token's user is disabled or deleted")
        })?;
    let grants = provider.store().user_grants(&user.id).await?;

    let (audience, resource) = target(provider, client, policy, params).await?;
    let scope = granted_scope(client, &subject, params.get("scope"))?;
    let scope = current_scope(&scope, client, &grants);
    let scope: Scope = match &resource {
        Some(resource) => scope.intersection(&resource.scope),
        None => scope,
    };
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(format!(
            "no scope of the subject_token is one client `{}` may hold for `{audience}`",
            client.id
        )));
    }

    // Section 4.1: the acting party, with the chain before it nested.
    let act = Actor {
        sub: actor.unwrap_or_else(|| client.id.to_string()),
        act: subject.act.clone().map(Box::new),
    };
    let access = IssuedAccess {
        jti: new_id(),
        // Section 2.2.1 leaves the lifetime to the server: never past the subject token's.
        expires_at: provider.access_token_expiry().min(subject.exp),
    };
    if !provider
        .store()
        .record_exchanged_access_token(&family.id, &access)
        .await?
    {
        return Err(OAuthError::invalid_request(
            "the subject_token's grant has been revoked",
        ));
    }
    // OIDC Core section 8: a pairwise client sees its own `sub`; the server keeps the user id
    // sealed in the token.
    let (sub, sealed_subject) = match client.security.sector.as_deref() {
        Some(sector) => (
            crate::subject::pairwise(provider, sector, user.id.as_str()),
            Some(provider.seal_subject(user.id.as_str())?),
        ),
        None => (user.id.to_string(), None),
    };
    let issued = provider.issue_delegated_access_token(
        AccessTokenRequest {
            jti: access.jti,
            subject: &sub,
            client_id: client.id.as_str(),
            scope: &scope,
            auth_time: Some(family.auth_time),
            roles: grants.roles.clone(),
            permissions: if scope.contains("permissions") {
                grants.permissions.clone()
            } else {
                Vec::new()
            },
            client_registration: &client.registration_id,
            dpop_jkt,
            audience: Some(&audience),
            sealed_subject,
        },
        Some(act),
        Some(access.expires_at),
    )?;
    // Section 2.2.1: issued_token_type REQUIRED; no refresh token for a delegated token.
    Ok(TokenResponse {
        access_token: issued.token,
        token_type: super::token_type(dpop_jkt).to_owned(),
        expires_in: issued.expires_in,
        refresh_token: None,
        scope: Some(scope.to_string()),
        id_token: None,
        issued_token_type: Some(ACCESS_TOKEN.to_owned()),
    })
}

/// Section 3: only this server's access tokens are accepted as subject and actor tokens.
fn check_token_type(name: &str, value: &str) -> Result<(), OAuthError> {
    if value == ACCESS_TOKEN {
        return Ok(());
    }
    Err(OAuthError::invalid_request(format!(
        "{name} `{value}` is not supported; this server exchanges its own access tokens (`{ACCESS_TOKEN}`)"
    )))
}

/// The claims of a token this server issued that is valid now, or `invalid_request` saying
/// why not (section 2.2.2).
async fn valid_token(
    provider: &Provider,
    name: &str,
    token: &str,
) -> Result<AccessTokenClaims, OAuthError> {
    match provider.validate_access_token(token).await {
        Ok(claims) => Ok(claims),
        Err(ValidationFailure::Invalid(why)) => Err(OAuthError::invalid_request(format!(
            "the {name} is not valid: {why}"
        ))),
        Err(ValidationFailure::Internal(e)) => Err(e),
    }
}

/// The actor named by `actor_token` and `actor_token_type` (section 2.1: the type is REQUIRED
/// with the token and MUST NOT be sent without it). The actor token must be the requesting
/// client's own token: a user cannot be named as the actor by a service.
async fn actor_token(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<Option<String>, OAuthError> {
    let (token, kind) = match (params.get("actor_token"), params.get("actor_token_type")) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(OAuthError::invalid_request(
                "actor_token_type is required with actor_token (RFC 8693 section 2.1)",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "actor_token_type must not be sent without actor_token (RFC 8693 section 2.1)",
            ));
        }
        (Some(token), Some(kind)) => (token, kind),
    };
    check_token_type("actor_token_type", kind)?;
    let claims = valid_token(provider, "actor_token", token).await?;
    if claims.client_id != client.id.as_str() || claims.sub != client.id.as_str() {
        return Err(OAuthError::invalid_request(format!(
            "the actor_token must be an access token client `{}` obtained for itself (client_credentials)",
            client.id
        )));
    }
    Ok(Some(claims.sub))
}

/// OIDC Core section 8: a user known to a pairwise client's sector by a pairwise `sub` must
/// not become known, through an exchange, to a client outside that sector (by the user id or
/// another sector's `sub`).
async fn same_sector(
    provider: &Provider,
    client: &Client,
    subject: &AccessTokenClaims,
) -> Result<(), OAuthError> {
    let subject_client = match ClientId::parse(&subject.client_id) {
        Ok(id) => provider.store().client(&id).await?,
        Err(_) => None,
    };
    let subject_sector = subject_client.and_then(|c| c.security.sector.clone());
    if subject_sector.is_some() && subject_sector != client.security.sector {
        return Err(OAuthError::invalid_request(
            "the subject_token was issued to a client with pairwise subject identifiers of another sector; it cannot be exchanged by this client",
        ));
    }
    Ok(())
}

/// The one target of the new token: an `audience` or a `resource` (sent alone, or both the
/// same), among the client's allowed audiences; with the registered resource (RFC 8707) of
/// that name, if there is one.
async fn target(
    provider: &Provider,
    client: &Client,
    policy: &TokenExchangePolicy,
    params: &Params,
) -> Result<(String, Option<Resource>), OAuthError> {
    let mut named: Vec<&str> = params.all("audience");
    for resource in params.all("resource") {
        // RFC 8707 section 2: an absolute URI without a fragment.
        resources::check_uri(resource).map_err(invalid_target)?;
        if !named.contains(&resource) {
            named.push(resource);
        }
    }
    let target = match named[..] {
        [] => {
            return Err(OAuthError::invalid_request(
                "name the service the token is for in `audience` or `resource`",
            ));
        }
        [one] => one,
        _ => {
            return Err(invalid_target(
                "an exchanged token is for one service: send one `audience` or `resource`",
            ));
        }
    };
    // Section 2.2.2: a target the server will not issue a token for is `invalid_target`.
    if !policy.allows(target) {
        return Err(invalid_target(format!(
            "client `{}` may not exchange tokens for `{target}`",
            client.id
        )));
    }
    let resource = provider.store().resource(target).await?;
    if resource.is_none() && !params.all("resource").is_empty() {
        return Err(invalid_target(format!(
            "resource `{target}` is not registered"
        )));
    }
    Ok((target.to_owned(), resource))
}

/// The scope asked for, or the subject token's when none was: never wider than the subject
/// token's, nor than what the client may hold (`invalid_scope` otherwise).
fn granted_scope(
    client: &Client,
    subject: &AccessTokenClaims,
    requested: Option<&str>,
) -> Result<Scope, OAuthError> {
    let held: Scope = subject.scopes().collect();
    let Some(requested) = requested else {
        return Ok(held.intersection(&client.scope));
    };
    Scope::parse_requested(requested)?
        .within(&held, |wider| {
            format!(
                "scope `{wider}` is not in the subject_token; an exchange can only narrow the scope"
            )
        })?
        .within(&client.scope, |refused| {
            format!("client `{}` may not hold scope `{refused}`", client.id)
        })
}
