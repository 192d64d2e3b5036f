//! `auth-server`: see `auth-server --help`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Everything the server writes (the SQLite file and its journal, mail files with reset
    // links, backups, the key-encryption key) is for its own user only: 0600 files, 0700
    // folders, whichever library creates them.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    match auth_server::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
