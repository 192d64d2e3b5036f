//! The FAPI 2.0 Security Profile ([FAPI 2.0 Security Profile, final](https://openid.net/specs/fapi-security-profile-2_0-final.html),
//! section 5.3), for a client registered with `fapi` or for every client of a deployment
//! that enables it.
//!
//! What the profile asks of the authorization server and where it is enforced:
//!
//! | requirement (section 5.3.2) | here |
//! |---|---|
//! | authorization requests only through PAR (5.3.2.2 item 2) | `authorize::check_request` |
//! | `redirect_uri` in every request (item 10) | `authorize::check_request` |
//! | PKCE with S256 (item 3) | every client already |
//! | client authentication with `private_key_jwt` (5.3.2.1 item 4) | `ClientSecurity::validate`, `clients::authentication` |
//! | sender-constrained access tokens: DPoP (5.3.2.1 item 5) | `grants::token` |
//! | `iss` in the authorization response (RFC 9207, 5.3.2.2 item 7) | every response already |
//! | PS256, ES256 or EdDSA for what clients sign (5.4.1) | [`ALGORITHMS`] in assertions, request objects and proofs |
//! | authorization code lifetime at most 60 s (5.3.2.1 item 7) | every code already (`tokens.authorization_code_ttl_secs` is at most 60) |
//! | `request_uri` lifetime under 600 s (5.3.2.2 item 5) | `requests.pushed_request_ttl_secs` is at most 600 |
//!
//! Not followed: section 5.3.2.1 item 11 discourages refresh token rotation; this server
//! rotates every refresh token, which the profile allows and the security BCP recommends for
//! public clients.

use crate::Provider;
use crate::clients::Client;
use auth_jose::SigningAlgorithm;

/// The algorithms FAPI 2.0 allows (section 5.4.1): no RS256.
pub const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::Ps256,
    SigningAlgorithm::Es256,
    SigningAlgorithm::EdDsa,
];

/// Whether `client` must follow the profile: registered so, or the whole deployment does.
pub fn applies(provider: &Provider, client: &Client) -> bool {
    provider.settings().fapi || client.security.fapi
}

/// The algorithms `client` may sign with.
pub fn client_algorithms(provider: &Provider, client: &Client) -> &'static [SigningAlgorithm] {
    if applies(provider, client) {
        &ALGORITHMS
    } else {
        &SigningAlgorithm::FROM_CLIENTS
    }
}
