//! The device authorization grant at the token endpoint,
//! [RFC 8628 section 3.4](https://www.rfc-editor.org/rfc/rfc8628#section-3.4) and 3.5.
//!
//! Each poll is one conditional statement that also keeps the interval (section 3.5): a poll
//! before the interval has passed answers `slow_down` and adds 5 seconds to it, in the
//! database, so it holds whichever replica the next poll reaches. An approval is redeemed at
//! most once: marking it used, the new token family, its refresh token and the access token id
//! are one transaction, so of two concurrent polls exactly one gets tokens. The tokens are the
//! code flow's: a family tied to the browser session the user approved in (an approval dies
//! with that session, `ON DELETE CASCADE`), so logout, revocation and the rules of
//! tokens-follow-state apply to them alike.

use super::user_tokens::{Approval, Prepared, Redeeming};
use crate::Provider;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::params::Params;
use crate::store::{DeviceStatus, StoreError};
use auth_proto::error::ErrorCode;
use auth_proto::token::TokenResponse;

/// Redeems a device code (section 3.4), or says why not yet (section 3.5).
pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let device_code = params.require("device_code")?;
    let unknown =
        || OAuthError::invalid_grant("the device_code is invalid, or was issued to another client");
    if device_code.len() > 128 {
        return Err(unknown());
    }
    let hash = provider.hasher().hash(device_code);
    let now = provider.clock().unix();
    // Another client's code is unknown to this client: its poll neither reads nor moves it.
    let stored = provider
        .store()
        .poll_device_authorization(&hash, client.id.as_str(), now)
        .await?
        .ok_or_else(unknown)?;
    if stored.expires_at <= now {
        return Err(OAuthError::new(
            ErrorCode::ExpiredToken,
            "the device_code has expired; start a new device authorization request",
        ));
    }
    match stored.status {
        DeviceStatus::Pending if stored.polled_too_fast => Err(OAuthError::new(
            ErrorCode::SlowDown,
            format!(
                "polling too fast; wait at least {} seconds between requests",
                stored.interval_secs
            ),
        )),
        DeviceStatus::Pending => Err(OAuthError::new(
            ErrorCode::AuthorizationPending,
            "the user has not yet approved the request",
        )),
        DeviceStatus::Denied => Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "the user denied the request",
        )),
        DeviceStatus::Used => Err(OAuthError::invalid_grant(
            "the device_code was already used",
        )),
        DeviceStatus::Approved => {
            let (Some(user_id), Some(auth_time)) = (stored.user_id.clone(), stored.auth_time)
            else {
                return Err(StoreError::Corrupt(
                    "an approved device authorization names no user".into(),
                )
                .into());
            };
            let approval = Approval {
                family_id: stored.family_id.clone(),
                user_id,
                session_id: stored.session_id.clone(),
                scope: stored.scope.clone(),
                auth_time,
                amr: stored.amr.clone(),
                resources: Vec::new(),
            };
            // A role revoked since the approval takes its scope away.
            let prepared =
                Prepared::new_family(provider, client, params, approval, dpop_jkt, now).await?;
            if !prepared
                .redeem(provider, Redeeming::DeviceCode(&hash), now)
                .await?
            {
                // Another poll redeemed it between our read and our update.
                return Err(OAuthError::invalid_grant(
                    "the device_code was already used",
                ));
            }
            prepared.respond(provider, client, None, dpop_jkt)
        }
    }
}
