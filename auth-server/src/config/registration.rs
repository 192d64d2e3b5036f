//! `[registration]`: who may register clients dynamically (RFC 7591) and with which scopes.

use super::secret::Secret;
use anyhow::{Context, bail};
use auth_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// `[registration]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Who may register.
    pub mode: Mode,
    /// The initial access token for `mode = "token"`.
    pub initial_access_token: Option<Secret>,
    /// Scopes dynamically registered clients may use.
    pub allowed_scopes: String,
}

/// `registration.mode`, in the order an error lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Anyone.
    Open,
    /// Holders of `initial_access_token`.
    Token,
    /// Nobody: no `/register`, not in discovery.
    Disabled,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            // Closed unless the operator opens it: open registration lets anyone put a name
            // of their choosing on the consent page.
            mode: Mode::Disabled,
            initial_access_token: None,
            allowed_scopes: "openid profile email offline_access".into(),
        }
    }
}

/// Who may register clients dynamically (the token is hashed once the provider is open).
#[derive(Debug, Clone)]
pub enum RegistrationSetting {
    /// Anyone.
    Open,
    /// Holders of this initial access token.
    Token(Secret),
    /// Nobody.
    Disabled,
}

impl RegistrationConfig {
    /// The mode with its token, and the scope of registered clients, checked.
    pub(super) fn settings(&self) -> anyhow::Result<(RegistrationSetting, Scope)> {
        let scope = Scope::parse(self.allowed_scopes.trim())
            .context("registration.allowed_scopes is invalid")?;
        let mode = match (self.mode, &self.initial_access_token) {
            (Mode::Open, _) => RegistrationSetting::Open,
            (Mode::Disabled, _) => RegistrationSetting::Disabled,
            (Mode::Token, Some(token)) if token.expose().len() >= 20 => {
                RegistrationSetting::Token(token.clone())
            }
            (Mode::Token, _) => bail!(
                "registration.mode = \"token\" needs registration.initial_access_token of at least 20 characters"
            ),
        };
        Ok((mode, scope))
    }
}
