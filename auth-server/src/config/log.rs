//! `[log]`: the log line format and filter.

use serde::{Deserialize, Serialize};

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Human-readable lines or JSON objects.
    pub format: Format,
    /// A `tracing` filter such as `info` or `auth_server=debug,info`.
    pub filter: String,
}

/// `log.format`, in the order an error lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: Format::Text,
            filter: "info".into(),
        }
    }
}
