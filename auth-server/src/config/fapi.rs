//! `[fapi]`: the FAPI 2.0 Security Profile for every client.

use anyhow::bail;
use auth_core::keys::SigningAlgorithm;
use serde::{Deserialize, Serialize};

/// `[fapi]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FapiConfig {
    /// Every client follows the FAPI 2.0 Security Profile (auth_core::fapi): pushed requests
    /// only, private_key_jwt, DPoP-bound tokens, PS256/ES256/EdDSA. A single client can be put
    /// under it instead (`client create --fapi`).
    pub enabled: bool,
}

impl FapiConfig {
    /// Whether the profile is on, checked against the server's signing algorithm: FAPI 2.0
    /// section 5.4.1 allows PS256, ES256 and EdDSA, not RS256.
    pub(super) fn enabled(&self, algorithm: SigningAlgorithm) -> anyhow::Result<bool> {
        if self.enabled && algorithm == SigningAlgorithm::Rs256 {
            bail!(
                "fapi.enabled needs keys.algorithm ES256 or EdDSA: FAPI 2.0 does not allow RS256"
            );
        }
        Ok(self.enabled)
    }
}
