//! The command line: the benchmark's flags, and the hidden subcommands a child runs.

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Benchmarks the authorization server on this machine: throughput, p50/p99 latency and peak
/// RSS of each endpoint against its ceiling, with the targets as pass/fail columns.
#[derive(Debug, Parser)]
#[command(name = "auth-bench", args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub internal: Option<Internal>,
    /// Rows to run, comma-separated (the ceilings they are compared with run too); all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<RowName>,
    /// How long each row is measured, e.g. `8s` or `500ms` (after a warm-up of a tenth of it).
    #[arg(long, default_value = "8s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Concurrent connections (and in-flight requests) of the HTTP rows.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Connections of the peak-RSS row.
    #[arg(long, default_value_t = 256)]
    pub rss_concurrency: usize,
    /// Run the server on PostgreSQL: a fresh database is created on this server per child and
    /// dropped afterwards (e.g. `postgres://postgres@127.0.0.1:5432/test`).
    #[arg(long)]
    pub postgres_url: Option<String>,
    /// The server's signing algorithm (`keys.algorithm`), and the raw ceilings' algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Rs256)]
    pub algorithm: Algorithm,
    /// After the table, run the rows that compare (client_credentials, introspection, JWKS,
    /// discovery, refresh, code flow, peak RSS) against another provider, installed by the
    /// benchmark (`auth-bench/node/install`: needs Node.js 20+ and npm), and print a second
    /// table: its numbers and ours divided by its.
    #[arg(long, value_enum)]
    pub compare: Option<Compare>,
    /// How the thread that sends the load of the throughput rows (client_credentials,
    /// introspection, JWKS, discovery, the trivial handler, peak RSS) is scheduled while it
    /// sends. Linux only; the other rows' load keeps the default policy.
    #[arg(long, value_enum, default_value_t = LoadPolicy::Batch)]
    pub load_policy: LoadPolicy,
    /// Expired rows `refresh-during-purge` writes for the purge (half revocations, half access
    /// tokens of a family).
    #[arg(long, default_value_t = 2_000_000)]
    pub purge_rows: u64,
    /// Users in the large database of `console-search` (its small one has 1,000).
    #[arg(long, default_value_t = 1_000_000)]
    pub search_users: u64,
    /// Run the rows over a large database (login, refresh, introspection, is-registered on a
    /// database of `--dataset-users` users, a tenth as many clients and ten times as many
    /// token rows, next to the same rows on an empty one); alone, unless `--only` names more.
    #[arg(long)]
    pub dataset: bool,
    /// Users of `--dataset` (1,000,000: with 100,000 clients and 10,000,000 token rows).
    #[arg(long, default_value_t = 1_000_000)]
    pub dataset_users: u64,
}

impl Args {
    /// Whether `row` was selected.
    pub fn selected(&self, row: RowName) -> bool {
        if self.dataset && (row == RowName::Dataset || self.only.is_empty()) {
            return row == RowName::Dataset;
        }
        if self.only.is_empty() {
            !row.opt_in()
        } else {
            self.only.contains(&row)
        }
    }
}

/// The rows of the table, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowName {
    RawSign,
    RawVerify,
    /// argon2id password hashes on every core: the ceiling of the code-flow row.
    RawHash,
    Trivial,
    ClientCredentials,
    /// client_credentials with a DPoP proof (ES256) per request, against the same requests
    /// without one.
    ClientCredentialsDpop,
    /// client_credentials authenticated with private_key_jwt (ES256), against the same
    /// requests with a client secret.
    ClientCredentialsKeyJwt,
    Introspection,
    IntrospectionUncached,
    Jwks,
    Discovery,
    Refresh,
    CodeFlow,
    Verify,
    IssuanceUnderLogin,
    Startup,
    Rss,
    /// Opt-in (`--only refresh-during-purge`): refresh rotation while the store purges
    /// `--purge-rows` expired rows, against the same refreshes without a purge.
    RefreshDuringPurge,
    /// Opt-in (`--only console-search`): the admin console's user search and paging over
    /// 1,000 users and over `--search-users` (a million by default).
    ConsoleSearch,
    /// Opt-in (`--dataset`, or `--only dataset`): login, refresh, introspection and the
    /// is-registered check on an empty database and on a large one.
    Dataset,
}

impl RowName {
    /// Rows that run only when named in `--only` (they seed large databases).
    pub fn opt_in(self) -> bool {
        matches!(
            self,
            Self::ConsoleSearch | Self::RefreshDuringPurge | Self::Dataset
        )
    }
}

/// Another provider to run the same workload against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compare {
    /// node-oidc-provider (the npm package `oidc-provider`), one Node.js process on 127.0.0.1.
    NodeOidcProvider,
}

/// The kernel's scheduling policy for the load thread of the throughput rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoadPolicy {
    /// `SCHED_BATCH`: an answer that wakes the load thread does not preempt a server thread in
    /// the middle of its request; the load thread runs in its turn (with its fair share of the
    /// cores, its nice value unchanged) and then handles every answer that came meanwhile, as
    /// a load generator on another machine would cost the server nothing.
    Batch,
    /// `SCHED_OTHER`, as any thread: each answer may preempt a server thread.
    Normal,
}

impl LoadPolicy {
    /// As `--load-policy` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Batch => "batch",
            Self::Normal => "normal",
        }
    }
}

/// A signing algorithm, spelled as in JOSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Algorithm {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "EdDSA")]
    EdDsa,
}

impl Algorithm {
    /// The JOSE name, as `keys.algorithm` takes it.
    pub fn jose(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// The soak, and (hidden, not for people) what a child process runs.
#[derive(Debug, Subcommand)]
pub enum Internal {
    /// Mixed open-loop load at a fraction of the measured capacity for a long time: zero 5xx
    /// and flat memory, or a non-zero exit (`docs/operations.md`).
    Soak(Soak),
    /// The authorization server on a loopback port.
    #[command(hide = true)]
    ServeAuth(ServeAuth),
    /// A trivial axum handler on a loopback port: the ceiling of the HTTP rows.
    #[command(hide = true)]
    ServeTrivial,
}

/// How the soak runs.
#[derive(Debug, Clone, ClapArgs)]
pub struct Soak {
    /// How long the open-loop load runs, e.g. `10m`.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub duration: Duration,
    /// The offered rate, as a fraction of the capacity the calibration measured.
    #[arg(long, default_value_t = 0.7, value_parser = parse_load)]
    pub load: f64,
    /// How long the closed-loop calibration runs (after a warm-up of a tenth of it).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub calibration: Duration,
    /// Concurrent requests of the calibration.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Run the server on PostgreSQL: a fresh database is created on this server and dropped
    /// afterwards (e.g. `postgres://postgres@127.0.0.1:5432/test`); SQLite otherwise.
    #[arg(long, alias = "database-url")]
    pub postgres_url: Option<String>,
    /// The server's signing algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Rs256)]
    pub algorithm: Algorithm,
}

/// A fraction of capacity: above 0, at most 1.5.
fn parse_load(text: &str) -> Result<f64, String> {
    let load: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a fraction like `0.7`"))?;
    if !(load > 0.0 && load <= 1.5) {
        return Err(format!(
            "`{text}`: the load must be above 0 and at most 1.5"
        ));
    }
    Ok(load)
}

/// How a server child runs.
#[derive(Debug, Clone, ClapArgs)]
pub struct ServeAuth {
    #[arg(long)]
    pub database_url: String,
    #[arg(long)]
    pub algorithm: String,
    /// Where the mail folder goes.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Register the benchmark's clients after start-up, and print their credentials.
    #[arg(long)]
    pub seed: bool,
    /// With `--seed`, register the benchmark's user too (one argon2id hash, 19 MiB).
    #[arg(long, requires = "seed")]
    pub with_user: bool,
    /// With `--seed`, an administrator too, signed in with a second factor: its session cookie
    /// opens the admin console.
    #[arg(long, requires = "seed")]
    pub console_admin: bool,
}

/// `8s`, `500ms`, `2m`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like `8s` or `500ms`"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s or m")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("`{text}`: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_milliseconds_seconds_and_minutes() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("8s"), Ok(Duration::from_secs(8)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("8h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn rows_are_selected_by_name() {
        let args = Args::parse_from(["auth-bench", "--only", "jwks,discovery"]);
        assert!(args.selected(RowName::Jwks));
        assert!(args.selected(RowName::Discovery));
        assert!(!args.selected(RowName::Trivial));
        assert!(Args::parse_from(["auth-bench"]).selected(RowName::Trivial));
        // A row that seeds a million users runs only when asked for.
        assert!(!Args::parse_from(["auth-bench"]).selected(RowName::ConsoleSearch));
        let args = Args::parse_from(["auth-bench", "--only", "console-search"]);
        assert!(args.selected(RowName::ConsoleSearch));
        // --dataset runs its rows alone, or beside the rows --only names.
        let args = Args::parse_from(["auth-bench", "--dataset"]);
        assert!(args.selected(RowName::Dataset));
        assert!(!args.selected(RowName::Trivial));
        let args = Args::parse_from(["auth-bench", "--dataset", "--only", "jwks"]);
        assert!(args.selected(RowName::Dataset) && args.selected(RowName::Jwks));
        assert!(!args.selected(RowName::Trivial));
        assert!(!Args::parse_from(["auth-bench"]).selected(RowName::Dataset));
    }

    #[test]
    fn the_comparison_is_named_after_the_package() {
        let args = Args::parse_from(["auth-bench", "--compare", "node-oidc-provider"]);
        assert_eq!(args.compare, Some(Compare::NodeOidcProvider));
        assert_eq!(Args::parse_from(["auth-bench"]).compare, None);
        assert!(Args::try_parse_from(["auth-bench", "--compare", "keycloak"]).is_err());
    }

    #[test]
    fn the_soak_takes_a_duration_and_a_fraction_of_capacity() {
        let args = Args::parse_from(["auth-bench", "soak", "--duration", "1m", "--load", "0.5"]);
        let Some(Internal::Soak(soak)) = args.internal else {
            panic!("not the soak: {args:?}");
        };
        assert_eq!(soak.duration, Duration::from_secs(60));
        assert_eq!(soak.load, 0.5);
        assert!(Args::try_parse_from(["auth-bench", "soak", "--load", "0"]).is_err());
        assert!(Args::try_parse_from(["auth-bench", "soak", "--load", "2"]).is_err());
    }

    #[test]
    fn the_algorithm_is_spelled_as_in_jose() {
        let args = Args::parse_from(["auth-bench", "--algorithm", "EdDSA"]);
        assert_eq!(args.algorithm.jose(), "EdDSA");
    }
}
