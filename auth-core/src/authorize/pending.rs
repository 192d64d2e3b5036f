//! Authorization requests in progress: kept in the database while the user logs in and consents,
//! so any replica can continue them. The browser holds a random handle, and the request is bound
//! to the browser that began it.
//!
//! Anyone may start one without signing in, so storing them is limited per network and for
//! everyone together ([`crate::throttle::Feature::PendingAuthorization`]): past either limit a
//! request is refused before anything is written.

use super::AuthorizationRequest;
use crate::Provider;
use crate::secrets::new_token;
use crate::store::StoreError;
use crate::throttle::{self, Account, Feature, Key, Network, Throttled};
use secrecy::ExposeSecret;

/// How long a user has to log in and consent.
const PENDING_TTL_SECS: i64 = 15 * 60;

/// A request in progress.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// The validated request.
    pub request: AuthorizationRequest,
    /// When it began.
    pub created_at: i64,
}

/// Why a request was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SavePendingError {
    /// Too many requests stored from this network, or from everyone.
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores `request`, bound to `browser` (a secret the browser holds, such as its CSRF cookie),
/// counted against the network of `ip` and everyone. Returns the handle to pass along.
pub async fn save_pending(
    provider: &Provider,
    request: &AuthorizationRequest,
    browser: &str,
    ip: &str,
) -> Result<String, SavePendingError> {
    throttle::hit(
        provider,
        &[
            &Key::network(Feature::PendingAuthorization, &Network::of(ip)),
            &Key::account(provider, Feature::PendingAuthorization, Account::Everyone),
        ],
    )
    .await?;
    let handle = new_token("ar_");
    let handle = handle.expose_secret().to_owned();
    let now = provider.clock().unix();
    let json = serde_json::to_string(request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    provider
        .store()
        .insert_authorization_request(
            &provider.hasher().hash(&handle),
            &request.client_id,
            &json,
            &provider.hasher().hash(browser),
            now,
            now + PENDING_TTL_SECS,
        )
        .await?;
    Ok(handle)
}

/// The request behind `handle`, if it exists, has not expired and belongs to `browser`.
pub async fn load_pending(
    provider: &Provider,
    handle: &str,
    browser: &str,
) -> Result<Option<PendingRequest>, StoreError> {
    if handle.len() > 128 {
        return Ok(None);
    }
    let now = provider.clock().unix();
    let Some(stored) = provider
        .store()
        .authorization_request(&provider.hasher().hash(handle), now)
        .await?
    else {
        return Ok(None);
    };
    if !stored.browser_hash.ct_eq(&provider.hasher().hash(browser)) {
        return Ok(None);
    }
    let request: AuthorizationRequest =
        serde_json::from_str(&stored.request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(PendingRequest {
        request,
        created_at: stored.created_at,
    }))
}

/// Forgets a request (after it completed or failed).
pub async fn forget_pending(provider: &Provider, handle: &str) -> Result<(), StoreError> {
    provider
        .store()
        .delete_authorization_request(&provider.hasher().hash(handle))
        .await
}
