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

/// Opens the database at `url` (SQLite or PostgreSQL: sqlx's connection types differ, the
/// statements do not), runs `$body` with the connection as `$conn`, then refreshes the
/// planner's statistics and closes it.
macro_rules! on_database {
    ($url:expr, $conn:ident => $body:block) => {{
        let url: &str = $url;
        if url.starts_with("sqlite:") {
            let mut $conn = sqlx::SqliteConnection::connect(url)
                .await
                .with_context(|| format!("cannot open {url}"))?;
            $body
            sqlx::query("ANALYZE").execute(&mut $conn).await?;
            $conn.close().await?;
        } else {
            let mut $conn = sqlx::PgConnection::connect(url)
                .await
                .with_context(|| format!("cannot open {url}"))?;
            $body
            sqlx::query("ANALYZE").execute(&mut $conn).await?;
            $conn.close().await?;
        }
    }};
}

/// Writes users `0..n` into the database at `url` (whose migrations have run), then refreshes
/// the planner's statistics. Returns how long it took.
pub async fn seed_users(url: &str, n: u64) -> anyhow::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    use auth_core::clock::Clock as _;
    let now = auth_core::clock::SystemClock.unix();
    on_database!(url, conn => {
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
    });
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
    on_database!(url, conn => {
        for sql in statements {
            sqlx::query(sql)
                .bind(half)
                .execute(&mut conn)
                .await
                .context("writing expired rows")?;
        }
    });
    Ok(started.elapsed())
}

/// What [`seed_scale`] writes for `users` users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub users: u64,
    pub clients: u64,
    /// Token families (grants), one in ten revoked.
    pub families: u64,
    /// Refresh tokens: three a family, two of them rotated (kept for reuse detection).
    pub refresh_tokens: u64,
    /// Access tokens recorded with their family (one for every second family).
    pub family_access_tokens: u64,
    /// Access tokens revoked on their own, still live (the revocation cache holds them).
    pub revoked_access_tokens: u64,
}

impl Scale {
    /// A tenth as many clients as users and ten token rows a user: 1,000,000 users make
    /// 100,000 clients and 10,000,000 token rows.
    pub fn of(users: u64) -> Self {
        Self {
            users,
            clients: (users / 10).max(1),
            families: users * 2,
            refresh_tokens: users * 6,
            family_access_tokens: users,
            revoked_access_tokens: users,
        }
    }

    /// Token rows in all.
    pub fn token_rows(&self) -> u64 {
        self.families + self.refresh_tokens + self.family_access_tokens + self.revoked_access_tokens
    }
}

/// Rows one statement of [`seed_scale`] writes at most (bounded transactions).
const SCALE_BATCH: u64 = 500_000;

/// Writes `scale` into the database at `url`, whose migrations ran and which holds the
/// benchmark's clients (`bench-web` is the template of the seeded clients): the users of
/// [`seed_users`], then clients, families, refresh tokens, family access tokens and revoked
/// access tokens, each by `INSERT ... SELECT` over a recursive count (the same SQL on either
/// database, but for the refresh tokens' hashes). Every token row is live: nothing here is
/// for the purge. Returns how long it took.
pub async fn seed_scale(url: &str, scale: Scale) -> anyhow::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    seed_users(url, scale.users).await?;
    use auth_core::clock::Clock as _;
    let now = auth_core::clock::SystemClock.unix();
    let sqlite = url.starts_with("sqlite:");
    let count = "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) ";
    let hash = if sqlite {
        "randomblob(32)"
    } else {
        "sha256(convert_to('dataset-refresh-' || CAST(i AS TEXT), 'UTF8'))"
    };
    // Each statement: its rows, and the text after the count ($3 = now, $4 = clients,
    // $5 = users in dataset_users).
    let statements = [
        (
            scale.clients,
            "INSERT INTO clients (client_id, client_name, auth_method, secret_hash, grant_types, \
             scope, redirect_uris, post_logout_redirect_uris, trusted, created_at, metadata, \
             registration_id) \
             SELECT 'dataset-client-' || CAST(i AS TEXT), 'Dataset client ' || CAST(i AS TEXT), \
             c.auth_method, c.secret_hash, c.grant_types, c.scope, c.redirect_uris, \
             c.post_logout_redirect_uris, c.trusted, $3, c.metadata, \
             'dataset-registration-' || CAST(i AS TEXT) \
             FROM n CROSS JOIN clients c WHERE c.client_id = 'bench-web' AND $4 > 0 AND $5 > 0"
                .to_owned(),
        ),
        (
            scale.families,
            "INSERT INTO token_families (id, client_id, user_id, scope, auth_time, amr, \
             created_at, revoked_at, client_registration) \
             SELECT 'dataset-family-' || CAST(i AS TEXT), 'dataset-client-' || CAST(i % $4 AS TEXT), \
             u.id, 'openid offline_access', $3, 'pwd', $3, \
             CASE WHEN i % 10 = 0 THEN $3 - 600 END, \
             'dataset-registration-' || CAST(i % $4 AS TEXT) \
             FROM n JOIN dataset_users u ON u.r = i % $5"
                .to_owned(),
        ),
        (
            scale.refresh_tokens,
            format!(
                "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at, rotated_at) \
                 SELECT {hash}, 'dataset-family-' || CAST(i / 3 AS TEXT), $3, $3 + 2592000, \
                 CASE WHEN i % 3 < 2 THEN $3 END FROM n WHERE $4 > 0 AND $5 > 0"
            ),
        ),
        (
            scale.family_access_tokens,
            "INSERT INTO family_access_tokens (jti, family_id, expires_at) \
             SELECT 'dataset-access-' || CAST(i AS TEXT), 'dataset-family-' || CAST(i * 2 AS TEXT), \
             $3 + 3600 FROM n WHERE $4 > 0 AND $5 > 0"
                .to_owned(),
        ),
        (
            scale.revoked_access_tokens,
            "INSERT INTO revoked_access_tokens (jti, expires_at, revoked_at) \
             SELECT 'dataset-revoked-' || CAST(i AS TEXT), $3 + 86400, $3 - 7200 \
             FROM n WHERE $4 > 0 AND $5 > 0"
                .to_owned(),
        ),
    ];
    let temporary = [
        "CREATE TEMPORARY TABLE dataset_users (r BIGINT PRIMARY KEY, id TEXT NOT NULL)",
        "INSERT INTO dataset_users (r, id) SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id FROM users",
    ];
    // One writer and a throwaway database: no sync per transaction, a large page cache.
    let setup: &[&str] = if sqlite {
        &["PRAGMA synchronous = OFF", "PRAGMA cache_size = -1048576"]
    } else {
        &["SET synchronous_commit = off"]
    };
    on_database!(url, conn => {
            for sql in setup.iter().chain(temporary.iter()) {
                sqlx::query(sqlx::AssertSqlSafe(*sql))
                    .execute(&mut conn)
                    .await?;
            }
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dataset_users")
                .fetch_one(&mut conn)
                .await?;
            let clients = i64::try_from(scale.clients)?;
            for (rows, rest) in &statements {
                let sql = format!("{count}{rest}");
                let mut from = 0;
                while from < *rows {
                    let to = (from + SCALE_BATCH).min(*rows);
                    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .bind(i64::try_from(from)?)
                        .bind(i64::try_from(to)? - 1)
                        .bind(now)
                        .bind(clients)
                        .bind(users)
                        .execute(&mut conn)
                        .await
                        .with_context(|| format!("seeding rows {from}..{to}: {rest}"))?;
                    from = to;
                }
            }
    });
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
