//! A database per test: an SQLite file in a temporary folder, or a PostgreSQL database created
//! on the machine's server and dropped afterwards; and a way to read a count straight from it.

use sqlx::Connection;
use tempfile::TempDir;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("AUTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    _dir: TempDir,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("auth.db").display()),
                pg_name: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!(
                    "auth_test_{}_{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                );
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for this test at {admin} ({e}); start it or set \
                         AUTH_TEST_POSTGRES_URL (AUTH_TEST_SKIP_POSTGRES=1 skips, never in CI)"
                    )
                });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("admin URL");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        }
    }
}

impl TestDb {
    /// The test's temporary folder (the SQLite file lives there; mail folders can too).
    pub fn folder(&self) -> &std::path::Path {
        self._dir.path()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_admin_url();
        // Drop runs inside the test's runtime; the database is dropped on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// The single integer an SQL query (usually a `COUNT(*)`) returns, read straight from the
/// database at `database_url` with a connection of its own.
pub async fn db_count(database_url: &str, sql: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

/// Runs one SQL statement on the database at `database_url`, behind the server's back.
pub async fn db_execute(database_url: &str, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}
