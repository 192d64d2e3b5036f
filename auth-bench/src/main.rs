//! `auth-bench`: see `cargo run --release -p auth-bench -- --help` and `docs/performance.md`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match auth_bench::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
