//! The project's benchmark: each endpoint's throughput, latency and memory next to the ceiling
//! it could at best reach on the same machine, and the targets of issue 6 as pass/fail columns.
//!
//! The server runs in a child process (this binary re-executed with a hidden subcommand), so
//! its peak RSS is its own; the load comes from a task pool in this process over loopback HTTP
//! with keep-alive. `docs/performance.md` describes the method and a run.
//!
//! With `--compare node-oidc-provider`, the rows that compare run again against
//! node-oidc-provider (installed by `auth-bench/node/install`, started as a child like ours) and
//! a second table shows its numbers and ours divided by its.
//!
//! Layout: [`cli`] (flags and the hidden subcommands), [`serve`] (what runs in a child),
//! [`child`] (starting, timing and measuring a child, its database), [`node`] (the
//! node-oidc-provider child and its install), [`load`] (the task pool and its histograms),
//! [`ceiling`] (raw signing and verification rates), [`flows`] (the HTTP requests of each row),
//! [`rows`] (what each row runs) and [`report`] (the tables and the targets); [`soak`] is the
//! long mixed run of `auth-bench soak`, with its verdict (zero 5xx, flat memory). [`console`]
//! is the opt-in row of the admin console's user search over [`dataset`]'s seeded users.

pub mod ceiling;
pub mod child;
pub mod cli;
pub mod console;
pub mod dataset;
pub mod flows;
pub mod lean;
pub mod load;
pub mod node;
pub mod report;
pub mod rows;
pub mod scale;
pub mod serve;
pub mod soak;

use clap::Parser;

/// Runs the command line: a benchmark, or (in a child) one of the servers.
///
/// The servers get tokio's multi-thread runtime on every core, as `auth-server` runs. The
/// benchmark's own load runs on one thread, as `wrk -t1` would: it shares the cores with the
/// server under test, and one event loop spends less per request than two workers waking each
/// other (on 2 cores: introspection about 54,000 -> 62,000 requests per second, EdDSA issuance
/// 33,000 -> 40,000, RS256 issuance 79 -> 80-81 % of raw signing; docs/performance.md). The
/// soak keeps the multi-thread runtime its figures were measured with.
pub fn main() -> anyhow::Result<()> {
    let args = cli::Args::parse();
    let runtime = match args.internal {
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Some(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
    };
    runtime.block_on(run(args))
}

async fn run(args: cli::Args) -> anyhow::Result<()> {
    match args.internal {
        Some(cli::Internal::ServeAuth(options)) => serve::auth(options).await,
        Some(cli::Internal::ServeTrivial) => serve::trivial().await,
        Some(cli::Internal::Soak(options)) => {
            let report = soak::run(&options).await?;
            println!("{report}");
            report.verdict.ok()
        }
        None => {
            let results = rows::run(&args).await?;
            println!("{}", report::table(&results.rows));
            println!("{}", report::footer(&args));
            if let Some(versions) = &results.compared_with {
                println!("\nAgainst node-oidc-provider:\n");
                println!("{}", report::comparison_table(&results.comparisons, "node"));
                println!("{}", report::comparison_footer(versions, &args));
            }
            Ok(())
        }
    }
}
