//! A consistent copy of an SQLite database, taken while servers write to it.
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees it into a new file:
//! the database is in WAL mode, so writers carry on while it runs, and the copy holds every
//! transaction committed before it began and nothing of any later one. The copy is written
//! beside the target under a temporary name, checked with `PRAGMA integrity_check`, synced, and
//! only then linked to the target, which is never overwritten.
//!
//! Knows the database only through its URL: it does not open the store and runs no migrations
//! on the database it copies. PostgreSQL has its own tool for this (`pg_dump`).

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long the copy waits for a lock held by a server (a checkpoint, a schema change).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a backup was not written. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} already exists: a backup never overwrites a file; choose a new name", .0.display())]
    TargetExists(PathBuf),
    #[error(
        "{} exists: another backup to the same file is running, or one was interrupted \
         (remove it if none is running)",
        .0.display()
    )]
    PartialExists(PathBuf),
    #[error("the folder {} of the backup does not exist", .0.display())]
    NoFolder(PathBuf),
    #[error("the backup path names no file")]
    NoFileName,
    #[error("the backup path is not valid UTF-8")]
    NotUtf8,
    #[error("database_url is not an SQLite URL: {0}")]
    NotSqlite(#[source] sqlx::Error),
    #[error("there is no database at {} (database_url); nothing to back up", .0.display())]
    NoDatabase(PathBuf),
    #[error("{context}: {source}")]
    Database {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl BackupError {
    fn database(context: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { context, source }
    }

    fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}

/// Writes a consistent copy of the SQLite database at `url` to `target`; returns its size.
pub async fn backup_sqlite(url: &str, target: &Path) -> Result<u64, BackupError> {
    if target.symlink_metadata().is_ok() {
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(BackupError::NoFolder(folder.to_owned()));
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(BackupError::NotSqlite)?
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT);
    let source = options.get_filename().to_owned();
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source));
    }
    let file_name = target
        .file_name()
        .ok_or(BackupError::NoFileName)?
        .to_string_lossy();
    let partial = folder.join(format!(".{file_name}.partial"));
    // Created here, before anything can fail: the partial file removed below is always this
    // run's, never that of another backup to the same name still running.
    create_private(&partial)?;
    let written = write_snapshot(options, &partial).await;
    let linked = written.and_then(|bytes| {
        // A hard link fails when the target exists: a backup made meanwhile is not replaced.
        std::fs::hard_link(&partial, target).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => BackupError::TargetExists(target.to_owned()),
            _ => BackupError::io(format!("cannot create {}", target.display()))(e),
        })?;
        sync_folder(folder)?;
        Ok(bytes)
    });
    let _ = std::fs::remove_file(&partial);
    linked
}

/// `VACUUM INTO` the empty, owner-only file at `partial`, then checks and syncs it.
async fn write_snapshot(options: SqliteConnectOptions, partial: &Path) -> Result<u64, BackupError> {
    let path = partial.to_str().ok_or(BackupError::NotUtf8)?.to_owned();
    let mut source = options.connect().await.map_err(BackupError::database(
        "cannot open the database to back it up",
    ))?;
    // The copy is the snapshot of this one statement's read transaction
    // (https://sqlite.org/lang_vacuum.html#vacuuminto); the target must be empty.
    sqlx::query("VACUUM INTO ?")
        .bind(&path)
        .execute(&mut source)
        .await
        .map_err(BackupError::database("the copy failed (VACUUM INTO)"))?;
    source
        .close()
        .await
        .map_err(BackupError::database("cannot close the database"))?;

    let mut copy = SqliteConnectOptions::new()
        .filename(partial)
        .read_only(true)
        .connect()
        .await
        .map_err(BackupError::database("cannot open the copy to check it"))?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await
        .map_err(BackupError::database("cannot check the copy"))?;
    copy.close()
        .await
        .map_err(BackupError::database("cannot close the copy"))?;
    if verdict != "ok" {
        return Err(BackupError::Corrupt(verdict));
    }
    let file = std::fs::File::open(partial).map_err(BackupError::io("cannot open the copy"))?;
    file.sync_all()
        .map_err(BackupError::io("cannot sync the copy to disk"))?;
    let metadata = file
        .metadata()
        .map_err(BackupError::io("cannot read the copy's size"))?;
    Ok(metadata.len())
}

/// Creates an empty file readable by its owner only: the copy holds password hashes and the
/// encrypted signing keys.
fn create_private(path: &Path) -> Result<(), BackupError> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path).map(drop).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::PartialExists(path.to_owned()),
        _ => BackupError::io(format!("cannot create {}", path.display()))(e),
    })
}

/// Makes the new directory entry durable.
fn sync_folder(folder: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    std::fs::File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(format!(
            "cannot sync the folder {}",
            folder.display()
        )))?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}
