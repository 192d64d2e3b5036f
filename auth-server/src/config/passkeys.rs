//! `[passkeys]`: sign-in with passkeys (WebAuthn).

use serde::{Deserialize, Serialize};

/// `[passkeys]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasskeysConfig {
    /// Whether users may register passkeys and sign in with them. The relying party id is the
    /// issuer's host and the only allowed origin the issuer's origin; an issuer on an IP address
    /// (such as the default `http://127.0.0.1:8080`) cannot have passkeys, and they are then off
    /// with a warning at start-up.
    pub enabled: bool,
    /// The name authenticators show for this site; defaults to `ui.product_name`.
    pub rp_name: Option<String>,
}

impl Default for PasskeysConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            rp_name: None,
        }
    }
}

impl PasskeysConfig {
    /// The relying party's name when passkeys are on.
    pub(super) fn rp_name(&self, product_name: &str) -> anyhow::Result<Option<String>> {
        if !self.enabled {
            return Ok(None);
        }
        let name = self
            .rp_name
            .clone()
            .unwrap_or_else(|| product_name.to_owned());
        if name.trim().is_empty() || name.chars().count() > 64 {
            anyhow::bail!("passkeys.rp_name must have 1 to 64 characters");
        }
        Ok(Some(name))
    }
}
