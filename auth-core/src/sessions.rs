//! Browser sessions at the authorization server.
//!
//! The cookie holds only a random secret; the database holds its keyed hash and the session.
//! Every login creates a new session with a new secret (no session fixation). Ending a session
//! also revokes the refresh tokens issued in it.

use crate::Provider;
use crate::secrets::{new_id, new_token};
use crate::store::StoreError;
use crate::users::UserId;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// Prefix of session cookie values.
pub const SESSION_PREFIX: &str = "ses_";

/// A session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Public id (the `sid` claim); not the cookie secret.
    pub id: String,
    /// The user.
    pub user_id: UserId,
    /// When the user last authenticated.
    pub auth_time: i64,
    /// Authentication methods used (RFC 8176).
    pub amr: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last use.
    pub last_seen_at: i64,
    /// End of life.
    pub expires_at: i64,
    /// Browser, for the user's list of sessions.
    pub user_agent: String,
    /// Client address at creation.
    pub ip: String,
}

/// The secret a browser holds. `Debug` shows nothing.
pub struct SessionSecret(SecretString);

impl SessionSecret {
    /// The cookie value.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(..)")
    }
}

/// Where a session comes from.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `User-Agent`, truncated.
    pub user_agent: String,
    /// Client address.
    pub ip: String,
}

/// Starts a new session for a user who just authenticated with `amr`.
pub async fn start(
    provider: &Provider,
    user_id: &UserId,
    amr: Vec<String>,
    client: &ClientInfo,
) -> Result<(Session, SessionSecret), StoreError> {
    let now = provider.clock().unix();
    let secret = SessionSecret(new_token(SESSION_PREFIX));
    let session = Session {
        id: new_id(),
        user_id: user_id.clone(),
        auth_time: now,
        amr,
        created_at: now,
        last_seen_at: now,
        expires_at: now
            + i64::try_from(provider.settings().session_ttl.as_secs()).unwrap_or(i64::MAX),
        user_agent: client.user_agent.chars().take(200).collect(),
        ip: client.ip.chars().take(64).collect(),
    };
    provider
        .store()
        .insert_session(&session, &provider.hasher().hash(secret.expose()))
        .await?;
    Ok((session, secret))
}

/// The live session a cookie value names, if any.
pub async fn find(provider: &Provider, cookie: &str) -> Result<Option<Session>, StoreError> {
    if !cookie.starts_with(SESSION_PREFIX) || cookie.len() > 128 {
        return Ok(None);
    }
    let now = provider.clock().unix();
    provider
        .store()
        .session_by_secret(&provider.hasher().hash(cookie), now)
        .await
}

/// Ends a session and revokes the token families issued in it.
pub async fn end(provider: &Provider, session_id: &str) -> Result<(), StoreError> {
    provider.store().end_session(session_id).await
}
