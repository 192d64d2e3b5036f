//! `[device]`: the device authorization grant (RFC 8628).

use super::in_range;
use auth_core::DevicePolicy;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[device]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceConfig {
    /// Seconds a device code and its user code work (`expires_in`, RFC 8628 section 3.2).
    pub code_ttl_secs: u64,
    /// Seconds a device waits between polls of the token endpoint (`interval`, section 3.2);
    /// every `slow_down` adds 5 for that device code.
    pub interval_secs: u64,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        let defaults = DevicePolicy::default();
        Self {
            code_ttl_secs: defaults.code_ttl.as_secs(),
            interval_secs: defaults.interval.as_secs(),
        }
    }
}

impl DeviceConfig {
    /// The policy, checked: codes live between 1 s and 30 minutes (a user code's few bits are
    /// safe only for a short life, RFC 8628 section 5.1), the interval is 1 to 60 s and shorter
    /// than that life.
    pub(super) fn policy(&self) -> anyhow::Result<DevicePolicy> {
        in_range("device.code_ttl_secs", self.code_ttl_secs, 1800)?;
        in_range("device.interval_secs", self.interval_secs, 60)?;
        if self.interval_secs >= self.code_ttl_secs {
            anyhow::bail!(
                "device.interval_secs ({}) must be shorter than device.code_ttl_secs ({})",
                self.interval_secs,
                self.code_ttl_secs
            );
        }
        Ok(DevicePolicy {
            code_ttl: Duration::from_secs(self.code_ttl_secs),
            interval: Duration::from_secs(self.interval_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_and_intervals_out_of_range_name_the_setting() {
        let cases = [
            (0, 5, "device.code_ttl_secs"),
            (3600, 5, "device.code_ttl_secs"),
            (600, 0, "device.interval_secs"),
            (600, 61, "device.interval_secs"),
            (30, 30, "must be shorter than device.code_ttl_secs"),
        ];
        for (code_ttl_secs, interval_secs, expected) in cases {
            let config = DeviceConfig {
                code_ttl_secs,
                interval_secs,
            };
            let err = config.policy().unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
        let policy = DeviceConfig::default().policy().unwrap();
        assert_eq!(policy.code_ttl, Duration::from_secs(600));
        assert_eq!(policy.interval, Duration::from_secs(5));
    }
}
