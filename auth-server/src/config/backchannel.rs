//! `[backchannel_logout]`: how often the outbox of logout tokens (OpenID Connect Back-Channel
//! Logout) is polled.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[backchannel_logout]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackchannelLogoutConfig {
    /// Seconds between outbox polls (sessions ended on any replica, and retries).
    pub poll_interval_secs: u64,
}

impl Default for BackchannelLogoutConfig {
    fn default() -> Self {
        Self {
            poll_interval_secs: 2,
        }
    }
}

impl BackchannelLogoutConfig {
    /// The poll interval, checked.
    pub(super) fn poll_interval(&self) -> anyhow::Result<Duration> {
        if self.poll_interval_secs == 0 || self.poll_interval_secs > 3600 {
            bail!(
                "backchannel_logout.poll_interval_secs must be between 1 and 3600; got {}",
                self.poll_interval_secs
            );
        }
        Ok(Duration::from_secs(self.poll_interval_secs))
    }
}
