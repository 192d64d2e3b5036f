//! Subject identifiers, [OIDC Core section 8](https://openid.net/specs/openid-connect-core-1_0.html#SubjectIDTypes):
//! `public` (the user id, the same for every client) or `pairwise` (one per sector: clients of
//! different sectors cannot tell they share a user).
//!
//! A pairwise `sub` is the keyed hash (under the key-encryption key) of the sector and the user
//! id: stable, never stored, and not reversible without the key. The sector is the host of the
//! client's `sector_identifier_uri`, or of its redirect URIs (section 8.1), fixed when the client
//! registers. It is the `sub` of everything the client can read: ID tokens, userinfo, its
//! access tokens (which carry the user id sealed under the key-encryption key, for the server's
//! own use) and introspection answers.
//!
//! The session id (`sid` of ID tokens and logout tokens) would link a pairwise client's users to
//! another client's just as well, so a pairwise client sees its own `sid` too: the keyed hash of
//! its sector and the session id.

use crate::Provider;
use crate::clients::Client;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `sub` `client` sees for the user `user_id`.
pub fn for_client(provider: &Provider, client: Option<&Client>, user_id: &str) -> String {
    match client.and_then(|c| c.security.sector.as_deref()) {
        Some(sector) => pairwise(provider, sector, user_id),
        None => user_id.to_owned(),
    }
}

/// The pairwise `sub` of `user_id` in `sector`.
pub fn pairwise(provider: &Provider, sector: &str, user_id: &str) -> String {
    let hash = provider
        .hasher()
        .hash(&format!("pairwise-sub\0{sector}\0{user_id}"));
    URL_SAFE_NO_PAD.encode(hash.as_bytes())
}

/// The `sid` `client` sees for the browser session `session_id` (OIDC Front- and Back-Channel
/// Logout): the session id, or for a pairwise client a keyed hash of its sector and the session
/// id, so two sectors cannot link their users by the session they share.
pub fn sid_for_client(provider: &Provider, client: Option<&Client>, session_id: &str) -> String {
    match client.and_then(|c| c.security.sector.as_deref()) {
        Some(sector) => pairwise_sid(provider, sector, session_id),
        None => session_id.to_owned(),
    }
}

/// The pairwise `sid` of `session_id` in `sector`.
pub fn pairwise_sid(provider: &Provider, sector: &str, session_id: &str) -> String {
    let hash = provider
        .hasher()
        .hash(&format!("pairwise-sid\0{sector}\0{session_id}"));
    URL_SAFE_NO_PAD.encode(hash.as_bytes())
}
