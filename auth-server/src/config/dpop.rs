//! `[dpop]`: sender-constrained tokens (RFC 9449).

use auth_core::dpop::DpopPolicy;
use serde::{Deserialize, Serialize};

/// `[dpop]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DpopConfig {
    /// Every DPoP proof must carry a nonce this server issued (`DPoP-Nonce`, RFC 9449 section
    /// 8): a proof made in advance by someone who briefly held the key is then useless.
    pub require_nonce: bool,
}

impl DpopConfig {
    /// The policy.
    pub(super) fn policy(&self) -> DpopPolicy {
        DpopPolicy {
            require_nonce: self.require_nonce,
        }
    }
}
