//! `database_url` and `[database]`: which database, and the connection pool.

use super::secret::SecretUrl;
use anyhow::bail;
use auth_core::store::sql::{Backend, PoolSettings};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Most connections per replica.
    pub max_connections: u32,
    /// Seconds to wait for the database when connecting.
    pub connect_timeout_secs: u64,
    /// Seconds a replica keeps clients and revoked access tokens in memory before reading them
    /// again (what other replicas changed is seen after at most this long); 0 turns it off.
    pub cache_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout_secs: 5,
            cache_secs: 1,
        }
    }
}

impl DatabaseConfig {
    /// Checks `url` (`database_url`) and the pool settings.
    pub(super) fn check(&self, url: &SecretUrl) -> anyhow::Result<()> {
        Backend::of_url(url.expose()).map_err(|_| {
            anyhow::anyhow!("database_url must start with `sqlite://` or `postgres://`")
        })?;
        if self.cache_secs > 60 {
            bail!(
                "database.cache_secs is {}: at most 60, since a revocation made at another replica is only seen here after that long",
                self.cache_secs
            );
        }
        if self.max_connections == 0 {
            bail!("database.max_connections must be at least 1");
        }
        Ok(())
    }

    /// The pool settings.
    pub fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.max_connections,
            acquire_timeout: Duration::from_secs(self.connect_timeout_secs),
            cache_ttl: Duration::from_secs(self.cache_secs),
        }
    }
}
