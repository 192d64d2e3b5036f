//! The project's benchmark: each endpoint's throughput, latency and memory next to the ceiling
//! it could at best reach on the same machine, and the targets of issue 6 as pass/fail columns.
//!
//! The server runs in a child process (this binary re-executed with a hidden subcommand), so
//! its peak RSS is its own; the load comes from a task pool in this process over loopback HTTP
//! with keep-alive. `docs/performance.md` describes the method and a run.
//!
//! Layout: [`cli`] (flags and the hidden subcommands), [`serve`] (what runs in a child),
//! [`child`] (starting, timing and measuring a child, its database), [`load`] (the task pool
//! and its histograms), [`ceiling`] (raw signing and verification rates), [`flows`] (the HTTP
//! requests of each row), [`rows`] (what each row runs) and [`report`] (the table and the
//! targets).

pub mod ceiling;
pub mod child;
pub mod cli;
pub mod flows;
pub mod load;
pub mod report;
pub mod rows;
pub mod serve;

use clap::Parser;

/// Runs the command line: a benchmark, or (in a child) one of the servers.
pub async fn run() -> anyhow::Result<()> {
    let args = cli::Args::parse();
    match args.internal {
        Some(cli::Internal::ServeAuth(options)) => serve::auth(options).await,
        Some(cli::Internal::ServeTrivial) => serve::trivial().await,
        None => {
            let results = rows::run(&args).await?;
            println!("{}", report::table(&results));
            println!("{}", report::footer(&args));
            Ok(())
        }
    }
}
