//! `[requests]`: how authorization requests must reach the server (RFC 9126 pushed requests).

use super::in_range;
use auth_core::RequestPolicy;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[requests]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestsConfig {
    /// Every client must push its authorization requests to `/par` first (RFC 9126 section 5);
    /// a client can also require it of itself (`require_pushed_authorization_requests`).
    pub require_pushed_authorization_requests: bool,
    /// Seconds a pushed request's `request_uri` can be used (once).
    pub pushed_request_ttl_secs: u64,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        Self {
            require_pushed_authorization_requests: false,
            pushed_request_ttl_secs: 60,
        }
    }
}

impl RequestsConfig {
    /// The policy, checked: a `request_uri` lives between 1 s and 10 minutes.
    pub(super) fn policy(&self) -> anyhow::Result<RequestPolicy> {
        in_range(
            "requests.pushed_request_ttl_secs",
            self.pushed_request_ttl_secs,
            600,
        )?;
        Ok(RequestPolicy {
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
            pushed_request_ttl: Duration::from_secs(self.pushed_request_ttl_secs),
        })
    }
}
