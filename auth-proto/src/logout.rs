//! Logout tokens of [OpenID Connect Back-Channel Logout 1.0](https://openid.net/specs/openid-connect-backchannel-1_0.html):
//! what the server POSTs to a client's `backchannel_logout_uri` when a session the client used
//! ends, and what the client answers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `typ` header of a logout token (section 2.4: logout tokens SHOULD be explicitly typed).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";

/// The member of `events` that makes a JWT a logout token (section 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The form parameter the token is posted in (section 2.5).
pub const LOGOUT_TOKEN_PARAM: &str = "logout_token";

/// Claims of a logout token (section 2.4). It carries `sub`, `sid` or both, and never `nonce`
/// (which is why this type has none: a token with one is refused, see section 2.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    /// Issuer identifier of the authorization server.
    pub iss: String,
    /// The client the token is for (its client id).
    pub aud: String,
    /// Issued-at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch (a couple of minutes after `iat`).
    pub exp: i64,
    /// Unique token id, so a client can refuse a replay.
    pub jti: String,
    /// `{"http://schemas.openid.net/event/backchannel-logout": {}}`.
    pub events: BTreeMap<String, serde_json::Value>,
    /// The user, as this client sees them (pairwise clients get their own `sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The session that ended: the `sid` of the ID tokens issued in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl LogoutTokenClaims {
    /// The `events` claim of every logout token.
    pub fn logout_event() -> BTreeMap<String, serde_json::Value> {
        BTreeMap::from([(
            BACKCHANNEL_LOGOUT_EVENT.to_owned(),
            serde_json::Value::Object(serde_json::Map::new()),
        )])
    }
}
