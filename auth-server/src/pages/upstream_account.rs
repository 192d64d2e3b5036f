//! The account page's section of sign-in providers (`account_upstream.html`): each configured
//! provider, linked or not, and identities of providers no longer configured (so they can
//! still be unlinked).

use crate::state::AppState;
use auth_core::store::StoreError;
use auth_core::users::UserId;

/// (provider id, label, what is linked: the upstream address, empty if unknown) for the
/// account page.
pub async fn rows(
    state: &AppState,
    user: &UserId,
) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    let linked = state.provider.store().upstream_identities(user).await?;
    let describe = |provider: &str| -> Option<String> {
        linked
            .iter()
            .find(|l| l.provider_id == provider)
            .map(|l| l.email.clone().unwrap_or_default())
    };
    let mut rows: Vec<(String, String, Option<String>)> = state
        .upstreams
        .all()
        .iter()
        .map(|u| {
            (
                u.config.id.clone(),
                u.config.label.clone(),
                describe(&u.config.id),
            )
        })
        .collect();
    for identity in &linked {
        if !rows.iter().any(|r| r.0 == identity.provider_id) {
            rows.push((
                identity.provider_id.clone(),
                identity.provider_id.clone(),
                describe(&identity.provider_id),
            ));
        }
    }
    Ok(rows)
}
