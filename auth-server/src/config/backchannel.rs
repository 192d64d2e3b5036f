//! `[backchannel_logout]`: how often the outbox of logout tokens (OpenID Connect Back-Channel
//! Logout) is polled, and how long a client has to answer.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[backchannel_logout]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackchannelLogoutConfig {
    /// Seconds between outbox polls (sessions ended on any replica, and retries).
    pub poll_interval_secs: u64,
    /// Seconds a client has to answer a logout token.
    pub timeout_secs: u64,
}

impl Default for BackchannelLogoutConfig {
    fn default() -> Self {
        Self {
            poll_interval_secs: 2,
            timeout_secs: auth_core::backchannel::delivery::DEFAULT_TIMEOUT.as_secs(),
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

    /// The timeout of one post, checked: a receiver that never answers holds a slot this long.
    pub(super) fn timeout(&self) -> anyhow::Result<Duration> {
        if self.timeout_secs == 0 || self.timeout_secs > 60 {
            bail!(
                "backchannel_logout.timeout_secs must be between 1 and 60; got {}",
                self.timeout_secs
            );
        }
        Ok(Duration::from_secs(self.timeout_secs))
    }
}
