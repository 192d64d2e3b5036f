//! `auth-bench`: see `cargo run --release -p auth-bench -- --help` and `docs/performance.md`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match auth_bench::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
