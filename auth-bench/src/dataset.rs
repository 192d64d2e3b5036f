//! Large databases for the rows that must stay flat at scale: users written straight into a
//! server's database (SQLite or PostgreSQL) in batched multi-row inserts, after the server's
//! migrations ran. The rows are deterministic (the same `n` gives the same users), so a
//! benchmark can name a user it expects to find.

use anyhow::Context;
use sqlx::{Connection, QueryBuilder};

/// Users a batch inserts (7 values each: under SQLite's and PostgreSQL's bind limits).
const BATCH: u64 = 2_000;

/// First names of the seeded users, so a name prefix matches a sixteenth of them.
const FIRST_NAMES: [&str; 16] = [
    "Ada", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jan", "Kai", "Lea", "Mo",
    "Nia", "Oto", "Pia",
];

/// A 64-bit mix of `i` (SplitMix64's finalizer): the seeded addresses scatter over the index.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seeded user number `i`: (id, e-mail address, name). The address starts with eight hex
/// digits of a hash, so a one-digit prefix matches a sixteenth of the users.
pub fn user(i: u64) -> (String, String, String) {
    let hash = mix(i);
    let id = format!(
        "{:08x}-{:04x}-7000-8000-{:012x}",
        hash >> 32,
        (hash >> 16) & 0xffff,
        i
    );
    let email = format!("{:08x}.{i}@example.com", hash >> 32);
    let name = format!("{} {i}", FIRST_NAMES[(i % 16) as usize]);
    (id, email, name)
}

/// Writes users `0..n` into the database at `url` (whose migrations have run), then refreshes
/// the planner's statistics. Returns how long it took.
pub async fn seed_users(url: &str, n: u64) -> anyhow::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    use auth_core::clock::Clock as _;
    let now = auth_core::clock::SystemClock.unix();
    // The same statements on either database; sqlx's connection types differ.
    macro_rules! seed {
        ($connection:ty) => {{
            let mut conn = <$connection>::connect(url)
                .await
                .with_context(|| format!("cannot open {url}"))?;
            let mut from = 0;
            while from < n {
                let to = (from + BATCH).min(n);
                let mut insert = QueryBuilder::new(
                    "INSERT INTO users (id, email, email_normalized, email_verified, name, created_at, updated_at) ",
                );
                insert.push_values(from..to, |mut row, i| {
                    let (id, email, name) = user(i);
                    row.push_bind(id)
                        .push_bind(email.clone())
                        .push_bind(email)
                        .push_bind(true)
                        .push_bind(name)
                        .push_bind(now)
                        .push_bind(now);
                });
                insert
                    .build()
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("inserting users {from}..{to}"))?;
                from = to;
            }
            sqlx::query("ANALYZE").execute(&mut conn).await?;
            conn.close().await?;
        }};
    }
    if url.starts_with("sqlite:") {
        seed!(sqlx::SqliteConnection);
    } else {
        seed!(sqlx::PgConnection);
    }
    Ok(started.elapsed())
}

/// Writes `n` expired rows for the purge into the database at `url`, which holds a token
/// family already: half revocations of expired access tokens, half expired access tokens of
/// that family. One statement each (a recursive count, on either database). Returns how long
/// it took.
pub async fn seed_expired(url: &str, n: u64) -> anyhow::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    let half = i64::try_from(n / 2)?;
    let statements = [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
         SELECT 'expired-' || CAST(i AS TEXT), 100, 1 FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO family_access_tokens (jti, family_id, expires_at) \
         SELECT 'expired-' || CAST(i AS TEXT), (SELECT MIN(id) FROM token_families), 100 FROM n",
    ];
    macro_rules! seed {
        ($connection:ty) => {{
            let mut conn = <$connection>::connect(url)
                .await
                .with_context(|| format!("cannot open {url}"))?;
            for sql in statements {
                sqlx::query(sql)
                    .bind(half)
                    .execute(&mut conn)
                    .await
                    .context("writing expired rows")?;
            }
            sqlx::query("ANALYZE").execute(&mut conn).await?;
            conn.close().await?;
        }};
    }
    if url.starts_with("sqlite:") {
        seed!(sqlx::SqliteConnection);
    } else {
        seed!(sqlx::PgConnection);
    }
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_users_are_distinct_valid_and_spread_over_the_first_digit() {
        let mut emails = std::collections::HashSet::new();
        let mut first = [0u32; 16];
        for i in 0..4_000 {
            let (id, email, name) = user(i);
            assert!(auth_core::users::UserId::parse(&id).is_some(), "{id}");
            assert!(auth_core::users::Email::parse(&email).is_ok(), "{email}");
            assert!(!name.is_empty());
            first[usize::from_str_radix(&email[..1], 16).unwrap()] += 1;
            assert!(emails.insert(email));
        }
        // Each first digit holds about 250 of 4,000.
        assert!(
            first.iter().all(|&count| (150..350).contains(&count)),
            "{first:?}"
        );
    }
}
