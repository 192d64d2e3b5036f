//! [OpenID Connect Back-Channel Logout 1.0](https://openid.net/specs/openid-connect-backchannel-1_0.html):
//! when a browser session ends, every client that received tokens in it and registered a
//! `backchannel_logout_uri` is sent a logout token, server to server.
//!
//! - [`BackchannelLogout`]: the client's registration (section 2.2), kept in its metadata.
//! - The store queues one notice per (ended session, client) in the transaction that ends the
//!   session (`store::sql::backchannel`): ending a session and promising to tell its clients
//!   is one change. The clients are those with a token family of the session issued under their
//!   current registration.
//! - [`logout_token`]: the JWT of section 2.4, signed when it is sent (a retry hours later gets
//!   a fresh `iat` and `exp`).
//! - [`delivery`]: the worker that posts them (section 2.5), with retries and backoff across
//!   replicas, like the event outbox.
//!
//! Sessions that simply expire are not announced: nothing ends them at a moment a client
//! could be told of (the spec leaves it to the OP).

pub mod delivery;

use crate::Provider;
use crate::clients::{Client, ClientError};
use crate::keys::SigningKey;
use crate::tokens::jws;
use auth_proto::logout::{LOGOUT_TOKEN_TYP, LogoutTokenClaims};

/// Seconds a logout token is valid: long enough for a slow network, short enough that a
/// captured one is soon useless (the spec's examples use two minutes).
pub const LOGOUT_TOKEN_TTL_SECS: i64 = 120;

/// A client's back-channel logout registration (section 2.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackchannelLogout {
    /// `backchannel_logout_uri`: where logout tokens are posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `backchannel_logout_session_required`: logout tokens must carry `sid`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub session_required: bool,
}

impl BackchannelLogout {
    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Checks the URI (section 2.2): absolute, no fragment, https (http only on loopback when
    /// the server itself runs on http, as for `jwks_uri`), and never a loopback, private or
    /// link-local host in production: the server posts to it (server-side request forgery).
    /// A query is allowed.
    pub fn validate(&self, allow_http: bool) -> Result<(), ClientError> {
        if let Some(uri) = &self.uri {
            crate::clients::keys::check_client_url("backchannel_logout_uri", uri, allow_http)
                .map_err(ClientError::InvalidMetadata)?;
        }
        if self.session_required && self.uri.is_none() {
            return Err(ClientError::InvalidMetadata(
                "backchannel_logout_session_required needs a backchannel_logout_uri".to_owned(),
            ));
        }
        Ok(())
    }
}

/// What a logout token is about: one ended session, one client that used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutNotice {
    /// The notice's id (UUID v7).
    pub id: String,
    /// The client to tell.
    pub client_id: String,
    /// The user whose session ended (the server's id; the client's `sub` is derived).
    pub user_id: String,
    /// The session (the `sid` of the ID tokens issued in it).
    pub session_id: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// Signs the logout token of `notice` for `client` with `key` at `now` (section 2.4): `iss`,
/// `aud`, `iat`, `exp`, `jti`, `events`, the client's `sub` for the user and the `sid`. Both
/// are always sent, so a client that keys its sessions by either can end them; `sid` is what
/// `backchannel_logout_session_required` asks for. Never a `nonce` (section 2.4: prohibited).
pub fn logout_token(
    provider: &Provider,
    key: &SigningKey,
    client: &Client,
    notice: &LogoutNotice,
    now: i64,
) -> Result<String, jws::JwsError> {
    let claims = LogoutTokenClaims {
        iss: provider.settings().issuer.as_str().to_owned(),
        aud: client.id.as_str().to_owned(),
        iat: now,
        exp: now + LOGOUT_TOKEN_TTL_SECS,
        jti: uuid::Uuid::now_v7().to_string(),
        events: LogoutTokenClaims::logout_event(),
        sub: Some(crate::subject::for_client(
            provider,
            Some(client),
            &notice.user_id,
        )),
        sid: Some(crate::subject::sid_for_client(
            provider,
            Some(client),
            &notice.session_id,
        )),
    };
    jws::sign(key, LOGOUT_TOKEN_TYP, &claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(uri: &str) -> BackchannelLogout {
        BackchannelLogout {
            uri: Some(uri.to_owned()),
            session_required: true,
        }
    }

    #[test]
    fn the_uri_is_absolute_https_without_fragment_and_public() {
        assert!(
            registration("https://app.example.com/bc?tenant=1")
                .validate(false)
                .is_ok()
        );
        for bad in [
            "/relative",
            "http://app.example.com/bc",
            "https://app.example.com/bc#frag",
            "https://user:pw@app.example.com/bc",
            "https://127.0.0.1/bc",
            "https://10.0.0.8/bc",
            "https://169.254.169.254/latest",
            "https://localhost/bc",
            "not a url",
        ] {
            let error = registration(bad).validate(false).unwrap_err();
            assert!(
                error.to_string().contains("backchannel_logout_uri"),
                "{bad}: {error}"
            );
        }
        // A development server on loopback may post to loopback over http.
        assert!(
            registration("http://127.0.0.1:8090/bc")
                .validate(true)
                .is_ok()
        );
        assert!(
            registration("http://app.example.com/bc")
                .validate(true)
                .is_err()
        );
    }

    #[test]
    fn session_required_needs_a_uri() {
        let bare = BackchannelLogout {
            uri: None,
            session_required: true,
        };
        assert!(bare.validate(true).is_err());
        assert!(BackchannelLogout::default().validate(false).is_ok());
    }
}
