//! `auth-server backup --to <file>`: a consistent copy of the SQLite database, taken while the
//! server runs.
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees it into a new file:
//! the database is in WAL mode, so the server's writers carry on while it runs, and the copy
//! holds every transaction committed before it began and nothing of any later one. The copy is
//! written beside the target under a temporary name, checked with `PRAGMA integrity_check`,
//! synced, and only then linked to the target, which is never overwritten.
//!
//! PostgreSQL has its own tool for this, `pg_dump` (a snapshot too); for a PostgreSQL URL the
//! command says how to use it rather than running it. Either way the copy does not hold the
//! key-encryption key, which must be kept elsewhere (`docs/operations.md`, "Backup and restore").
//!
//! This module knows the database only through its URL; it does not open the provider and runs
//! no migrations on the database it copies.

use crate::config::Config;
use anyhow::{Context, bail};
use auth_core::store::sql::Backend;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long the copy waits for a lock held by the server (a checkpoint, a schema change).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// `backup`
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The file to write the copy to; it must not exist.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

/// Copies the configured database to `args.to` and says where the key-encryption key is.
pub async fn backup(config: &Config, args: &BackupArgs) -> anyhow::Result<()> {
    let backend = Backend::of_url(config.database_url.expose()).context("database_url")?;
    if backend == Backend::Postgres {
        bail!("{}", POSTGRES);
    }
    let bytes = copy_sqlite(config.database_url.expose(), &args.to).await?;
    println!(
        "backup written to {} ({bytes} bytes, integrity check ok)",
        args.to.display()
    );
    let kek = match &config.keys.encryption_key {
        Some(_) => "keys.encryption_key (AUTH_KEYS__ENCRYPTION_KEY)".to_owned(),
        None => format!("the file {}", config.keys.encryption_key_file.display()),
    };
    println!(
        "The signing keys and TOTP secrets in it are encrypted under the key-encryption key, \
         {kek}, which is not in the backup. Back it up separately, and never store it next to \
         this backup: whoever holds both can sign tokens as this server."
    );
    Ok(())
}

/// What `backup` says for a PostgreSQL database.
const POSTGRES: &str = "`auth-server backup` copies SQLite databases; this database_url is \
PostgreSQL. Back it up with pg_dump, which takes a consistent snapshot while the servers run:\n\
\n    pg_dump --format=custom --file auth.dump \"$DATABASE_URL\"\n\n\
and restore into a new, empty database with\n\
\n    pg_restore --no-owner --dbname \"$NEW_DATABASE_URL\" auth.dump\n\n\
(docs/operations.md, \"Backup and restore\"). The key-encryption key is not in the database: \
back it up separately, never next to the dump.";

/// Writes a consistent copy of the SQLite database at `url` to `target`; returns its size.
async fn copy_sqlite(url: &str, target: &Path) -> anyhow::Result<u64> {
    refuse_existing(target)?;
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        bail!(
            "the folder {} of the backup does not exist",
            folder.display()
        );
    }
    let options = SqliteConnectOptions::from_str(url)
        .context("database_url is not an SQLite URL")?
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT);
    let source = options.get_filename().to_owned();
    if !source.is_file() {
        bail!(
            "there is no database at {} (database_url); nothing to back up",
            source.display()
        );
    }
    let file_name = target
        .file_name()
        .context("the backup path names no file")?
        .to_string_lossy();
    let partial = folder.join(format!(".{file_name}.partial"));
    // Created here, before anything can fail: the partial file removed below is always this
    // run's, never that of another backup to the same name still running.
    create_private(&partial)?;
    let written = write_snapshot(options, &partial).await;
    let linked = written.and_then(|bytes| {
        // A hard link fails when the target exists: a backup made meanwhile is not replaced.
        std::fs::hard_link(&partial, target).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => already_exists(target),
            _ => anyhow::Error::new(e).context(format!("cannot create {}", target.display())),
        })?;
        sync_folder(folder)?;
        Ok(bytes)
    });
    let _ = std::fs::remove_file(&partial);
    linked
}

fn refuse_existing(target: &Path) -> anyhow::Result<()> {
    if target.symlink_metadata().is_ok() {
        return Err(already_exists(target));
    }
    Ok(())
}

fn already_exists(target: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} already exists: a backup never overwrites a file; choose a new name",
        target.display()
    )
}

/// `VACUUM INTO` the empty, owner-only file at `partial`, then checks and syncs it.
async fn write_snapshot(options: SqliteConnectOptions, partial: &Path) -> anyhow::Result<u64> {
    let path = partial
        .to_str()
        .context("the backup path is not valid UTF-8")?
        .to_owned();
    let mut source = options
        .connect()
        .await
        .context("cannot open the database to back it up")?;
    // The copy is the snapshot of this one statement's read transaction
    // (https://sqlite.org/lang_vacuum.html#vacuuminto); the target must be empty.
    sqlx::query("VACUUM INTO ?")
        .bind(&path)
        .execute(&mut source)
        .await
        .context("the copy failed (VACUUM INTO)")?;
    source.close().await?;

    let mut copy = SqliteConnectOptions::new()
        .filename(partial)
        .read_only(true)
        .connect()
        .await
        .context("cannot open the copy to check it")?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await
        .context("cannot check the copy")?;
    copy.close().await?;
    if verdict != "ok" {
        bail!("the copy failed its integrity check: {verdict}");
    }
    let file = std::fs::File::open(partial)?;
    file.sync_all().context("cannot sync the copy to disk")?;
    Ok(file.metadata()?.len())
}

/// Creates an empty file readable by its owner only: the copy holds password hashes and the
/// encrypted signing keys.
fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path).map(drop).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
            "{} exists: another backup to the same file is running, or one was interrupted \
             (remove it if none is running)",
            path.display()
        ),
        _ => anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
    })
}

/// Makes the new directory entry durable.
fn sync_folder(folder: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(folder)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync the folder {}", folder.display()))?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}
