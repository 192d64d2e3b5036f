//! The `console-search` rows: the admin console's user search over HTTP, as an administrator's
//! browser asks for it, on a database of 1,000 users and on one of `--search-users` (a million
//! by default), each seeded by [`crate::dataset`] into a fresh database of its own. Each query
//! runs one request at a time (the latency an operator sees); the large database's p99 is
//! compared with the small one's.
//!
//! The queries: the first page of an e-mail prefix (a sixteenth of the users match), the first
//! page of a name prefix (a sixteenth too), the twentieth page of every user by address
//! (reached by following the pages' cursors), and one exact address.

use crate::child::{Database, Seeding, ServerChild};
use crate::cli::Args;
use crate::dataset;
use crate::load::{Measured, drive};
use crate::report::{Ratio, RowResult, Target};
use anyhow::{Context, bail};
use std::time::Duration;

/// Users in the small database.
const SMALL: u64 = 1_000;

/// The large database's p99 may be at most this multiple of the small one's.
const TARGET: f64 = 2.0;

/// Pages followed for the deep-paging query.
const DEEP_PAGE: usize = 20;

/// One query of the row.
struct Query {
    label: &'static str,
    /// The path and query string, found on the seeded database.
    path: String,
}

/// Runs the rows on both databases and returns them, small first.
pub async fn rows(args: &Args) -> anyhow::Result<Vec<RowResult>> {
    let mut small = measure(args, SMALL).await?;
    let mut large = measure(args, args.search_users).await?;
    for (row, baseline) in large.iter_mut().zip(&small) {
        if let (Some(p99), Some(base)) = (row.p99, baseline.p99) {
            row.ratio = Some(Ratio::OfSmallP99 {
                ratio: p99.as_secs_f64() / base.as_secs_f64().max(1e-9),
                baseline: "1,000 users",
            });
            row.target = Some(Target::P99OfSmallBelow(TARGET));
        }
    }
    small.append(&mut large);
    Ok(small)
}

/// The queries on a database of `users` users.
async fn measure(args: &Args, users: u64) -> anyhow::Result<Vec<RowResult>> {
    let database = Database::create(args.postgres_url.as_deref()).await?;
    let child =
        ServerChild::auth(&database, args.algorithm, Seeding::ClientsAndConsoleAdmin).await?;
    let seeded = dataset::seed_users(&database.url, users).await?;
    let cookie = format!(
        "auth_session={}",
        child
            .seed
            .as_ref()
            .map(|s| s.console_session.clone())
            .unwrap_or_default()
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = child.base_url.clone();
    let page = move |path: String| {
        let (http, cookie, url) = (http.clone(), cookie.clone(), format!("{base}{path}"));
        async move { fetch(&http, &cookie, &url).await }
    };

    let first = "/admin/console/users?q=a&by=email".to_owned();
    // Every user, by address: 1,000 users make exactly 20 pages.
    let mut deep = "/admin/console/users?by=email".to_owned();
    for _ in 1..DEEP_PAGE {
        let html = page(deep.clone()).await?;
        deep = next_page(&html).context("fewer than 20 pages of users")?;
    }
    let (_, someone, _) = dataset::user(users / 2);
    let queries = [
        Query {
            label: "e-mail prefix, first page",
            path: first,
        },
        Query {
            label: "name prefix, first page",
            path: "/admin/console/users?q=eve&by=name".to_owned(),
        },
        Query {
            label: "every user, 20th page",
            path: deep,
        },
        Query {
            label: "exact address",
            path: format!("/admin/console/users?q={someone}&by=email"),
        },
    ];
    let mut rows = Vec::new();
    let backend = if args.postgres_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    for query in queries {
        // Each page must list users, or the row measures an error page.
        let html = page(query.path.clone()).await?;
        if !html.contains("id=\"users\"") {
            bail!("{}: the page lists no users", query.label);
        }
        let measured = time(args.duration, page.clone(), query.path.clone()).await?;
        rows.push(RowResult {
            label: format!(
                "console search: {} ({} users, {backend})",
                query.label,
                crate::report::format_count(users)
            ),
            load: "1 at a time".to_owned(),
            rate: Some(measured.rate),
            p50: Some(measured.p50),
            p99: Some(measured.p99),
            note: if rows.is_empty() {
                format!("seeded in {:.1} s", seeded.as_secs_f64())
            } else {
                String::new()
            },
            ..RowResult::default()
        });
    }
    child.stop().await?;
    database.remove().await?;
    Ok(rows)
}

/// Repeats one page request for `duration`, one at a time.
async fn time<F, Fut>(duration: Duration, page: F, path: String) -> anyhow::Result<Measured>
where
    F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<String>> + Send + 'static,
{
    drive(1, duration, move |_, rec| {
        let (page, path) = (page.clone(), path.clone());
        async move {
            let mut rec = rec;
            while rec.running() {
                rec.time(page(path.clone())).await;
            }
            rec
        }
    })
    .await
}

async fn fetch(http: &reqwest::Client, cookie: &str, url: &str) -> anyhow::Result<String> {
    let response = http
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    if status != reqwest::StatusCode::OK {
        bail!("{url}: {status}");
    }
    Ok(body)
}

/// The next page's path from a list page (askama writes `&` as `&#38;`).
fn next_page(html: &str) -> Option<String> {
    let link = html.find("id=\"next-page\"")?;
    let start = html[..link].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_read_from_the_link() {
        let html = r#"<p><a href="/admin/console/users?q=a&#38;by=email&#38;after=x" id="next-page" rel="next">"#;
        assert_eq!(
            next_page(html).as_deref(),
            Some("/admin/console/users?q=a&by=email&after=x")
        );
        assert_eq!(next_page("<p>No user matches.</p>"), None);
    }
}
