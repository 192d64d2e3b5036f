//! `auth-server`: see `auth-server --help`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match auth_server::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
