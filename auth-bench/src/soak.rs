//! The soak (`auth-bench soak`): one release server child under a mixed load for a long time,
//! to show that it answers no 5xx and that its memory stays flat.
//!
//! First a short closed-loop run of the mix ([`MIX`]) measures the capacity of this machine;
//! then an open-loop load offers `load` x that capacity for the duration: arrivals on a fixed
//! schedule, each one operation of the mix, whether or not the earlier ones have been answered,
//! with latencies counted from the scheduled arrival (so a stalled server is not hidden by a
//! load that waits for it). The server's RSS is sampled every [`RSS_EVERY`]; its responses by
//! status class come from its own Prometheus counters (`http_requests_total`), read before and
//! after the load. The [`Verdict`] fails on any 5xx, any failed operation, any arrival that
//! found no room, or memory that grows.
//!
//! It uses the benchmark's server child ([`crate::child`]) and requests ([`crate::flows`]);
//! it knows nothing of the rows of the table.

use crate::child::{Database, Seeding, ServerChild};
use crate::cli::Soak;
use crate::flows::{DISCOVERY, Implementation, Target};
use crate::load::{Recorder, drive};
use crate::report::{format_latency, format_rate};
use crate::serve::Seed;
use anyhow::{Context, bail, ensure};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How often the server's RSS is read.
pub const RSS_EVERY: Duration = Duration::from_secs(10);

/// Requests of the open-loop load that may be outstanding at once; an arrival that finds them
/// all taken is not sent and counts against the verdict (the server is not keeping up).
const MAX_IN_FLIGHT: usize = 2048;

/// Refresh-token chains the load rotates: made by code flows before the load (that many at a
/// time), topped up by the load's own code flows. A refresh finding none free fails, so there
/// are enough for seconds of backlog.
const CHAINS: usize = 128;
const CHAINS_AT_ONCE: usize = 8;
const MOST_CHAINS: usize = 512;

/// Access tokens kept for the revocations to revoke.
const MOST_REVOCABLE: usize = 4096;

/// How long the load keeps an idle connection: under the server's keep-alive limit
/// (`http.header_read_timeout_secs`, 10 s by default), or a request may go out on a connection
/// the server is closing and meet a reset (reqwest's default, 90 s, does; hyper retries no POST).
const POOL_IDLE: Duration = Duration::from_secs(5);

/// How long the answers still outstanding at the end may take.
const DRAIN: Duration = Duration::from_secs(30);

/// Growth of the RSS always allowed between the first and the last third of the run (the
/// allocator's arenas settle in steps of a few MiB), besides [`ALLOWED_GROWTH`].
const ALLOWED_GROWTH_BYTES: u64 = 4 * 1024 * 1024;

/// Growth of the RSS allowed between the first and the last third of the run, as a fraction.
const ALLOWED_GROWTH: f64 = 0.10;

const MIB: f64 = 1024.0 * 1024.0;

/// One operation of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    ClientCredentials,
    Introspection,
    Refresh,
    CodeFlow,
    Jwks,
    Discovery,
    Revocation,
}

impl Operation {
    fn label(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials token",
            Self::Introspection => "introspection (live token)",
            Self::Refresh => "refresh_token rotation",
            Self::CodeFlow => "code flow with login (argon2id)",
            Self::Jwks => "JWKS",
            Self::Discovery => "discovery",
            Self::Revocation => "revocation (access token)",
        }
    }
}

/// The mix, in operations per hundred: what a platform's services and users ask of the server,
/// machine-to-machine traffic first, logins rare (each is an argon2id hash).
pub const MIX: [(Operation, usize); 7] = [
    (Operation::ClientCredentials, 30),
    (Operation::Introspection, 25),
    (Operation::Refresh, 15),
    (Operation::Jwks, 10),
    (Operation::Discovery, 10),
    (Operation::Revocation, 8),
    (Operation::CodeFlow, 2),
];

/// The `n`-th operation of the mix: the hundred slots of [`MIX`] walked with a stride prime to
/// a hundred, so each hundred arrivals carry the whole mix, interleaved.
pub fn nth_operation(n: u64) -> Operation {
    const STRIDE: u64 = 37;
    let mut slot = usize::try_from((n.wrapping_mul(STRIDE)) % 100).unwrap_or(0);
    for (operation, share) in MIX {
        if slot < share {
            return operation;
        }
        slot -= share;
    }
    Operation::Discovery
}

/// What the operations share: the token introspected, the access tokens to revoke, the
/// refresh tokens to rotate.
struct Pools {
    introspected: RwLock<Arc<str>>,
    revocable: Mutex<VecDeque<String>>,
    refresh: Mutex<Vec<String>>,
    revocation_endpoint: String,
}

impl Pools {
    fn take_refresh(&self) -> anyhow::Result<String> {
        lock(&self.refresh)?
            .pop()
            .context("no refresh token free: every chain is being rotated")
    }

    fn give_refresh(&self, token: String) -> anyhow::Result<()> {
        let mut refresh = lock(&self.refresh)?;
        if refresh.len() < MOST_CHAINS {
            refresh.push(token);
        }
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> anyhow::Result<std::sync::MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| anyhow::anyhow!("a load task panicked holding a lock"))
}

/// Runs one operation; `Ok` when the server answered as a client expects.
async fn perform(operation: Operation, target: &Target, pools: &Pools) -> anyhow::Result<()> {
    match operation {
        Operation::ClientCredentials => {
            let token = target.client_credentials().await?;
            let mut revocable = lock(&pools.revocable)?;
            if revocable.len() >= MOST_REVOCABLE {
                revocable.pop_front();
            }
            revocable.push_back(token.clone());
            // Under the queue's lock, so the token introspected is always its newest.
            *pools
                .introspected
                .write()
                .map_err(|_| anyhow::anyhow!("a load task panicked holding a lock"))? =
                token.into();
        }
        Operation::Introspection => {
            let token = pools
                .introspected
                .read()
                .map_err(|_| anyhow::anyhow!("a load task panicked holding a lock"))?
                .clone();
            target.introspect(&token).await?;
        }
        Operation::Refresh => {
            let token = pools.take_refresh()?;
            let next = target.refresh(&token).await?;
            pools.give_refresh(next)?;
        }
        Operation::CodeFlow => {
            let tokens = target.code_flow().await?;
            pools.give_refresh(tokens.refresh_token.context("no refresh token")?)?;
        }
        Operation::Jwks => target.get(&target.endpoints.jwks).await?,
        Operation::Discovery => target.get(&target.url(DISCOVERY)).await?,
        Operation::Revocation => {
            // The newest token stays: it may be the one being introspected.
            let queued = {
                let mut revocable = lock(&pools.revocable)?;
                if revocable.len() > 1 {
                    revocable.pop_front()
                } else {
                    None
                }
            };
            let token = match queued {
                Some(token) => token,
                None => target.client_credentials().await?,
            };
            revoke(target, &pools.revocation_endpoint, &token).await?;
        }
    }
    Ok(())
}

/// Revokes `token`, an access token of `bench-service` (RFC 7009 section 2.1); the answer must
/// be `200`.
async fn revoke(target: &Target, endpoint: &str, token: &str) -> anyhow::Result<()> {
    let response = target
        .http
        .post(endpoint)
        .basic_auth(Seed::SERVICE, Some(&target.seed.service_secret))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await?;
    let status = response.status();
    response.bytes().await?;
    ensure!(status == reqwest::StatusCode::OK, "revocation: {status}");
    Ok(())
}

/// One operation's record in the open-loop load.
struct Record {
    histogram: Histogram<u64>,
    failed: u64,
    first_failure: Option<String>,
}

/// What one operation did during the load.
#[derive(Debug, Clone)]
pub struct OperationResult {
    pub operation: Operation,
    /// Successful operations per second over the load.
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub failed: u64,
    pub first_failure: Option<String>,
}

/// The server's answers during the load, by route and status class (`2xx`, ...).
pub type Responses = BTreeMap<(String, String), u64>;

/// The machine's one-minute load average, from `/proc/loadavg`.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What the soak measured.
pub struct Report {
    pub options: Soak,
    pub capacity: f64,
    pub offered: f64,
    pub operations: Vec<OperationResult>,
    pub responses: Responses,
    /// RSS samples in bytes, every [`RSS_EVERY`] from the start of the load.
    pub rss: Vec<u64>,
    /// The machine's one-minute load average at each RSS sample (the load and the server
    /// count; so do other processes, which take cores from both).
    pub load_averages: Vec<f64>,
    pub verdict: Verdict,
}

/// Whether the soak held.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub server_errors: u64,
    pub failed: u64,
    /// Arrivals not sent because [`MAX_IN_FLIGHT`] requests were outstanding.
    pub shed: u64,
    pub memory: Memory,
}

/// The memory part of the verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Memory {
    /// The largest RSS of the last third of the samples is within the allowed growth of the
    /// largest of the first third.
    Flat { first_third: u64, last_third: u64 },
    /// It is not.
    Grew { first_third: u64, last_third: u64 },
    /// Fewer than three samples: too short a run to judge.
    TooFewSamples(usize),
}

impl Memory {
    /// Judges RSS samples taken at a steady interval.
    pub fn judge(samples: &[u64]) -> Self {
        if samples.len() < 3 {
            return Self::TooFewSamples(samples.len());
        }
        let third = samples.len() / 3;
        let first_third = samples[..third].iter().copied().max().unwrap_or(0);
        let last_third = samples[samples.len() - third..]
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        let fraction = (first_third as f64 * ALLOWED_GROWTH) as u64;
        let allowed = first_third + fraction.max(ALLOWED_GROWTH_BYTES);
        if last_third <= allowed {
            Self::Flat {
                first_third,
                last_third,
            }
        } else {
            Self::Grew {
                first_third,
                last_third,
            }
        }
    }
}

impl Verdict {
    /// `Ok` when there were no 5xx, no failed operation, no shed arrival and the memory stayed
    /// flat; otherwise an error saying which did not hold.
    pub fn ok(&self) -> anyhow::Result<()> {
        let mut broken = Vec::new();
        if self.server_errors > 0 {
            broken.push(format!("{} responses were 5xx", self.server_errors));
        }
        if self.failed > 0 {
            broken.push(format!("{} operations failed", self.failed));
        }
        if self.shed > 0 {
            broken.push(format!(
                "{} arrivals found {MAX_IN_FLIGHT} requests outstanding",
                self.shed
            ));
        }
        match self.memory {
            Memory::Flat { .. } => {}
            Memory::Grew {
                first_third,
                last_third,
            } => broken.push(format!(
                "memory grew: max RSS {:.1} MiB in the last third against {:.1} MiB in the first",
                last_third as f64 / MIB,
                first_third as f64 / MIB
            )),
            Memory::TooFewSamples(n) => broken.push(format!(
                "{n} RSS samples are too few to judge memory (run at least {}s)",
                3 * RSS_EVERY.as_secs()
            )),
        }
        if broken.is_empty() {
            Ok(())
        } else {
            bail!("the soak failed: {}", broken.join("; "))
        }
    }
}

/// Runs the soak: a server child, the calibration, the open-loop load; the report.
pub async fn run(options: &Soak) -> anyhow::Result<Report> {
    let database = Database::create(options.postgres_url.as_deref()).await?;
    let child = ServerChild::auth(&database, options.algorithm, Seeding::ClientsAndUser).await?;
    let report = soak(options, &child).await;
    child.stop().await?;
    database.remove().await?;
    report
}

async fn soak(options: &Soak, child: &ServerChild) -> anyhow::Result<Report> {
    let seed = child
        .seed
        .clone()
        .context("the child printed no credentials")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .pool_idle_timeout(POOL_IDLE)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let target = Target::discover(http, child.base_url.clone(), seed, Implementation::Ours).await?;
    let pools = Arc::new(prepare(&target).await?);

    eprintln!(
        "calibrating: the mix, closed loop, {} connections, {:?}",
        options.concurrency, options.calibration
    );
    let calibration = calibrate(options, &target, &pools).await?;
    ensure!(
        calibration.errors == 0,
        "{} operations failed during the calibration; the first: {}",
        calibration.errors,
        calibration.first_error.unwrap_or_default()
    );
    let capacity = calibration.rate;
    let offered = capacity * options.load;
    eprintln!(
        "capacity {} ops/s; offering {} ops/s for {:?}",
        format_rate(capacity),
        format_rate(offered),
        options.duration
    );

    let before = responses(&target).await?;
    let sampling = Arc::new(AtomicBool::new(true));
    let rss = sample_rss(child, sampling.clone());
    let (load, rss) = tokio::join!(
        async {
            let load = open_loop(options.duration, offered, &target, &pools).await;
            sampling.store(false, Ordering::Relaxed);
            load
        },
        rss,
    );
    let ((records, shed), (rss, load_averages)) = (load?, rss?);
    let after = responses(&target).await?;

    let responses = difference(&after, &before);
    let operations = results(records, options.duration)?;
    let verdict = Verdict {
        server_errors: responses
            .iter()
            .filter(|((_, class), _)| class == "5xx")
            .map(|(_, n)| n)
            .sum(),
        failed: operations.iter().map(|o| o.failed).sum(),
        shed,
        memory: Memory::judge(&rss),
    };
    Ok(Report {
        options: options.clone(),
        capacity,
        offered,
        operations,
        responses,
        rss,
        load_averages,
        verdict,
    })
}

/// The revocation endpoint, a token to introspect, [`CHAINS`] refresh chains (the first code
/// flow gives the consent the later ones reuse).
async fn prepare(target: &Target) -> anyhow::Result<Pools> {
    let discovery: serde_json::Value = target
        .http
        .get(target.url(DISCOVERY))
        .send()
        .await?
        .json()
        .await?;
    let revocation_endpoint = discovery["revocation_endpoint"]
        .as_str()
        .context("no revocation_endpoint in the discovery document")?
        .to_owned();
    let mut chains = vec![
        target
            .code_flow()
            .await?
            .refresh_token
            .context("no refresh token")?,
    ];
    while chains.len() < CHAINS {
        let mut flows = tokio::task::JoinSet::new();
        for _ in 0..CHAINS_AT_ONCE {
            let target = target.clone();
            flows.spawn(async move { target.code_flow().await });
        }
        while let Some(tokens) = flows.join_next().await {
            chains.push(tokens??.refresh_token.context("no refresh token")?);
        }
    }
    Ok(Pools {
        introspected: RwLock::new(target.client_credentials().await?.into()),
        revocable: Mutex::new(VecDeque::new()),
        refresh: Mutex::new(chains),
        revocation_endpoint,
    })
}

/// The mix, closed loop: each connection runs the next operation of the mix as soon as its
/// last one is answered.
async fn calibrate(
    options: &Soak,
    target: &Target,
    pools: &Arc<Pools>,
) -> anyhow::Result<crate::load::Measured> {
    let arrivals = Arc::new(AtomicU64::new(0));
    let (target, pools) = (target.clone(), pools.clone());
    drive(options.concurrency, options.calibration, move |_, rec| {
        let (target, pools, arrivals) = (target.clone(), pools.clone(), arrivals.clone());
        async move {
            let mut rec: Recorder = rec;
            while rec.running() {
                let operation = nth_operation(arrivals.fetch_add(1, Ordering::Relaxed));
                rec.time(perform(operation, &target, &pools)).await;
            }
            rec
        }
    })
    .await
}

/// Offers `rate` operations per second for `duration`; each operation's record, and how many
/// arrivals found no room.
async fn open_loop(
    duration: Duration,
    rate: f64,
    target: &Target,
    pools: &Arc<Pools>,
) -> anyhow::Result<(BTreeMap<Operation, Record>, u64)> {
    ensure!(rate > 0.0, "the calibration measured no capacity");
    let mut records = BTreeMap::new();
    for (operation, _) in MIX {
        records.insert(
            operation,
            Record {
                histogram: Histogram::new_with_bounds(1, 60_000_000, 3)?,
                failed: 0,
                first_failure: None,
            },
        );
    }
    let records = Arc::new(Mutex::new(records));
    let room = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let end = start + duration;
    let (mut n, mut shed) = (0u64, 0u64);
    loop {
        let due = start + interval.mul_f64(n as f64);
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due).await;
        let operation = nth_operation(n);
        n += 1;
        let Ok(permit) = room.clone().try_acquire_owned() else {
            shed += 1;
            continue;
        };
        let (target, pools, records) = (target.clone(), pools.clone(), records.clone());
        let scheduled = due.into_std();
        tokio::spawn(async move {
            let result = perform(operation, &target, &pools).await;
            let took = scheduled.elapsed();
            drop(permit);
            if let Ok(mut records) = records.lock()
                && let Some(record) = records.get_mut(&operation)
            {
                match result {
                    Ok(()) => {
                        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
                        record.histogram.saturating_record(micros.max(1));
                    }
                    Err(error) => {
                        record.failed += 1;
                        record
                            .first_failure
                            .get_or_insert_with(|| format!("{error:#}"));
                    }
                }
            }
        });
    }
    // Every permit back means every operation has been answered (or has failed).
    let all = u32::try_from(MAX_IN_FLIGHT)?;
    tokio::time::timeout(DRAIN, room.acquire_many(all))
        .await
        .context("operations still unanswered 30 s after the load ended")??
        .forget();
    let records = std::mem::take(&mut *lock(&records)?);
    Ok((records, shed))
}

/// Samples the child's RSS every [`RSS_EVERY`] while `running` holds (and once more at the
/// end).
/// The machine's load average is read at each sample.
async fn sample_rss(
    child: &ServerChild,
    running: Arc<AtomicBool>,
) -> anyhow::Result<(Vec<u64>, Vec<f64>)> {
    let (mut samples, mut loads) = (vec![child.rss()?], Vec::new());
    loads.extend(load_average());
    let mut next = Instant::now() + RSS_EVERY;
    while running.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if Instant::now() >= next {
            samples.push(child.rss()?);
            loads.extend(load_average());
            next += RSS_EVERY;
        }
    }
    samples.push(child.rss()?);
    loads.extend(load_average());
    Ok((samples, loads))
}

fn results(
    records: BTreeMap<Operation, Record>,
    duration: Duration,
) -> anyhow::Result<Vec<OperationResult>> {
    let mut results = Vec::with_capacity(records.len());
    for (operation, record) in records {
        results.push(OperationResult {
            operation,
            rate: record.histogram.len() as f64 / duration.as_secs_f64(),
            p50: Duration::from_micros(record.histogram.value_at_quantile(0.50)),
            p99: Duration::from_micros(record.histogram.value_at_quantile(0.99)),
            failed: record.failed,
            first_failure: record.first_failure,
        });
    }
    Ok(results)
}

/// The server's `http_requests_total` counters, by route and status class.
async fn responses(target: &Target) -> anyhow::Result<Responses> {
    let response = target
        .http
        .get(target.url("/metrics"))
        .bearer_auth(crate::serve::METRICS_TOKEN)
        .send()
        .await?;
    ensure!(
        response.status() == reqwest::StatusCode::OK,
        "/metrics: {}",
        response.status()
    );
    Ok(parse_requests_total(&response.text().await?))
}

/// Sums the `http_requests_total{route=..,status=..}` lines of a Prometheus text by route and
/// status class.
pub fn parse_requests_total(text: &str) -> Responses {
    let mut totals = Responses::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("http_requests_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let label = |name: &str| {
            let marker = format!("{name}=\"");
            let start = labels.find(&marker)? + marker.len();
            let end = labels[start..].find('"')?;
            Some(labels[start..start + end].to_owned())
        };
        let (Some(route), Some(status)) = (label("route"), label("status")) else {
            continue;
        };
        let class = format!("{}xx", status.chars().next().unwrap_or('?'));
        *totals.entry((route, class)).or_default() += value as u64;
    }
    totals
}

fn difference(after: &Responses, before: &Responses) -> Responses {
    after
        .iter()
        .map(|(key, n)| {
            (
                key.clone(),
                n.saturating_sub(*before.get(key).unwrap_or(&0)),
            )
        })
        .filter(|(key, n)| *n > 0 && key.0 != "/metrics")
        .collect()
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let backend = if self.options.postgres_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let _ = writeln!(
            out,
            "Soak: {:?} of the mix at {:.0} % of capacity ({} of {} ops/s, closed loop, {} connections); {backend}, {}",
            self.options.duration,
            self.options.load * 100.0,
            format_rate(self.offered),
            format_rate(self.capacity),
            self.options.concurrency,
            self.options.algorithm.jose(),
        );
        let _ = writeln!(
            out,
            "\n| operation | share | ops/s | p50 | p99 | failed |\n|---|--:|--:|--:|--:|--:|"
        );
        for result in &self.operations {
            let share = MIX
                .iter()
                .find(|(o, _)| *o == result.operation)
                .map_or(0, |(_, s)| *s);
            let _ = writeln!(
                out,
                "| {} | {share} % | {} | {} | {} | {} |",
                result.operation.label(),
                format_rate(result.rate),
                format_latency(result.p50),
                format_latency(result.p99),
                result.failed,
            );
        }
        for result in &self.operations {
            if let Some(failure) = &result.first_failure {
                let _ = writeln!(
                    out,
                    "first failure of {}: {failure}",
                    result.operation.label()
                );
            }
        }
        let _ = writeln!(
            out,
            "\nServer responses during the load (its http_requests_total):\n\n| route | 2xx | 3xx | 4xx | 5xx |\n|---|--:|--:|--:|--:|"
        );
        let routes: std::collections::BTreeSet<&String> =
            self.responses.keys().map(|(route, _)| route).collect();
        for route in routes {
            let count = |class: &str| {
                self.responses
                    .get(&(route.clone(), class.to_owned()))
                    .copied()
                    .unwrap_or(0)
            };
            let _ = writeln!(
                out,
                "| {route} | {} | {} | {} | {} |",
                count("2xx"),
                count("3xx"),
                count("4xx"),
                count("5xx")
            );
        }
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / MIB);
        if let (Some(first), Some(last)) = (self.rss.first(), self.rss.last()) {
            let min = self.rss.iter().copied().min().unwrap_or(0);
            let max = self.rss.iter().copied().max().unwrap_or(0);
            let _ = writeln!(
                out,
                "\nServer RSS ({} samples, every {}s): first {}, min {}, max {}, last {}",
                self.rss.len(),
                RSS_EVERY.as_secs(),
                mib(*first),
                mib(min),
                mib(max),
                mib(*last)
            );
        }
        if !self.load_averages.is_empty() {
            let n = self.load_averages.len() as f64;
            let mean = self.load_averages.iter().sum::<f64>() / n;
            let max = self.load_averages.iter().copied().fold(0.0, f64::max);
            let _ = writeln!(
                out,
                "Machine load average (1 min) during the load: mean {mean:.1}, max {max:.1}, on {} cores",
                std::thread::available_parallelism().map_or(1, |c| c.get())
            );
        }
        let memory = match self.verdict.memory {
            Memory::Flat {
                first_third,
                last_third,
            } => format!(
                "flat (max {} in the last third, {} in the first)",
                mib(last_third),
                mib(first_third)
            ),
            Memory::Grew {
                first_third,
                last_third,
            } => format!(
                "GREW (max {} in the last third, {} in the first)",
                mib(last_third),
                mib(first_third)
            ),
            Memory::TooFewSamples(n) => format!("not judged ({n} samples)"),
        };
        let _ = writeln!(
            out,
            "\nVerdict: {}. 5xx: {}; failed operations: {}; arrivals shed: {}; memory {memory}.",
            if self.verdict.ok().is_ok() {
                "PASS"
            } else {
                "FAIL"
            },
            self.verdict.server_errors,
            self.verdict.failed,
            self.verdict.shed,
        );
        f.write_str(out.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn each_hundred_arrivals_carry_the_whole_mix() {
        let mut counts = BTreeMap::new();
        for n in 500..600 {
            *counts.entry(nth_operation(n)).or_insert(0) += 1;
        }
        for (operation, share) in MIX {
            assert_eq!(counts.get(&operation), Some(&share), "{operation:?}");
        }
        assert_eq!(MIX.iter().map(|(_, s)| s).sum::<usize>(), 100);
    }

    #[test]
    fn steady_memory_is_flat() {
        let samples = [40, 44, 45, 45, 46, 45, 46, 46, 47].map(|m| m * MIB);
        assert!(matches!(Memory::judge(&samples), Memory::Flat { .. }));
    }

    #[test]
    fn a_few_mib_of_settling_is_allowed_on_a_small_heap() {
        let samples = [10, 10, 10, 13, 13, 13].map(|m| m * MIB);
        assert!(matches!(Memory::judge(&samples), Memory::Flat { .. }));
    }

    #[test]
    fn memory_that_keeps_growing_fails() {
        let samples = [40, 42, 44, 46, 48, 50, 52, 54, 56].map(|m| m * MIB);
        assert_eq!(
            Memory::judge(&samples),
            Memory::Grew {
                first_third: 44 * MIB,
                last_third: 56 * MIB
            }
        );
    }

    #[test]
    fn too_short_a_run_is_not_judged_and_fails() {
        let verdict = Verdict {
            server_errors: 0,
            failed: 0,
            shed: 0,
            memory: Memory::judge(&[MIB, MIB]),
        };
        assert_eq!(verdict.memory, Memory::TooFewSamples(2));
        assert!(verdict.ok().is_err());
    }

    #[test]
    fn any_server_error_fails_the_soak() {
        let flat = Memory::judge(&[MIB, MIB, MIB]);
        let clean = Verdict {
            server_errors: 0,
            failed: 0,
            shed: 0,
            memory: flat.clone(),
        };
        assert!(clean.ok().is_ok());
        let error = Verdict {
            server_errors: 1,
            ..clean.clone()
        }
        .ok()
        .unwrap_err()
        .to_string();
        assert!(error.contains("1 responses were 5xx"), "{error}");
        assert!(
            Verdict {
                failed: 2,
                ..clean.clone()
            }
            .ok()
            .is_err()
        );
        assert!(Verdict { shed: 1, ..clean }.ok().is_err());
    }

    #[test]
    fn responses_are_counted_by_route_and_status_class() {
        let text = "# TYPE http_requests_total counter\n\
            http_requests_total{method=\"POST\",route=\"/token\",status=\"200\"} 120\n\
            http_requests_total{method=\"POST\",route=\"/token\",status=\"201\"} 3\n\
            http_requests_total{method=\"POST\",route=\"/token\",status=\"503\"} 2\n\
            http_requests_total{method=\"GET\",route=\"/jwks.json\",status=\"200\"} 7\n\
            http_request_duration_seconds_count{route=\"/token\"} 125\n";
        let totals = parse_requests_total(text);
        assert_eq!(totals[&("/token".into(), "2xx".into())], 123);
        assert_eq!(totals[&("/token".into(), "5xx".into())], 2);
        assert_eq!(totals[&("/jwks.json".into(), "2xx".into())], 7);
        assert_eq!(totals.len(), 3);
    }
}
