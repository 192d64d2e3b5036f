//! What each row runs. Every server row gets a fresh child (so its peak RSS is that row's), and
//! the ceilings a selected row is compared with run first, once.

use crate::ceiling;
use crate::child::{Database, Seeding, ServerChild};
use crate::cli::{Args, RowName};
use crate::flows::{Target, http_client};
use crate::load::{Measured, Recorder, drive};
use crate::report::{RSS_TARGET, Ratio, RowResult, Target as Goal};
use anyhow::Context;
use auth_server::paths;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Client-credentials connections of the issuance-under-login row: a steady, unsaturated load
/// whose p99 is latency rather than queueing.
const PROBE_CONNECTIONS: usize = 8;

/// Restarts timed by the start-up row.
const RESTARTS: usize = 5;

/// Runs the selected rows in table order.
pub async fn run(args: &Args) -> anyhow::Result<Vec<RowResult>> {
    let mut bench = Bench {
        args,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        results: Vec::new(),
        sign: None,
        verify: None,
        trivial: None,
    };
    use RowName::*;
    for row in [
        RawSign,
        RawVerify,
        Trivial,
        ClientCredentials,
        Introspection,
        Jwks,
        Discovery,
        Refresh,
        CodeFlow,
        Verify,
        IssuanceUnderLogin,
        Startup,
        Rss,
    ] {
        if args.selected(row) {
            bench
                .row(row)
                .await
                .with_context(|| format!("row `{row:?}`"))?;
        }
    }
    Ok(bench.results)
}

struct Bench<'a> {
    args: &'a Args,
    cores: usize,
    results: Vec<RowResult>,
    sign: Option<f64>,
    verify: Option<f64>,
    trivial: Option<f64>,
}

/// A seeded server child with its database.
struct Running {
    child: ServerChild,
    database: Database,
    target: Target,
}

impl Running {
    /// Stops the child; returns its peak RSS.
    async fn stop(self) -> anyhow::Result<u64> {
        let rss = self.child.peak_rss()?;
        self.child.stop().await?;
        self.database.remove().await?;
        Ok(rss)
    }
}

impl Bench<'_> {
    async fn row(&mut self, row: RowName) -> anyhow::Result<()> {
        match row {
            RowName::RawSign => self.raw_sign().await,
            RowName::RawVerify => self.raw_verify().await,
            RowName::Trivial => self.trivial().await,
            RowName::ClientCredentials => self.client_credentials().await,
            RowName::Introspection => self.introspection().await,
            RowName::Jwks => self.get("JWKS", paths::JWKS).await,
            RowName::Discovery => self.get("discovery", paths::OPENID_CONFIGURATION).await,
            RowName::Refresh => self.refresh().await,
            RowName::CodeFlow => self.code_flow().await,
            RowName::Verify => self.verify().await,
            RowName::IssuanceUnderLogin => self.issuance_under_login().await,
            RowName::Startup => self.startup().await,
            RowName::Rss => self.rss().await,
        }
    }

    fn algorithm(&self) -> &'static str {
        self.args.algorithm.jose()
    }

    async fn raw_sign(&mut self) -> anyhow::Result<()> {
        let (algorithm, cores, duration) = (self.args.algorithm, self.cores, self.args.duration);
        let measured =
            tokio::task::spawn_blocking(move || ceiling::sign(algorithm, cores, duration))
                .await??;
        self.sign = Some(measured.rate);
        let label = format!("raw {} sign (aws-lc-rs)", self.algorithm());
        self.push(
            label,
            format!("{cores} threads"),
            &measured,
            None,
            None,
            None,
        );
        Ok(())
    }

    async fn raw_verify(&mut self) -> anyhow::Result<()> {
        let (algorithm, cores, duration) = (self.args.algorithm, self.cores, self.args.duration);
        let measured =
            tokio::task::spawn_blocking(move || ceiling::verify(algorithm, cores, duration))
                .await??;
        self.verify = Some(measured.rate);
        let label = format!("raw {} verify (aws-lc-rs)", self.algorithm());
        self.push(
            label,
            format!("{cores} threads"),
            &measured,
            None,
            None,
            None,
        );
        Ok(())
    }

    async fn trivial(&mut self) -> anyhow::Result<()> {
        let child = ServerChild::trivial().await?;
        let target = Target {
            http: http_client(self.args.concurrency)?,
            base_url: child.base_url.clone(),
            seed: crate::serve::Seed::default(),
        };
        let measured = repeat(
            self.args.concurrency,
            self.args.duration,
            target,
            |t| async move { t.get("/").await },
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

    async fn server(&self, seeding: Seeding, connections: usize) -> anyhow::Result<Running> {
        let database = Database::create(self.args.postgres_url.as_deref()).await?;
        let child = ServerChild::auth(&database, self.args.algorithm, seeding).await?;
        let target = Target {
            http: http_client(connections)?,
            base_url: child.base_url.clone(),
            seed: child
                .seed
                .clone()
                .context("the child printed no credentials")?,
        };
        Ok(Running {
            child,
            database,
            target,
        })
    }

    async fn client_credentials(&mut self) -> anyhow::Result<()> {
        let ceiling = self.sign_rate().await?;
        let server = self.server(Seeding::Clients, self.args.concurrency).await?;
        let measured = repeat(
            self.args.concurrency,
            self.args.duration,
            server.target.clone(),
            |t| async move { t.client_credentials().await },
        )
        .await?;
        let rss = server.stop().await?;
        let label = "client_credentials token".into();
        let ratio = of(&measured, ceiling, "raw sign");
        let load = self.args.concurrency.to_string();
        let goal = Some(Goal::AtLeastOfCeiling(0.8));
        self.push(label, load, &measured, Some(rss), ratio, goal);
        Ok(())
    }

    async fn introspection(&mut self) -> anyhow::Result<()> {
        let ceiling = self.trivial_rate().await?;
        let server = self.server(Seeding::Clients, self.args.concurrency).await?;
        let token: Arc<str> = server.target.client_credentials().await?.into();
        let measured = repeat(
            self.args.concurrency,
            self.args.duration,
            server.target.clone(),
            move |t| {
                let token = token.clone();
                async move { t.introspect(&token).await }
            },
        )
        .await?;
        let rss = server.stop().await?;
        let ratio = of(&measured, ceiling, "trivial");
        let load = self.args.concurrency.to_string();
        let goal = Some(Goal::AtLeastOfCeiling(0.3));
        self.push(
            "introspection (live token)".into(),
            load,
            &measured,
            Some(rss),
            ratio,
            goal,
        );
        Ok(())
    }

    async fn get(&mut self, label: &str, path: &'static str) -> anyhow::Result<()> {
        let ceiling = self.trivial_rate().await?;
        let server = self.server(Seeding::Clients, self.args.concurrency).await?;
        let measured = repeat(
            self.args.concurrency,
            self.args.duration,
            server.target.clone(),
            move |t| async move { t.get(path).await },
        )
        .await?;
        let rss = server.stop().await?;
        let ratio = of(&measured, ceiling, "trivial");
        let load = self.args.concurrency.to_string();
        let goal = Some(Goal::AtLeastOfCeiling(0.3));
        self.push(label.into(), load, &measured, Some(rss), ratio, goal);
        Ok(())
    }

    async fn refresh(&mut self) -> anyhow::Result<()> {
        let ceiling = self.sign_rate().await?;
        let server = self
            .server(Seeding::ClientsAndUser, self.args.concurrency)
            .await?;
        // One flow gives consent; then one refresh chain per connection.
        server.target.code_flow().await?;
        let mut flows = tokio::task::JoinSet::new();
        for _ in 0..self.args.concurrency {
            let target = server.target.clone();
            flows.spawn(async move { target.code_flow().await });
        }
        let mut chains = Vec::with_capacity(self.args.concurrency);
        while let Some(tokens) = flows.join_next().await {
            chains.push(tokens??.refresh_token.context("no refresh token")?);
        }
        let chains = Arc::new(chains);
        let target = server.target.clone();
        let measured = drive(self.args.concurrency, self.args.duration, move |i, rec| {
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
        .await?;
        let rss = server.stop().await?;
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
        Ok(())
    }

    async fn code_flow(&mut self) -> anyhow::Result<()> {
        let server = self
            .server(Seeding::ClientsAndUser, self.args.concurrency)
            .await?;
        server.target.code_flow().await?;
        let measured = repeat(
            self.args.concurrency,
            self.args.duration,
            server.target.clone(),
            |t| async move { t.code_flow().await },
        )
        .await?;
        let rss = server.stop().await?;
        let mut row = result(
            "authorization-code flow (login: argon2id)".into(),
            self.args.concurrency.to_string(),
            &measured,
        );
        row.peak_rss = Some(rss);
        row.note = format!("flows/s; {}", row.note)
            .trim_end_matches("; ")
            .into();
        self.results.push(row);
        Ok(())
    }

    async fn verify(&mut self) -> anyhow::Result<()> {
        let ceiling = self.verify_rate().await?;
        let server = self.server(Seeding::Clients, 1).await?;
        let token: Arc<str> = server.target.client_credentials().await?.into();
        let issuer = server.target.base_url.clone();
        let verifier = Arc::new(auth_client::Verifier::new(issuer.clone(), issuer).await?);
        let measured = drive(self.cores, self.args.duration, move |_, rec| {
            let verifier = verifier.clone();
            let token = token.clone();
            async move {
                let mut rec = rec;
                while rec.running() {
                    rec.time(verifier.verify(&token)).await;
                }
                rec
            }
        })
        .await?;
        server.stop().await?;
        let ratio = of(&measured, ceiling, "raw verify");
        let load = format!("{} tasks", self.cores);
        let goal = Some(Goal::AtLeastOfCeiling(0.9));
        self.push(
            "auth-client verify (in process)".into(),
            load,
            &measured,
            None,
            ratio,
            goal,
        );
        Ok(())
    }

    async fn issuance_under_login(&mut self) -> anyhow::Result<()> {
        let logins = self.args.concurrency;
        let server = self
            .server(Seeding::ClientsAndUser, PROBE_CONNECTIONS + logins)
            .await?;
        server.target.code_flow().await?;
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
        let mut row = result(
            "client_credentials p99 during logins".into(),
            format!("{PROBE_CONNECTIONS} + {logins} logins"),
            &loaded,
        );
        row.peak_rss = Some(rss);
        row.ratio = Some(Ratio::OfIdleP99(
            loaded.p99.as_secs_f64() / idle.p99.as_secs_f64().max(1e-6),
        ));
        row.target = Some(Goal::P99RatioBelow(3.0));
        row.note = format!(
            "idle: {} ops/s, p99 {}; {} logins/s alongside",
            crate::report::format_rate(idle.rate),
            crate::report::format_latency(idle.p99),
            crate::report::format_rate(flows.rate),
        );
        self.results.push(row);
        Ok(())
    }

    async fn startup(&mut self) -> anyhow::Result<()> {
        let database = Database::create(self.args.postgres_url.as_deref()).await?;
        let measured = self.start_ups(&database).await;
        database.remove().await?;
        let (fresh, fresh_rss, mut restarts, rss) = measured?;
        restarts.sort();
        let goal = self
            .args
            .postgres_url
            .is_none()
            .then_some(Goal::StartupBelow(Duration::from_millis(200)));
        self.results.push(RowResult {
            label: "start-up to ready, new database".into(),
            load: "1".into(),
            p50: Some(fresh),
            p99: Some(fresh),
            peak_rss: Some(fresh_rss),
            target: goal,
            note: format!("migrations and a new {} key", self.algorithm()),
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

    /// The first start on `database`, then [`RESTARTS`] restarts: times and peak RSS.
    async fn start_ups(
        &self,
        database: &Database,
    ) -> anyhow::Result<(Duration, u64, Vec<Duration>, u64)> {
        let first = ServerChild::auth(database, self.args.algorithm, Seeding::Nothing).await?;
        let fresh = first.started_in;
        let fresh_rss = first.peak_rss()?;
        first.stop().await?;
        let mut restarts = Vec::with_capacity(RESTARTS);
        let mut rss = 0;
        for _ in 0..RESTARTS {
            let child = ServerChild::auth(database, self.args.algorithm, Seeding::Nothing).await?;
            restarts.push(child.started_in);
            rss = rss.max(child.peak_rss()?);
            child.stop().await?;
        }
        Ok((fresh, fresh_rss, restarts, rss))
    }

    async fn rss(&mut self) -> anyhow::Result<()> {
        let connections = self.args.rss_concurrency;
        let server = self.server(Seeding::Clients, connections).await?;
        let measured = repeat(
            connections,
            self.args.duration,
            server.target.clone(),
            |t| async move { t.client_credentials().await },
        )
        .await?;
        let rss = server.stop().await?;
        let mut row = result(
            "peak RSS: client_credentials".into(),
            connections.to_string(),
            &measured,
        );
        row.peak_rss = Some(rss);
        row.target = Some(Goal::PeakRssBelow(RSS_TARGET));
        self.results.push(row);
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

fn result(label: String, load: String, measured: &Measured) -> RowResult {
    let note = match (&measured.first_error, measured.errors) {
        (Some(error), n) if n > 0 => format!("{n} failed, first: {error}"),
        _ => String::new(),
    };
    RowResult {
        label,
        load,
        rate: Some(measured.rate),
        p50: Some(measured.p50),
        p99: Some(measured.p99),
        note,
        ..RowResult::default()
    }
}
