//! The SQL store: SQLite (embedded default) and PostgreSQL through `sqlx`.
//!
//! Both backends run the same SQL text: queries use `$1`-style parameters, which SQLite accepts
//! too, and only portable SQL (`RETURNING`, `ON CONFLICT`). Each method is written once and
//! [`on_pool!`] instantiates it for the pool that is open, so the two backends cannot drift
//! apart. What differs lives in the migrations (`migrations/sqlite`, `migrations/postgres`: same
//! logical schema, native column types), in [`WritePool::begin_write`], which opens SQLite
//! write transactions with `BEGIN IMMEDIATE` so they queue on the write lock instead of failing,
//! and in the refresh token rotation (the busiest write), which SQLite gets as one batch of
//! statements and PostgreSQL as one statement with data-modifying CTEs (`grants.rs` says why),
//! and in claiming back-channel logout notices, where PostgreSQL adds `FOR UPDATE SKIP LOCKED`
//! (`backchannel.rs`).

mod account;
mod apps;
mod backchannel;
mod backup;
mod cache;
mod clients;
mod device;
mod events;
mod grants;
mod keys;
mod mfa;
mod outboxes;
mod passkeys;
mod requests;
mod roles;
mod sessions;
#[cfg(test)]
mod tests;
mod throttle;
mod tokens;
mod upstream;
mod users;

use super::{Store, StoreError};
use crate::events::EventRouting;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Runs `$body` with `$pool` bound to the open pool, whichever backend it is.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::sql::Pool::Sqlite($pool) => $body,
            $crate::store::sql::Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs one statement with each `$arg` bound in turn (`$1`, `$2`, ...), in the transaction `tx`
/// (`execute!(&mut *tx, ...)`) or else on `$store`'s pool, giving the number of rows it changed.
macro_rules! execute {
    (&mut *$tx:ident, $sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query($sql)$(.bind($arg))*.execute(&mut *$tx).await.map(|done| done.rows_affected())
    };
    ($store:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::store::sql::on_pool!($store, pool => {
            sqlx::query($sql)$(.bind($arg))*.execute(pool).await.map(|done| done.rows_affected())
        })
    };
}
pub(crate) use backchannel::LogoutTx;
pub use backup::{BackupError, backup_sqlite};
pub(crate) use events::EventTx;
pub(crate) use {execute, on_pool};

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend named by the URL's scheme.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Backend(
                "database_url must start with `sqlite:` or `postgres://`".into(),
            ))
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Connection settings that are not part of the URL.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long to wait for the database at connect time and for a free connection.
    pub acquire_timeout: Duration,
    /// How long this store trusts its in-memory copy of clients and of revoked access tokens
    /// before reading them again; zero reads the database on every lookup (see `cache.rs`).
    pub cache_ttl: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(1),
        }
    }
}

/// The store over SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) pool: Pool,
    /// Where events written by this store go; none by default.
    pub(crate) events: Arc<EventRouting>,
    /// Clients and revoked access tokens in memory.
    pub(crate) caches: Arc<cache::Caches>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend())
            .finish()
    }
}

impl SqlStore {
    /// Opens the database at `url` (`sqlite://path/to/file.db` or `postgres://...`). An SQLite
    /// file and its folder are created if missing. Fails when the database cannot be reached.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let pool = match Backend::of_url(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(backend)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // WAL with NORMAL loses nothing when the process dies; only a power cut can
                    // drop the last commits. Operations docs say how to choose FULL.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let file = options.get_filename();
                if let Some(parent) = file.parent()
                    && !parent.as_os_str().is_empty()
                {
                    crate::files::create_private_folder(parent).map_err(|e| {
                        StoreError::Backend(
                            format!("cannot create the folder {}: {e}", parent.display()).into(),
                        )
                    })?;
                }
                // Every account is in this file: created owner-only before SQLite opens it
                // (an in-memory database has no file to create).
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory {
                    crate::files::create_private_file(file).map_err(|e| {
                        StoreError::Backend(
                            format!("cannot create the database {}: {e}", file.display()).into(),
                        )
                    })?;
                }

                let pool = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(backend)?;
                Pool::Sqlite(pool)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(backend)?;
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    .connect_with(options)
                    .await
                    .map_err(backend)?;
                Pool::Postgres(pool)
            }
        };
        Ok(Self {
            pool,
            events: Arc::default(),
            caches: Arc::new(cache::Caches::new(settings.cache_ttl)),
        })
    }

    /// This store, writing an event (in the transaction of each change it describes) for each
    /// destination of `routing`.
    pub fn with_events(self, routing: EventRouting) -> Self {
        Self {
            events: Arc::new(routing),
            ..self
        }
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await,
            Pool::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await,
        }
        .map_err(|e| StoreError::Backend(Box::new(e)))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}

impl SqlStore {
    /// Spends an attempt on the row of `table` (`login_challenges`, `upstream_pending`) keyed
    /// `handle_hash`, if it has attempts left below `max_attempts` and has not expired at `now`,
    /// and reads its `columns` as they are after. One statement, so concurrent attempts each
    /// spend one.
    pub(crate) async fn take_attempt<R>(
        &self,
        table: &str,
        columns: &str,
        handle_hash: &crate::secrets::TokenHash,
        now: i64,
        max_attempts: i64,
    ) -> Result<Option<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = format!(
            "UPDATE {table} SET attempts = attempts + 1 \
             WHERE handle_hash = $1 AND attempts < $2 AND expires_at > $3 RETURNING {columns}"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(handle_hash.as_bytes())
                .bind(max_attempts)
                .bind(now)
                .fetch_optional(pool)
                .await
        })?)
    }
}

/// Opening a transaction that will write.
pub(crate) trait WritePool {
    type Db: Database;
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>, StoreError>;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.begin().await?)
    }
}

fn backend(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(error))
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            // A reference to a row that does not exist (a role, a user).
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
            other => StoreError::Backend(Box::new(other)),
        }
    }
}

/// [`StoreError::NotFound`] when a statement changed no row (the row it names is not there).
pub(crate) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Reads a stored text column back into a domain type.
pub(crate) fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

/// A stored keyed hash.
pub(crate) fn token_hash(
    what: &str,
    bytes: &[u8],
) -> Result<crate::secrets::TokenHash, StoreError> {
    crate::secrets::TokenHash::from_slice(bytes)
        .ok_or_else(|| corrupt(what, "hash of the wrong length"))
}

/// A stored user id.
pub(crate) fn user_id(text: &str) -> Result<crate::users::UserId, StoreError> {
    crate::users::UserId::parse(text).ok_or_else(|| corrupt("user id", text))
}

/// Space-separated authentication methods.
pub(crate) fn amr(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}
