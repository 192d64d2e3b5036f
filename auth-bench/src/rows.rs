//! What each row runs. Every server row gets a fresh child (so its peak RSS is that row's), and
//! the ceilings a selected row is compared with run first, once. With `--compare`, the rows
//! that compare run again on the other provider after the whole table.

use crate::ceiling;
use crate::child::{Database, Seeding, ServerChild};
use crate::cli::{Args, Compare, RowName};
use crate::flows::{Implementation, Target, http_client};
use crate::lean::{self, Expect, Prepared};
use crate::load::{Measured, Recorder, drive, drive_threads};
use crate::node;
use crate::report::{Comparison, RSS_TARGET, Ratio, RowResult, Sample, Target as Goal};
use crate::serve::Seed;
use anyhow::Context;
use clap::ValueEnum;
use std::future::Future;
use std::sync::Arc;
use std::task::{self, Poll, Waker};
use std::time::Duration;

/// Client-credentials connections of the issuance-under-login row: a steady, unsaturated load
/// whose p99 is latency rather than queueing.
const PROBE_CONNECTIONS: usize = 8;

/// Restarts timed by the start-up row, and first starts on new databases (each generates a
/// signing key, whose time is random for RSA, so one sample says little).
const RESTARTS: usize = 5;

/// What a run measured: the table, and the rows run on the other provider with `--compare`.
pub struct Report {
    pub rows: Vec<RowResult>,
    pub comparisons: Vec<Comparison>,
    /// The other provider's name and versions, when compared.
    pub compared_with: Option<String>,
}

/// Runs the selected rows in table order, then, with `--compare`, the selected rows that
/// compare on the other provider.
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let mut bench = Bench {
        args,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        results: Vec::new(),
        ours: Vec::new(),
        sign: None,
        verify: None,
        trivial: None,
    };
    // `RowName` declares the rows in table order.
    for &row in RowName::value_variants() {
        if args.selected(row) {
            bench
                .row(row)
                .await
                .with_context(|| format!("row `{row:?}`"))?;
        }
    }
    let mut report = Report {
        rows: std::mem::take(&mut bench.results),
        comparisons: Vec::new(),
        compared_with: None,
    };
    let Some(Compare::NodeOidcProvider) = args.compare else {
        return Ok(report);
    };
    node::install().await?;
    report.compared_with = Some(node::versions().await?);
    for (row, label, load, ours) in std::mem::take(&mut bench.ours) {
        let other = bench
            .measure(row, Implementation::NodeOidcProvider)
            .await
            .with_context(|| format!("row `{row:?}` on node-oidc-provider"))?;
        report.comparisons.push(Comparison {
            label,
            load,
            ours,
            other,
        });
    }
    Ok(report)
}

struct Bench<'a> {
    args: &'a Args,
    cores: usize,
    results: Vec<RowResult>,
    /// Our samples of the rows that compare: row, label, load, sample.
    ours: Vec<(RowName, String, String, Sample)>,
    sign: Option<f64>,
    verify: Option<f64>,
    trivial: Option<f64>,
}

/// A seeded server child, with its database when it is ours.
struct Running {
    child: ServerChild,
    database: Option<Database>,
    target: Target,
}

impl Running {
    /// Stops the child; returns its peak RSS.
    async fn stop(self) -> anyhow::Result<u64> {
        let rss = self.child.peak_rss()?;
        self.child.stop().await?;
        if let Some(database) = self.database {
            database.remove().await?;
        }
        Ok(rss)
    }
}

/// What a client_credentials variant row adds to each request.
#[derive(Debug, Clone, Copy)]
enum Variant {
    /// A DPoP proof.
    Dpop,
    /// private_key_jwt instead of the secret.
    KeyJwt,
}

/// The documents the GET rows fetch.
#[derive(Debug, Clone, Copy)]
enum Document {
    Jwks,
    Discovery,
}

/// What a row sends, in turn, to a server seeded with the clients.
#[derive(Debug, Clone, Copy)]
enum Requests {
    /// Introspection of this many live tokens, each introspected in turn.
    Introspection { tokens: usize },
    /// GET of a document.
    Get(Document),
}

impl Bench<'_> {
    async fn row(&mut self, row: RowName) -> anyhow::Result<()> {
        match row {
            RowName::RawSign => self.raw_sign().await,
            RowName::RawVerify => self.raw_verify().await,
            RowName::RawHash => self.raw_hash().await.map(drop),
            RowName::Trivial => self.trivial().await,
            RowName::ClientCredentials => self.client_credentials().await,
            RowName::ClientCredentialsDpop => self.client_credentials_variant(Variant::Dpop).await,
            RowName::ClientCredentialsKeyJwt => {
                self.client_credentials_variant(Variant::KeyJwt).await
            }
            RowName::Introspection => self.introspection().await,
            RowName::IntrospectionUncached => self.introspection_uncached().await,
            RowName::Jwks => self.get("JWKS", Document::Jwks).await,
            RowName::Discovery => self.get("discovery", Document::Discovery).await,
            RowName::Refresh => self.refresh().await,
            RowName::CodeFlow => self.code_flow().await,
            RowName::Verify => self.verify().await,
            RowName::IssuanceUnderLogin => self.issuance_under_login().await,
            RowName::Startup => self.startup().await,
            RowName::Rss => self.rss().await,
            RowName::RefreshDuringPurge => self.refresh_during_purge().await,
            RowName::ConsoleSearch => {
                let rows = crate::console::rows(self.args).await?;
                self.results.extend(rows);
                Ok(())
            }
            RowName::Dataset => {
                let rows = crate::scale::rows(self.args).await?;
                self.results.extend(rows);
                Ok(())
            }
        }
    }

    fn algorithm(&self) -> &'static str {
        self.args.algorithm.jose()
    }

    async fn raw_sign(&mut self) -> anyhow::Result<()> {
        self.sign = Some(self.raw(Raw::Sign).await?);
        Ok(())
    }

    async fn raw_verify(&mut self) -> anyhow::Result<()> {
        self.verify = Some(self.raw(Raw::Verify).await?);
        Ok(())
    }

    /// Measures the raw signature operation `raw` on every core and adds its row; returns the rate.
    async fn raw(&mut self, raw: Raw) -> anyhow::Result<f64> {
        let (algorithm, cores, duration) = (self.args.algorithm, self.cores, self.args.duration);
        let measured = tokio::task::spawn_blocking(move || match raw {
            Raw::Sign => ceiling::sign(algorithm, cores, duration),
            Raw::Verify => ceiling::verify(algorithm, cores, duration),
        })
        .await??;
        let label = format!("raw {} {} (aws-lc-rs)", self.algorithm(), raw.name());
        self.push(
            label,
            format!("{cores} threads"),
            &measured,
            None,
            None,
            None,
        );
        Ok(measured.rate)
    }

    async fn trivial(&mut self) -> anyhow::Result<()> {
        let child = ServerChild::trivial().await?;
        let request = Prepared::get(&format!("{}/", child.base_url), Expect::Ok)?;
        let measured = lean::repeat(
            self.args.load_policy,
            self.args.concurrency,
            self.args.duration,
            request,
        )
        .await?;
        let rss = child.peak_rss()?;
        child.stop().await?;
        self.trivial = Some(measured.rate);
        let load = self.args.concurrency.to_string();
        self.push(
            "trivial axum handler".into(),
            load,
            &measured,
            Some(rss),
            None,
            None,
        );
        Ok(())
    }

    /// The password-hashing ceiling on every core, as its own row; returns the rate.
    async fn raw_hash(&mut self) -> anyhow::Result<f64> {
        let (cores, duration) = (self.cores, self.args.duration);
        let measured =
            tokio::task::spawn_blocking(move || ceiling::hashes(cores, duration)).await??;
        self.push(
            "raw argon2id hash (19 MiB, t = 2)".into(),
            format!("{cores} threads"),
            &measured,
            None,
            None,
            None,
        );
        Ok(measured.rate)
    }

    async fn sign_rate(&mut self) -> anyhow::Result<f64> {
        if self.sign.is_none() {
            self.raw_sign().await?;
        }
        self.sign.context("the signing ceiling")
    }

    async fn verify_rate(&mut self) -> anyhow::Result<f64> {
        if self.verify.is_none() {
            self.raw_verify().await?;
        }
        self.verify.context("the verification ceiling")
    }

    async fn trivial_rate(&mut self) -> anyhow::Result<f64> {
        if self.trivial.is_none() {
            self.trivial().await?;
        }
        self.trivial.context("the trivial handler's rate")
    }

    /// A server with the clients and the user, after one code flow that gave consent (which
    /// the server remembers, so later flows skip it).
    async fn consented_server(
        &self,
        implementation: Implementation,
        connections: usize,
    ) -> anyhow::Result<Running> {
        let server = self
            .server(implementation, Seeding::ClientsAndUser, connections)
            .await?;
        server.target.code_flow().await?;
        Ok(server)
    }

    /// A fresh server child of `implementation`, seeded as asked, with a connection pool of
    /// `connections`.
    async fn server(
        &self,
        implementation: Implementation,
        seeding: Seeding,
        connections: usize,
    ) -> anyhow::Result<Running> {
        let (child, database) = match implementation {
            Implementation::Ours => {
                let database = Database::create(self.args.postgres_url.as_deref()).await?;
                let child = ServerChild::auth(&database, self.args.algorithm, seeding).await?;
                (child, Some(database))
            }
            Implementation::NodeOidcProvider => {
                (ServerChild::node(self.args.algorithm, seeding).await?, None)
            }
        };
        let seed = child
            .seed
            .clone()
            .context("the child printed no credentials")?;
        let http = http_client(connections)?;
        let target = Target::discover(http, child.base_url.clone(), seed, implementation).await?;
        Ok(Running {
            child,
            database,
            target,
        })
    }

    /// Runs a row that compares on `implementation`: what it measured, and the server's peak
    /// RSS.
    async fn measure(
        &self,
        row: RowName,
        implementation: Implementation,
    ) -> anyhow::Result<Sample> {
        let connections = self.args.concurrency;
        let (measured, rss) = match row {
            RowName::ClientCredentials => {
                self.measure_client_credentials(implementation, connections)
                    .await?
            }
            RowName::Introspection => {
                let (measured, _, rss) = self
                    .measure_requests(implementation, Requests::Introspection { tokens: 1 }, false)
                    .await?;
                (measured, rss)
            }
            RowName::Jwks => {
                let (measured, _, rss) = self
                    .measure_requests(implementation, Requests::Get(Document::Jwks), false)
                    .await?;
                (measured, rss)
            }
            RowName::Discovery => {
                let (measured, _, rss) = self
                    .measure_requests(implementation, Requests::Get(Document::Discovery), false)
                    .await?;
                (measured, rss)
            }
            RowName::Refresh => self.measure_refresh(implementation).await?,
            RowName::CodeFlow => self.measure_code_flow(implementation).await?,
            RowName::Rss => {
                self.measure_client_credentials(implementation, self.args.rss_concurrency)
                    .await?
            }
            _ => anyhow::bail!("row `{row:?}` does not compare"),
        };
        Ok(sample(&measured, rss))
    }

    /// With `--compare`, keeps our sample of a row that compares, under the label and load of
    /// the table's last line (the row's).
    fn keep(&mut self, row: RowName, measured: &Measured, rss: u64) {
        let Some(line) = self.results.last() else {
            return;
        };
        if self.args.compare.is_some() {
            let (label, load) = (line.label.clone(), line.load.clone());
            self.ours.push((row, label, load, sample(measured, rss)));
        }
    }

    async fn measure_client_credentials(
        &self,
        implementation: Implementation,
        connections: usize,
    ) -> anyhow::Result<(Measured, u64)> {
        let server = self
            .server(implementation, Seeding::Clients, connections)
            .await?;
        let request = client_credentials_request(&server.target)?;
        let measured = lean::repeat(
            self.args.load_policy,
            connections,
            self.args.duration,
            request,
        )
        .await?;
        Ok((measured, server.stop().await?))
    }

    /// Sends `requests` to a server of `implementation`. With `with_trivial`, measured in turns
    /// with the trivial handler, whose rate comes second.
    async fn measure_requests(
        &self,
        implementation: Implementation,
        requests: Requests,
        with_trivial: bool,
    ) -> anyhow::Result<(Measured, Option<f64>, u64)> {
        let server = self
            .server(implementation, Seeding::Clients, self.args.concurrency)
            .await?;
        let pool = match requests {
            Requests::Introspection { tokens } => {
                self.introspections(implementation, &server.target, tokens)
                    .await?
            }
            Requests::Get(document) => {
                let url = match document {
                    Document::Jwks => server.target.endpoints.jwks.clone(),
                    Document::Discovery => server.target.url(crate::flows::DISCOVERY),
                };
                vec![Prepared::get(&url, Expect::Ok)?]
            }
        };
        let (measured, ceiling) = self.load(pool, with_trivial).await?;
        Ok((measured, ceiling, server.stop().await?))
    }

    /// Introspections of `tokens` live tokens, issued by `target` first.
    async fn introspections(
        &self,
        implementation: Implementation,
        target: &Target,
        tokens: usize,
    ) -> anyhow::Result<Vec<Prepared>> {
        let mut pool = Vec::with_capacity(tokens);
        let mut issued = tokio::task::JoinSet::new();
        for _ in 0..tokens {
            let target = target.clone();
            issued.spawn(async move {
                match implementation {
                    Implementation::Ours => target.client_credentials().await,
                    Implementation::NodeOidcProvider => {
                        target
                            .client_credentials_for(Some(node::OPAQUE_RESOURCE))
                            .await
                    }
                }
            });
            // A bounded number of issuing requests in flight.
            if issued.len() >= self.args.concurrency {
                pool.push(issued.join_next().await.context("an issuing task")???);
            }
        }
        for token in issued.join_all().await {
            pool.push(token?);
        }
        anyhow::ensure!(
            pool.iter().collect::<std::collections::HashSet<_>>().len() == tokens,
            "the server issued the same token twice"
        );
        pool.iter()
            .map(|token| {
                Prepared::form_post(
                    &target.endpoints.introspection,
                    (Seed::API, &target.seed.api_secret),
                    &[("token", token)],
                    Expect::Active,
                )
            })
            .collect()
    }

    /// Sends `pool` in turn for the row's duration; with `with_trivial`, in turns with the
    /// trivial handler (a child of its own), so a ratio compares rates measured on the machine
    /// as it was during the row.
    async fn load(
        &self,
        pool: Vec<Prepared>,
        with_trivial: bool,
    ) -> anyhow::Result<(Measured, Option<f64>)> {
        let (policy, connections) = (self.args.load_policy, self.args.concurrency);
        if !with_trivial {
            let measured = lean::cycle(policy, connections, self.args.duration, pool).await?;
            return Ok((measured, None));
        }
        let trivial = ServerChild::trivial().await?;
        let request = Prepared::get(&format!("{}/", trivial.base_url), Expect::Ok)?;
        let (measured, ceiling) = paired(
            HTTP_TURNS,
            self.args.duration,
            |slice| lean::cycle(policy, connections, slice, pool.clone()),
            |slice| lean::repeat(policy, connections, slice, request.clone()),
        )
        .await?;
        trivial.stop().await?;
        Ok((measured, Some(ceiling)))
    }

    async fn measure_refresh(
        &self,
        implementation: Implementation,
    ) -> anyhow::Result<(Measured, u64)> {
        let server = self
            .consented_server(implementation, self.args.concurrency)
            .await?;
        let measured = self.refreshes(&server.target, self.args.duration).await?;
        Ok((measured, server.stop().await?))
    }

    /// One refresh chain per connection (a code flow each), then each chain refreshed one
    /// token after another for `duration`.
    async fn refreshes(&self, target: &Target, duration: Duration) -> anyhow::Result<Measured> {
        let chains = self.refresh_chains(target).await?;
        rotate(target, chains, duration).await
    }

    /// One refresh token per connection, each from a code flow.
    async fn refresh_chains(&self, target: &Target) -> anyhow::Result<Vec<String>> {
        let mut flows = tokio::task::JoinSet::new();
        for _ in 0..self.args.concurrency {
            let target = target.clone();
            flows.spawn(async move { target.code_flow().await });
        }
        let mut chains = Vec::with_capacity(self.args.concurrency);
        while let Some(tokens) = flows.join_next().await {
            chains.push(tokens??.refresh_token.context("no refresh token")?);
        }
        Ok(chains)
    }

    /// Refresh rotation while the store purges `--purge-rows` expired rows (written before into
    /// the server's database), against the same refreshes just before without a purge: the
    /// purge goes in bounded batches, so the writes of the rotations never wait long for it.
    async fn refresh_during_purge(&mut self) -> anyhow::Result<()> {
        let server = self
            .consented_server(Implementation::Ours, self.args.concurrency)
            .await?;
        let url = server
            .database
            .as_ref()
            .context("our server runs on a database of the benchmark")?
            .url
            .clone();
        let duration = self.args.duration;
        let idle = self.refreshes(&server.target, duration).await?;
        let rows = self.args.purge_rows;
        let seeded = crate::dataset::seed_expired(&url, rows).await?;
        // The chains first (each a sign-in): the purge starts with the measured load.
        let chains = self.refresh_chains(&server.target).await?;
        let store = auth_core::store::sql::SqlStore::connect(
            &url,
            &auth_core::store::sql::PoolSettings::default(),
        )
        .await?;
        let purge = tokio::spawn(async move {
            use auth_core::clock::Clock as _;
            use auth_core::store::TokenStore as _;
            let started = std::time::Instant::now();
            let purged = store
                .purge_expired(auth_core::clock::SystemClock.unix())
                .await;
            (purged, started.elapsed())
        });
        let during = rotate(&server.target, chains, duration).await?;
        let purge_running = !purge.is_finished();
        let (purged, took) = purge.await?;
        let purged = purged?;
        let rss = server.stop().await?;
        let mut row = against_idle(
            "refresh rotation during a purge",
            self.args.concurrency.to_string(),
            &during,
            (&idle, "no purge"),
            1.5,
        );
        row.peak_rss = Some(rss);
        row.note = format!(
            "{}purged {} rows (written in {:.1} s) in {:.1} s{}",
            row.note,
            crate::report::format_count(purged),
            seeded.as_secs_f64(),
            took.as_secs_f64(),
            if purge_running {
                ", still purging when the row ended"
            } else {
                ""
            },
        );
        self.results.push(row);
        Ok(())
    }

    async fn measure_code_flow(
        &self,
        implementation: Implementation,
    ) -> anyhow::Result<(Measured, u64)> {
        let server = self
            .consented_server(implementation, self.args.concurrency)
            .await?;
        let measured = repeat(
            self.args.concurrency,
            self.args.duration,
            server.target.clone(),
            |t| async move { t.code_flow().await },
        )
        .await?;
        Ok((measured, server.stop().await?))
    }

    /// Measured in turns with the raw signing ceiling ([`paired`]); the ratio is to the
    /// signing rate of those turns.
    async fn client_credentials(&mut self) -> anyhow::Result<()> {
        self.sign_rate().await?;
        let connections = self.args.concurrency;
        let server = self
            .server(Implementation::Ours, Seeding::Clients, connections)
            .await?;
        let request = client_credentials_request(&server.target)?;
        let (policy, cores) = (self.args.load_policy, self.cores);
        let signing = Arc::new(ceiling::Signing::new(self.args.algorithm)?);
        let (measured, ceiling) = paired(
            CRYPTO_TURNS,
            self.args.duration,
            |slice| lean::repeat(policy, connections, slice, request.clone()),
            |slice| {
                let signing = signing.clone();
                async move { tokio::task::spawn_blocking(move || signing.run(cores, slice)).await? }
            },
        )
        .await?;
        let rss = server.stop().await?;
        let row = result(
            "client_credentials token".into(),
            connections.to_string(),
            &measured,
        );
        let ceiling = (ceiling, "raw sign", "raw sign");
        self.push_against_ceiling(row, &measured, Some(rss), ceiling, 0.8);
        self.keep(RowName::ClientCredentials, &measured, rss);
        Ok(())
    }

    /// A client_credentials variant whose every request is new (a proof or an assertion with
    /// its own `jti`), measured with the same HTTP client as the plain requests it is compared
    /// with, right after them on the same server (half the duration each): the ratio is what
    /// the mechanism costs.
    async fn client_credentials_variant(&mut self, variant: Variant) -> anyhow::Result<()> {
        use base64::Engine;
        let connections = self.args.concurrency;
        let server = self
            .server(Implementation::Ours, Seeding::Clients, connections)
            .await?;
        let key = Arc::new(match variant {
            Variant::Dpop => {
                auth_jose::KeyMaterial::generate(auth_jose::SigningAlgorithm::Es256, 0)?.0
            }
            Variant::KeyJwt => {
                let pkcs8 = base64::engine::general_purpose::STANDARD
                    .decode(&server.target.seed.keyed_pkcs8)
                    .context("the seeded key of bench-keyed")?;
                auth_jose::KeyMaterial::from_pkcs8(auth_jose::SigningAlgorithm::Es256, &pkcs8)?
            }
        });
        let half = self.args.duration / 2;
        let plain = repeat(connections, half, server.target.clone(), |t| async move {
            t.client_credentials().await
        })
        .await?;
        let plain_rate = plain.rate;
        let measured = repeat(connections, half, server.target.clone(), move |t| {
            let key = key.clone();
            async move {
                match variant {
                    Variant::Dpop => t.client_credentials_dpop(&key).await,
                    Variant::KeyJwt => t.client_credentials_key_jwt(&key).await,
                }
            }
        })
        .await?;
        let rss = server.stop().await?;
        let label = match variant {
            Variant::Dpop => "client_credentials, DPoP-bound (ES256 proof)",
            Variant::KeyJwt => "client_credentials, private_key_jwt (ES256)",
        };
        let ratio = of(&measured, plain_rate, "plain client_credentials");
        self.push(
            label.into(),
            connections.to_string(),
            &measured,
            Some(rss),
            ratio,
            None,
        );
        if let Some(row) = self.results.last_mut() {
            let plain = format!(
                "plain client_credentials just before, same HTTP client: {}/s",
                crate::report::format_rate(plain_rate)
            );
            row.note = if row.note.is_empty() {
                plain
            } else {
                format!("{plain}; {}", row.note)
            };
        }
        Ok(())
    }

    async fn introspection(&mut self) -> anyhow::Result<()> {
        self.trivial_rate().await?;
        // One token per connection: each is introspected again and again, as a resource
        // server does with the token of its caller.
        let tokens = self.args.concurrency;
        let (measured, ceiling, rss) = self
            .measure_requests(
                Implementation::Ours,
                Requests::Introspection { tokens },
                true,
            )
            .await?;
        let label = format!("introspection ({tokens} live tokens)");
        let goal = Some(Goal::AtLeastOfCeiling(0.3));
        self.push_against_trivial(label, &measured, ceiling, rss, goal)?;
        self.keep(RowName::Introspection, &measured, rss);
        Ok(())
    }

    /// Introspection of more tokens than the server keeps checked signatures for, in an order
    /// that comes back to a token only after its check was forgotten: every answer verifies
    /// a signature. No target; it shows what the cache saves.
    async fn introspection_uncached(&mut self) -> anyhow::Result<()> {
        self.trivial_rate().await?;
        let tokens = 3 * auth_core::tokens::verified::GENERATION;
        let (measured, ceiling, rss) = self
            .measure_requests(
                Implementation::Ours,
                Requests::Introspection { tokens },
                true,
            )
            .await?;
        let label = format!("introspection ({tokens} tokens, uncached)");
        self.push_against_trivial(label, &measured, ceiling, rss, None)
    }

    /// Adds `row`, measured in turns with a raw-crypto ceiling ([`paired`]): `rate` the
    /// ceiling's rate then, named `name` in the ratio and `shown` in the note; the target is
    /// `fraction` of the ceiling.
    fn push_against_ceiling(
        &mut self,
        mut row: RowResult,
        measured: &Measured,
        peak_rss: Option<u64>,
        (rate, name, shown): (f64, &'static str, &str),
        fraction: f64,
    ) {
        row.peak_rss = peak_rss;
        row.ratio = of(measured, rate, name);
        row.target = Some(Goal::AtLeastOfCeiling(fraction));
        row.note = alongside(&row.note, shown, rate);
        self.results.push(row);
    }

    /// Adds a row measured in turns with the trivial handler (`ceiling`, its rate then): the
    /// ratio to it, and its rate in the note.
    fn push_against_trivial(
        &mut self,
        label: String,
        measured: &Measured,
        ceiling: Option<f64>,
        rss: u64,
        goal: Option<Goal>,
    ) -> anyhow::Result<()> {
        let ceiling = ceiling.context("the trivial handler's rate")?;
        let load = self.args.concurrency.to_string();
        let ratio = of(measured, ceiling, "trivial");
        self.push(label, load, measured, Some(rss), ratio, goal);
        if let Some(row) = self.results.last_mut() {
            row.note = alongside(&row.note, "trivial", ceiling);
        }
        Ok(())
    }

    async fn get(&mut self, label: &str, document: Document) -> anyhow::Result<()> {
        self.trivial_rate().await?;
        let (measured, ceiling, rss) = self
            .measure_requests(Implementation::Ours, Requests::Get(document), true)
            .await?;
        let goal = Some(Goal::AtLeastOfCeiling(0.3));
        self.push_against_trivial(label.into(), &measured, ceiling, rss, goal)?;
        let row = match document {
            Document::Jwks => RowName::Jwks,
            Document::Discovery => RowName::Discovery,
        };
        self.keep(row, &measured, rss);
        Ok(())
    }

    async fn refresh(&mut self) -> anyhow::Result<()> {
        let ceiling = self.sign_rate().await?;
        let (measured, rss) = self.measure_refresh(Implementation::Ours).await?;
        let ratio = of(&measured, ceiling, "raw sign");
        let load = self.args.concurrency.to_string();
        self.push(
            "refresh_token rotation".into(),
            load,
            &measured,
            Some(rss),
            ratio,
            None,
        );
        self.keep(RowName::Refresh, &measured, rss);
        Ok(())
    }

    /// Measured in turns with the raw password-hashing ceiling ([`paired`]): each flow signs in
    /// with a password, so no flow rate can beat the hash rate; the ratio is to the hash rate of
    /// those turns.
    async fn code_flow(&mut self) -> anyhow::Result<()> {
        let server = self
            .consented_server(Implementation::Ours, self.args.concurrency)
            .await?;
        let (concurrency, cores) = (self.args.concurrency, self.cores);
        let target = server.target.clone();
        let (measured, ceiling) = paired(
            HTTP_TURNS,
            self.args.duration,
            |slice| {
                repeat(concurrency, slice, target.clone(), |t| async move {
                    t.code_flow().await
                })
            },
            |slice| async move {
                tokio::task::spawn_blocking(move || ceiling::hashes(cores, slice)).await?
            },
        )
        .await?;
        let rss = server.stop().await?;
        let mut row = result(
            "authorization-code flow (login: argon2id)".into(),
            concurrency.to_string(),
            &measured,
        );
        row.note = format!("flows/s; {}", row.note)
            .trim_end_matches("; ")
            .to_owned();
        let ceiling = (ceiling, "raw hash", "raw argon2id");
        self.push_against_ceiling(row, &measured, Some(rss), ceiling, 0.85);
        self.keep(RowName::CodeFlow, &measured, rss);
        Ok(())
    }

    /// Measured in turns with the raw verification ceiling ([`paired`]).
    async fn verify(&mut self) -> anyhow::Result<()> {
        self.verify_rate().await?;
        let server = self
            .server(Implementation::Ours, Seeding::Clients, 1)
            .await?;
        let token: Arc<str> = server.target.client_credentials().await?.into();
        let issuer = server.target.base_url.clone();
        let verifier = Arc::new(auth_client::Verifier::new(issuer.clone(), issuer).await?);
        let cores = self.cores;
        let verifying = Arc::new(ceiling::Verifying::new(self.args.algorithm)?);
        let (measured, ceiling) =
            paired(
                CRYPTO_TURNS,
                self.args.duration,
                |slice| {
                    let (verifier, token) = (verifier.clone(), token.clone());
                    // On plain threads, as the ceiling: a service's own runtime is not part of
                    // verifying. The key is cached by now, so each call completes when first
                    // polled; one that would wait counts as a failure.
                    async move {
                        tokio::task::spawn_blocking(move || {
                            drive_threads(cores, slice, || {
                                let verifying = std::pin::pin!(verifier.verify(&token));
                                let mut context = task::Context::from_waker(Waker::noop());
                                match verifying.poll(&mut context) {
                                    Poll::Ready(claims) => {
                                        claims.map(drop).map_err(|e| e.to_string())
                                    }
                                    Poll::Pending => Err("verifying waited for the key set".into()),
                                }
                            })
                        })
                        .await?
                    }
                },
                |slice| {
                    let verifying = verifying.clone();
                    async move {
                        tokio::task::spawn_blocking(move || verifying.run(cores, slice)).await?
                    }
                },
            )
            .await?;
        server.stop().await?;
        let row = result(
            "auth-client verify (in process)".into(),
            format!("{cores} threads"),
            &measured,
        );
        let ceiling = (ceiling, "raw verify", "raw verify");
        self.push_against_ceiling(row, &measured, None, ceiling, 0.9);
        Ok(())
    }

    async fn issuance_under_login(&mut self) -> anyhow::Result<()> {
        let logins = self.args.concurrency;
        let connections = PROBE_CONNECTIONS + logins;
        let server = self
            .consented_server(Implementation::Ours, connections)
            .await?;
        let duration = self.args.duration;
        let issue = |t: Target| async move { t.client_credentials().await };
        let idle = repeat(PROBE_CONNECTIONS, duration, server.target.clone(), issue).await?;
        let (loaded, flows) = tokio::join!(
            repeat(PROBE_CONNECTIONS, duration, server.target.clone(), issue),
            repeat(logins, duration, server.target.clone(), |t| async move {
                t.code_flow().await
            }),
        );
        let (loaded, flows) = (loaded?, flows?);
        let rss = server.stop().await?;
        let mut row = against_idle(
            "client_credentials p99 during logins",
            format!("{PROBE_CONNECTIONS} + {logins} logins"),
            &loaded,
            (&idle, "idle"),
            3.0,
        );
        row.peak_rss = Some(rss);
        row.note = format!(
            "{}{} logins/s alongside",
            row.note,
            crate::report::format_rate(flows.rate),
        );
        self.results.push(row);
        Ok(())
    }

    async fn startup(&mut self) -> anyhow::Result<()> {
        let mut fresh = Vec::with_capacity(RESTARTS);
        let (mut fresh_rss, mut restarts, mut rss) = (0, Vec::new(), 0);
        for start in 0..RESTARTS {
            let database = Database::create(self.args.postgres_url.as_deref()).await?;
            let measured = self.start_ups(&database, start == 0).await;
            database.remove().await?;
            let (first, first_rss, again, again_rss) = measured?;
            fresh.push(first);
            fresh_rss = fresh_rss.max(first_rss);
            restarts.extend(again);
            rss = rss.max(again_rss);
        }
        fresh.sort();
        restarts.sort();
        let goal = self
            .args
            .postgres_url
            .is_none()
            .then_some(Goal::StartupBelow(Duration::from_millis(200)));
        self.results.push(RowResult {
            label: "start-up to ready, new database".into(),
            load: "1".into(),
            p50: fresh.get(RESTARTS / 2).copied(),
            p99: fresh.last().copied(),
            peak_rss: Some(fresh_rss),
            target: goal,
            note: format!(
                "{RESTARTS} new databases: migrations and a new {} key; p99 is the slowest",
                self.algorithm()
            ),
            ..RowResult::default()
        });
        self.results.push(RowResult {
            label: "start-up to ready, restart".into(),
            load: "1".into(),
            p50: restarts.get(RESTARTS / 2).copied(),
            p99: restarts.last().copied(),
            peak_rss: Some(rss),
            target: goal,
            note: format!("{RESTARTS} restarts; p99 is the slowest"),
            ..RowResult::default()
        });
        Ok(())
    }

    /// The first start on `database`, then (with `restart`) [`RESTARTS`] restarts: times and
    /// peak RSS.
    async fn start_ups(
        &self,
        database: &Database,
        restart: bool,
    ) -> anyhow::Result<(Duration, u64, Vec<Duration>, u64)> {
        let first = ServerChild::auth(database, self.args.algorithm, Seeding::Nothing).await?;
        let fresh = first.started_in;
        let fresh_rss = first.peak_rss()?;
        first.stop().await?;
        let mut restarts = Vec::with_capacity(RESTARTS);
        let mut rss = 0;
        for _ in 0..if restart { RESTARTS } else { 0 } {
            let child = ServerChild::auth(database, self.args.algorithm, Seeding::Nothing).await?;
            restarts.push(child.started_in);
            rss = rss.max(child.peak_rss()?);
            child.stop().await?;
        }
        Ok((fresh, fresh_rss, restarts, rss))
    }

    async fn rss(&mut self) -> anyhow::Result<()> {
        let connections = self.args.rss_concurrency;
        let (measured, rss) = self
            .measure_client_credentials(Implementation::Ours, connections)
            .await?;
        let mut row = result(
            "peak RSS: client_credentials".into(),
            connections.to_string(),
            &measured,
        );
        row.peak_rss = Some(rss);
        row.target = Some(Goal::PeakRssBelow(RSS_TARGET));
        self.results.push(row);
        self.keep(RowName::Rss, &measured, rss);
        Ok(())
    }

    fn push(
        &mut self,
        label: String,
        load: String,
        measured: &Measured,
        peak_rss: Option<u64>,
        ratio: Option<Ratio>,
        target: Option<Goal>,
    ) {
        let mut row = result(label, load, measured);
        row.peak_rss = peak_rss;
        row.ratio = ratio;
        row.target = target;
        self.results.push(row);
    }
}

/// Each chain refreshed one token after another for `duration`, a connection each.
pub(crate) async fn rotate(
    target: &Target,
    chains: Vec<String>,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let chains = Arc::new(chains);
    let target = target.clone();
    drive(chains.len(), duration, move |i, rec| {
        let target = target.clone();
        let mut token = chains[i].clone();
        async move {
            let mut rec = rec;
            while rec.running() {
                match rec.time(target.refresh(&token)).await {
                    Some(next) => token = next,
                    // A broken chain stays broken (the family is revoked).
                    None => break,
                }
            }
            rec
        }
    })
    .await
}

/// Turns an HTTP row takes with the trivial handler: the row and the ceiling alternate, a
/// slice of the duration each, so a change in the machine's speed during the run (another
/// process, frequency scaling) weighs on both alike.
const HTTP_TURNS: u32 = 4;

/// Turns a row takes with its crypto ceiling: more and shorter, because on this VM the speed
/// of a whole turn drifts by up to a fifth from one second to the next, and a signing or
/// verifying ceiling needs no connections set up per turn.
const CRYPTO_TURNS: u32 = 16;

/// Runs `ours` and `ceiling` in `turns` alternating turns of `duration / turns` each, in the
/// order ours, ceiling, ceiling, ours, ours, ... so that a drift in the machine's speed falls
/// on both alike: what `ours` measured over all its turns (the mean rate, the median p50, the
/// worst p99) and the ceiling's mean rate.
async fn paired<O, OF, C, CF>(
    turns: u32,
    duration: Duration,
    mut ours: O,
    mut ceiling: C,
) -> anyhow::Result<(Measured, f64)>
where
    O: FnMut(Duration) -> OF,
    OF: Future<Output = anyhow::Result<Measured>>,
    C: FnMut(Duration) -> CF,
    CF: Future<Output = anyhow::Result<Measured>>,
{
    let slice = duration / turns;
    let mut measured = Vec::new();
    let mut ceiling_rate = 0.0;
    for turn in 0..turns {
        if turn % 2 == 0 {
            measured.push(ours(slice).await?);
            ceiling_rate += ceiling(slice).await?.rate;
        } else {
            ceiling_rate += ceiling(slice).await?.rate;
            measured.push(ours(slice).await?);
        }
    }
    Ok((combine(measured), ceiling_rate / f64::from(turns)))
}

/// One measurement of equally long turns.
fn combine(mut turns: Vec<Measured>) -> Measured {
    let n = turns.len().max(1) as f64;
    let rate = turns.iter().map(|t| t.rate).sum::<f64>() / n;
    let p99 = turns.iter().map(|t| t.p99).max().unwrap_or_default();
    let errors = turns.iter().map(|t| t.errors).sum();
    let first_error = turns.iter().find_map(|t| t.first_error.clone());
    turns.sort_by_key(|t| t.p50);
    let p50 = turns
        .get(turns.len() / 2)
        .map(|t| t.p50)
        .unwrap_or_default();
    Measured {
        rate,
        p50,
        p99,
        errors,
        first_error,
    }
}

/// A row's note with the rate of the ceiling measured in turns with it.
fn alongside(note: &str, ceiling: &str, rate: f64) -> String {
    let turns = format!(
        "{ceiling} in turns with it: {}/s",
        crate::report::format_rate(rate)
    );
    if note.is_empty() {
        turns
    } else {
        format!("{turns}; {note}")
    }
}

/// The client_credentials request of `bench-service` for its scope `bench:read`.
fn client_credentials_request(target: &Target) -> anyhow::Result<Prepared> {
    Prepared::form_post(
        &target.endpoints.token,
        (Seed::SERVICE, &target.seed.service_secret),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "bench:read"),
        ],
        Expect::Token,
    )
}

/// `workers` tasks each repeating `request` against `target`.
async fn repeat<F, Fut, T>(
    workers: usize,
    duration: Duration,
    target: Target,
    request: F,
) -> anyhow::Result<Measured>
where
    F: Fn(Target) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
    T: Send,
{
    drive(workers, duration, move |_, rec: Recorder| {
        let target = target.clone();
        let request = request.clone();
        async move {
            let mut rec = rec;
            while rec.running() {
                rec.time(request(target.clone())).await;
            }
            rec
        }
    })
    .await
}

fn of(measured: &Measured, ceiling: f64, name: &'static str) -> Option<Ratio> {
    (ceiling > 0.0).then(|| Ratio::OfCeiling {
        fraction: measured.rate / ceiling,
        ceiling: name,
    })
}

/// A row measured under some other work, its p99 against the same requests' `idle` p99, with
/// the target `below` times that. Its note begins with the idle rate and p99, under
/// `idle_name`, and a `; ` for what the caller adds.
fn against_idle(
    label: &str,
    load: String,
    loaded: &Measured,
    (idle, idle_name): (&Measured, &str),
    below: f64,
) -> RowResult {
    let mut row = result(label.to_owned(), load, loaded);
    row.ratio = Some(Ratio::OfIdleP99(
        loaded.p99.as_secs_f64() / idle.p99.as_secs_f64().max(1e-6),
    ));
    row.target = Some(Goal::P99RatioBelow(below));
    row.note = format!(
        "{idle_name}: {} ops/s, p99 {}; ",
        crate::report::format_rate(idle.rate),
        crate::report::format_latency(idle.p99),
    );
    row
}

fn result(label: String, load: String, measured: &Measured) -> RowResult {
    RowResult {
        label,
        load,
        rate: Some(measured.rate),
        p50: Some(measured.p50),
        p99: Some(measured.p99),
        note: failures(measured),
        ..RowResult::default()
    }
}

fn sample(measured: &Measured, peak_rss: u64) -> Sample {
    Sample {
        rate: measured.rate,
        p50: measured.p50,
        p99: measured.p99,
        peak_rss,
        failures: failures(measured),
    }
}

/// `3 failed, first: ...`, or nothing.
fn failures(measured: &Measured) -> String {
    match (&measured.first_error, measured.errors) {
        (Some(error), n) if n > 0 => format!("{n} failed, first: {error}"),
        _ => String::new(),
    }
}

/// The two ceilings measured on raw aws-lc-rs.
#[derive(Clone, Copy)]
enum Raw {
    Sign,
    Verify,
}

impl Raw {
    fn name(self) -> &'static str {
        match self {
            Raw::Sign => "sign",
            Raw::Verify => "verify",
        }
    }
}
