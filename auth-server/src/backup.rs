//! `auth-server backup --to <file>`: a consistent copy of the SQLite database, taken while the
//! server runs. The copy itself is the store's ([`auth_core::store::sql::backup_sqlite`]:
//! `VACUUM INTO`, checked, synced, never overwriting); this module is the command around it.
//!
//! PostgreSQL has its own tool for this, `pg_dump` (a snapshot too); for a PostgreSQL URL the
//! command says how to use it rather than running it. Either way the copy does not hold the
//! key-encryption key, which must be kept elsewhere (`docs/operations.md`, "Backup and restore").
//!
//! This module knows the database only through its URL; it does not open the provider and runs
//! no migrations on the database it copies.

use crate::config::Config;
use anyhow::{Context, bail};
use auth_core::store::sql::{Backend, backup_sqlite};
use std::path::PathBuf;

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
    let bytes = backup_sqlite(config.database_url.expose(), &args.to).await?;
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
