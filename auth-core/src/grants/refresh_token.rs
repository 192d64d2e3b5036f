//! The refresh token grant, [RFC 6749 section 6](https://www.rfc-editor.org/rfc/rfc6749#section-6),
//! with rotation and reuse detection (RFC 9700 section 4.14.2).
//!
//! Every use returns a new refresh token and retires the old one in one conditional update, so
//! of two concurrent refreshes exactly one wins. Presenting a retired token revokes the whole
//! family: the token was stolen, or a client is misbehaving.
//!
//! A grace period (`refresh_reuse_grace`, default 0 = off) lets a client that lost the answer
//! of a rotation retry it: the token it presented again, by the same client, within the grace
//! after its rotation, is answered with a new pair, and the successor the client never received
//! is retired with its access token, so a grant has one live refresh token at a time
//! (docs/decisions/0007). If that successor was used, the presenter is not the client that
//! lost an answer: the family is revoked, as for any reuse after the grace.
//!
//! A refresh follows the state the grant came from: the user must still exist and be enabled,
//! the client must be the registration (and secret) the grant was made with, the scope is
//! narrowed to what the user and the client hold now, and the roles are read again. A family
//! ends `refresh_family_lifetime` after the authorization, however often it is refreshed.

use super::user_tokens::{Prepared, active_user, current_scope, family_ends_at};
use crate::Provider;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::params::Params;
use crate::scope::Scope;
use crate::secrets::TokenHash;
use crate::store::{IssuedAccess, NewRefreshToken, Replacement};
use auth_proto::token::TokenResponse;

/// Exchanges a refresh token for new tokens.
pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let token = params.require("refresh_token")?;
    let hash = provider.hasher().hash(token);
    let now = provider.clock().unix();
    let (stored, family) = provider
        .store()
        .refresh_token(&hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the refresh token is invalid"))?;
    if family.client_id != client.id.as_str() {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if family.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    // The same id may name a later registration of the client, or the client's secret was
    // rotated: the grant belonged to what was there before (RFC 6749 section 10.4).
    if family.client_registration != client.registration_id {
        provider.store().revoke_family(&family.id).await?;
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued before the client was registered again or its secret replaced",
        ));
    }
    // A retired token is a reuse, unless its client retries a rotation whose answer it lost.
    let retrying = match (stored.rotated_at, &stored.replaced_by) {
        (None, _) => None,
        (Some(rotated_at), Some(successor)) if now - rotated_at < grace_secs(provider) => {
            Some(successor)
        }
        (Some(_), _) => return Err(reused(provider, &family.id).await),
    };
    if stored.expires_at <= now || family_ends_at(provider, &family) <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    // RFC 9449 section 5: a bound refresh token is used only with a proof of its key.
    if let Some(bound) = &family.dpop_jkt
        && dpop_jkt != Some(bound.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the refresh token is bound to a DPoP key: send a proof signed with it",
        ));
    }
    let (user, grants) = active_user(provider, &family).await?;
    // RFC 6749 section 6: the requested scope MUST NOT include any scope not originally
    // granted; omitted, it equals the original scope. The new refresh token keeps the original.
    // Either way the token gets no more than the user and the client hold now.
    let granted = Scope::parse(&family.scope).unwrap_or_default();
    let scope = match params.get("scope") {
        None => granted,
        Some(requested) => Scope::parse_requested(requested)?.within(&granted, |extra| {
            format!(
                "scope `{extra}` was not granted to this refresh token; a refresh can only narrow the scope"
            )
        })?,
    };
    let scope = current_scope(&scope, client, &grants);
    let prepared =
        Prepared::with_scope(provider, client, params, family, user, grants, scope).await?;
    let Some(new_refresh) = prepared.refresh() else {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not allowed to use grant_type `refresh_token`",
            client.id
        )));
    };
    let family_id = prepared.family.id.as_str();
    let access = &prepared.minted.access;
    match retrying {
        None => {
            let rotated = provider
                .store()
                .rotate_refresh_token(&hash, now, family_id, new_refresh, access)
                .await?;
            if !rotated {
                // A concurrent request rotated it first: within a grace this is the client's
                // own race (its other request has the answer), otherwise a reuse.
                return Err(raced(provider, family_id).await);
            }
        }
        Some(successor) => {
            retry_rotation(
                provider,
                &hash,
                successor,
                now,
                family_id,
                new_refresh,
                access,
            )
            .await?;
        }
    }
    // OIDC Core section 12.2: a refreshed ID token has no nonce.
    prepared.respond(provider, client, None, dpop_jkt)
}

/// A retry within the grace: the successor `hash` was answered with is retired with its access
/// token, and the new pair takes its place.
async fn retry_rotation(
    provider: &Provider,
    hash: &TokenHash,
    successor: &TokenHash,
    now: i64,
    family_id: &str,
    new_refresh: &NewRefreshToken,
    access: &IssuedAccess,
) -> Result<(), OAuthError> {
    let replaced = provider
        .store()
        .replace_unreceived_refresh_token(hash, successor, now, family_id, new_refresh, access)
        .await?;
    match replaced {
        Replacement::Replaced => {
            tracing::info!(
                event = "refresh_token_retried",
                "a rotated refresh token was presented again within the grace; its unused successor is retired"
            );
            Ok(())
        }
        // RFC 9700 section 4.14.2: the client received and used the successor, so whoever
        // presents the old token now is not that client retrying.
        Replacement::SuccessorUsed => Err(reused(provider, family_id).await),
        Replacement::Lost => Err(OAuthError::invalid_grant(
            "the refresh token was already used by a concurrent request",
        )),
    }
}

fn grace_secs(provider: &Provider) -> i64 {
    i64::try_from(provider.settings().refresh_reuse_grace.as_secs()).unwrap_or(i64::MAX)
}

/// A concurrent rotation of the same token won: a reuse, unless a grace is set (the client
/// raced itself, and its other request has the answer).
async fn raced(provider: &Provider, family_id: &str) -> OAuthError {
    if grace_secs(provider) > 0 {
        return OAuthError::invalid_grant(
            "the refresh token was already used by a concurrent request",
        );
    }
    reused(provider, family_id).await
}

/// RFC 9700 section 4.14.2: a refresh token presented after it was rotated revokes its grant.
async fn reused(provider: &Provider, family_id: &str) -> OAuthError {
    if let Err(e) = provider.store().revoke_family(family_id).await {
        return e.into();
    }
    tracing::warn!(
        event = "refresh_token_reused",
        "a rotated refresh token was presented again"
    );
    OAuthError::invalid_grant(
        "the refresh token was already used; every token of its grant is revoked",
    )
}
