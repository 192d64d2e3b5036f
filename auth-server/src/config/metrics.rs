//! `[metrics]`: who may read `/metrics` besides access tokens with the `metrics` scope.

use super::secret::Secret;
use anyhow::bail;
use serde::{Deserialize, Serialize};

/// `[metrics]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// A bearer token (at least 32 characters) that may read `/metrics`, for the scraper.
    /// Unset: only access tokens with the `metrics` or `admin` scope may.
    pub token: Option<Secret>,
}

impl MetricsConfig {
    /// The scraper's token, checked.
    pub(super) fn checked_token(&self) -> anyhow::Result<Option<Secret>> {
        match &self.token {
            Some(token) if token.expose().trim().len() < 32 => {
                bail!("metrics.token must be at least 32 characters")
            }
            token => Ok(token.clone()),
        }
    }
}
