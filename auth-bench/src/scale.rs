//! The `--dataset` rows: login, refresh rotation, introspection and the is-registered check,
//! first on an empty database, then on one seeded by [`dataset::seed_scale`] (a million users,
//! 100,000 clients, 10,000,000 token rows by default). Each database gets a server child that
//! seeds the benchmark's clients and user, then (after the large seeding) a restart on it, so
//! the server measured starts over the database as an operator's would: its caches load from
//! the large tables. Each large row's p99 is compared with the same row's on the empty database.

use crate::child::{Database, Seeding, ServerChild};
use crate::cli::Args;
use crate::dataset::{self, Scale};
use crate::flows::{Implementation, Target, http_client};
use crate::lean::{self, Expect, Prepared};
use crate::load::{Measured, drive};
use crate::report::{Ratio, RowResult, Target as Goal};
use crate::serve::Seed;
use anyhow::Context;
use std::time::Duration;

/// The large database's p99 may be at most this multiple of the empty one's (issue 25).
const TARGET: f64 = 1.5;

/// Logins at a time: enough to keep every hashing thread busy on two cores, few enough that
/// the p99 is a login's time rather than a queue's.
const LOGINS: usize = 4;

/// Users the is-registered requests name in turn (on the large database each exists).
const NAMED_USERS: u64 = 4_096;

/// Runs the rows on the empty and on the large database; returns them, empty first.
pub async fn rows(args: &Args) -> anyhow::Result<Vec<RowResult>> {
    let scale = Scale::of(args.dataset_users);
    let mut empty = measure(args, scale, false).await?;
    let mut large = measure(args, scale, true).await?;
    for (row, baseline) in large.iter_mut().zip(&empty) {
        if let (Some(p99), Some(base)) = (row.p99, baseline.p99) {
            row.ratio = Some(Ratio::OfSmallP99 {
                ratio: p99.as_secs_f64() / base.as_secs_f64().max(1e-9),
                baseline: "empty",
            });
            row.target = Some(Goal::P99OfSmallBelow(TARGET));
        }
    }
    empty.append(&mut large);
    Ok(empty)
}

/// The four rows on a fresh database, seeded at `scale` when `large`.
async fn measure(args: &Args, scale: Scale, large: bool) -> anyhow::Result<Vec<RowResult>> {
    let database = Database::create(args.postgres_url.as_deref()).await?;
    let first = ServerChild::auth(&database, args.algorithm, Seeding::ClientsAndUser).await?;
    let seed = first
        .seed
        .clone()
        .context("the child printed no credentials")?;
    let seeded = if large {
        Some(dataset::seed_scale(&database.url, scale).await?)
    } else {
        None
    };
    first.stop().await?;
    let child = ServerChild::auth(&database, args.algorithm, Seeding::Nothing).await?;
    let http = http_client(args.concurrency)?;
    let target = Target::discover(http, child.base_url.clone(), seed, Implementation::Ours).await?;
    // The first flow gives consent, which later flows find.
    target.code_flow().await?;

    let backend = if args.postgres_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let database_name = if large {
        format!(
            "{} users, {} clients, {} token rows, {backend}",
            crate::report::format_count(scale.users),
            crate::report::format_count(scale.clients),
            crate::report::format_count(scale.token_rows()),
        )
    } else {
        format!("empty, {backend}")
    };
    let mut rows = Vec::new();
    let mut push = |label: &str, load: String, measured: Measured, note: String| {
        rows.push(RowResult {
            label: format!("{label} ({database_name})"),
            load,
            rate: Some(measured.rate),
            p50: Some(measured.p50),
            p99: Some(measured.p99),
            note,
            ..RowResult::default()
        });
    };

    let logins = logins(&target, args.duration).await?;
    let note = seeded
        .map(|took| format!("seeded in {:.0} s; flows/s", took.as_secs_f64()))
        .unwrap_or_else(|| "flows/s".to_owned());
    push("login: code flow", LOGINS.to_string(), logins, note);

    let refreshes = refreshes(&target, args.concurrency, args.duration).await?;
    push(
        "refresh_token rotation",
        args.concurrency.to_string(),
        refreshes,
        String::new(),
    );

    let introspections = introspections(args, &target).await?;
    push(
        "introspection (64 live tokens)",
        args.concurrency.to_string(),
        introspections,
        String::new(),
    );

    let checks = registered(args, &target, large).await?;
    let answer = if large { "registered" } else { "unknown" };
    push(
        "is-registered by e-mail",
        args.concurrency.to_string(),
        checks,
        format!("{} addresses, each {answer}", NAMED_USERS),
    );

    if let Some(row) = rows.last_mut() {
        row.peak_rss = Some(child.peak_rss()?);
    }
    child.stop().await?;
    database.remove().await?;
    Ok(rows)
}

/// Code flows, [`LOGINS`] at a time, each logging in afresh.
async fn logins(target: &Target, duration: Duration) -> anyhow::Result<Measured> {
    let target = target.clone();
    drive(LOGINS, duration, move |_, rec| {
        let target = target.clone();
        async move {
            let mut rec = rec;
            while rec.running() {
                rec.time(target.code_flow()).await;
            }
            rec
        }
    })
    .await
}

/// One refresh chain a connection (a code flow each), each rotated one token after another.
async fn refreshes(
    target: &Target,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let mut flows = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let target = target.clone();
        flows.spawn(async move { target.code_flow().await });
    }
    let mut chains = Vec::with_capacity(connections);
    while let Some(tokens) = flows.join_next().await {
        chains.push(tokens??.refresh_token.context("no refresh token")?);
    }
    crate::rows::rotate(target, chains, duration).await
}

/// Introspection of 64 live client_credentials tokens in turn, by `bench-api`.
async fn introspections(args: &Args, target: &Target) -> anyhow::Result<Measured> {
    let mut pool = Vec::new();
    for _ in 0..64 {
        let token = target.client_credentials().await?;
        pool.push(Prepared::form_post(
            &target.endpoints.introspection,
            (Seed::API, &target.seed.api_secret),
            &[("token", &token)],
            Expect::Active,
        )?);
    }
    lean::cycle(args.load_policy, args.concurrency, args.duration, pool).await
}

/// `GET /api/users/registered?email=` with a `users:read` service token, for
/// [`NAMED_USERS`] seeded addresses in turn (on the empty database none exists).
async fn registered(args: &Args, target: &Target, large: bool) -> anyhow::Result<Measured> {
    let token = target.client_credentials_scoped("users:read").await?;
    let users = NAMED_USERS.min(args.dataset_users.max(1));
    let step = (args.dataset_users / users).max(1);
    let pool = (0..users)
        .map(|n| {
            let (_, email, _) = dataset::user(n * step);
            let url = format!(
                "{}/api/users/registered?email={}",
                target.base_url,
                url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
            );
            let expect = if large {
                Expect::Registered
            } else {
                Expect::Unregistered
            };
            Prepared::get_with_bearer(&url, &token, expect)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    lean::cycle(args.load_policy, args.concurrency, args.duration, pool).await
}
