//! `[tokens]` and `[sessions]`: how long what the server hands out lives.

use super::in_range;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[tokens]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    /// Access token lifetime in seconds.
    pub access_token_ttl_secs: u64,
    /// ID token lifetime in seconds.
    pub id_token_ttl_secs: u64,
    /// Refresh token lifetime in seconds (renewed by each rotation).
    pub refresh_token_ttl_secs: u64,
    /// Seconds a rotated refresh token may be presented again without revoking its family.
    pub refresh_reuse_grace_secs: u64,
    /// Absolute lifetime in seconds of a grant's refresh tokens, from the authorization;
    /// rotation does not extend it.
    pub refresh_family_lifetime_secs: u64,
    /// Authorization code lifetime in seconds (1 to 60).
    pub authorization_code_ttl_secs: u64,
    /// `aud` of access tokens; defaults to the issuer.
    pub audience: Option<String>,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 600,
            id_token_ttl_secs: 600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            refresh_reuse_grace_secs: 0,
            refresh_family_lifetime_secs: 90 * 24 * 3600,
            authorization_code_ttl_secs: 60,
            audience: None,
        }
    }
}

impl TokensConfig {
    /// Checks every lifetime against its range.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        for (name, value, max) in [
            (
                "tokens.access_token_ttl_secs",
                self.access_token_ttl_secs,
                86_400,
            ),
            ("tokens.id_token_ttl_secs", self.id_token_ttl_secs, 86_400),
            (
                "tokens.refresh_token_ttl_secs",
                self.refresh_token_ttl_secs,
                366 * 86_400,
            ),
            (
                "tokens.refresh_family_lifetime_secs",
                self.refresh_family_lifetime_secs,
                3 * 366 * 86_400,
            ),
            (
                "tokens.authorization_code_ttl_secs",
                self.authorization_code_ttl_secs,
                60,
            ),
        ] {
            in_range(name, value, max)?;
        }
        Ok(())
    }

    /// The longest any token signed by a key may be presented: a retired key stays published
    /// that long.
    pub(super) fn longest_signed(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs.max(self.id_token_ttl_secs))
    }

    /// Sets the lifetimes and audience of the provider's settings.
    pub(super) fn apply(&self, core: &mut auth_core::Settings) {
        if let Some(audience) = &self.audience {
            core.audience = audience.clone();
        }
        core.access_token_ttl = Duration::from_secs(self.access_token_ttl_secs);
        core.id_token_ttl = Duration::from_secs(self.id_token_ttl_secs);
        core.refresh_token_ttl = Duration::from_secs(self.refresh_token_ttl_secs);
        core.refresh_reuse_grace = Duration::from_secs(self.refresh_reuse_grace_secs);
        core.refresh_family_lifetime = Duration::from_secs(self.refresh_family_lifetime_secs);
        core.authorization_code_ttl = Duration::from_secs(self.authorization_code_ttl_secs);
    }
}

/// `[sessions]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// Lifetime of a browser session in seconds.
    pub ttl_secs: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            ttl_secs: 12 * 3600,
        }
    }
}

impl SessionsConfig {
    /// The session lifetime, checked.
    pub(super) fn ttl(&self) -> anyhow::Result<Duration> {
        in_range("sessions.ttl_secs", self.ttl_secs, 366 * 86_400)?;
        Ok(Duration::from_secs(self.ttl_secs))
    }
}
