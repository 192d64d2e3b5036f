//! Starting a server child (this binary re-executed, or node-oidc-provider), timing it from
//! spawn to a `200` from `/readyz`, reading its peak RSS, stopping it; and the database it runs
//! on.

use crate::cli::Algorithm;
use crate::serve::{Bound, Seed};
use anyhow::{Context, bail};
use sqlx::Connection;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use tokio::task::JoinHandle;

/// How long a child may take to start (a debug build on a busy machine is slow).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A database for one server: an SQLite file in a temporary folder, or a PostgreSQL database
/// created for it and dropped by [`Database::remove`].
pub struct Database {
    pub url: String,
    dir: TempDir,
    postgres: Option<(String, String)>,
}

impl Database {
    /// A fresh database: SQLite, or on the PostgreSQL server at `postgres_url`.
    pub async fn create(postgres_url: Option<&str>) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let Some(admin) = postgres_url else {
            return Ok(Self {
                url: format!("sqlite://{}", dir.path().join("auth.db").display()),
                dir,
                postgres: None,
            });
        };
        let name = format!(
            "auth_bench_{}_{}",
            std::process::id(),
            dir.path()
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        );
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {admin}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("cannot create the database {name}"))?;
        let mut url = url::Url::parse(admin)?;
        url.set_path(&name);
        Ok(Self {
            url: url.to_string(),
            dir,
            postgres: Some((admin.to_owned(), name)),
        })
    }

    /// Drops the PostgreSQL database (its servers must be stopped); removes the folder.
    pub async fn remove(mut self) -> anyhow::Result<()> {
        if let Some((admin, name)) = self.postgres.take() {
            drop_postgres(&admin, &name).await?;
        }
        Ok(())
    }
}

impl Drop for Database {
    /// A row that failed half-way still drops its PostgreSQL database (on a thread of its own,
    /// since this may run inside the runtime).
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_postgres(&admin, &name))
        })
        .join();
    }
}

async fn drop_postgres(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// What a server child registers once it is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeding {
    /// Nothing: a restart on a database seeded before.
    Nothing,
    /// The benchmark's clients.
    Clients,
    /// The clients and the user (whose password hash costs an argon2id run, 19 MiB of RSS).
    ClientsAndUser,
    /// The clients and an administrator signed in with a second factor, whose session opens
    /// the console ([`Seed::console_session`]).
    ClientsAndConsoleAdmin,
}

/// A running child server.
pub struct ServerChild {
    child: tokio::process::Child,
    pub base_url: String,
    /// From spawning the process to the first `200` from `/readyz`.
    pub started_in: Duration,
    /// The benchmark's credentials, when the child registered them.
    pub seed: Option<Seed>,
}

impl ServerChild {
    /// The authorization server on `database`, seeded as asked.
    pub async fn auth(
        database: &Database,
        algorithm: Algorithm,
        seeding: Seeding,
    ) -> anyhow::Result<Self> {
        let mut command = own_binary()?;
        command
            .arg("serve-auth")
            .arg("--database-url")
            .arg(&database.url)
            .arg("--algorithm")
            .arg(algorithm.jose())
            .arg("--data-dir")
            .arg(database.dir.path().join("data"));
        match seeding {
            Seeding::Nothing => {}
            Seeding::Clients => {
                command.arg("--seed");
            }
            Seeding::ClientsAndUser => {
                command.args(["--seed", "--with-user"]);
            }
            Seeding::ClientsAndConsoleAdmin => {
                command.args(["--seed", "--console-admin"]);
            }
        }
        Self::start(command, seeding != Seeding::Nothing).await
    }

    /// node-oidc-provider (`auth-bench/node/server.mjs`, installed), seeded as asked: it
    /// always registers the clients, and the user with [`Seeding::ClientsAndUser`].
    pub async fn node(algorithm: Algorithm, seeding: Seeding) -> anyhow::Result<Self> {
        let command = crate::node::command(algorithm, seeding == Seeding::ClientsAndUser);
        Self::start(command, true).await
    }

    /// The trivial handler.
    pub async fn trivial() -> anyhow::Result<Self> {
        let mut command = own_binary()?;
        command.arg("serve-trivial");
        Self::start(command, false).await
    }

    async fn start(mut command: Command, seeded: bool) -> anyhow::Result<Self> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = command.spawn().context("cannot start a server child")?;
        let mut stdout = BufReader::new(child.stdout.take().context("child stdout")?).lines();
        let mut stderr = child.stderr.take().context("child stderr")?;
        let errors: JoinHandle<String> = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let started = tokio::time::timeout(START_TIMEOUT, async {
            let bound: Bound = next_line(&mut stdout).await?;
            let base_url = format!("http://{}", bound.address);
            wait_ready(&base_url, &mut child).await?;
            let started_in = spawned.elapsed();
            let seed = if seeded {
                Some(next_line::<Seed>(&mut stdout).await?)
            } else {
                None
            };
            anyhow::Ok((base_url, started_in, seed))
        })
        .await;
        match started {
            Ok(Ok((base_url, started_in, seed))) => Ok(Self {
                child,
                base_url,
                started_in,
                seed,
            }),
            failed => {
                let _ = child.start_kill();
                let status = child.wait().await?;
                let printed = errors.await.unwrap_or_default();
                let reason = match failed {
                    Err(_) => format!("did not start within {START_TIMEOUT:?}"),
                    Ok(Err(e)) => format!("{e:#}"),
                    Ok(Ok(_)) => String::new(),
                };
                bail!(
                    "the server child failed ({reason}; {status}); it printed:\n{}",
                    printed.trim_end()
                )
            }
        }
    }

    /// The process's peak resident set size (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().context("the child has exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        parse_vm_hwm(&status).context("no VmHWM in /proc/<pid>/status")
    }

    /// The process's resident set size now (`VmRSS`), in bytes.
    pub fn rss(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().context("the child has exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        parse_status_kib(&status, "VmRSS:").context("no VmRSS in /proc/<pid>/status")
    }

    /// Kills the child and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }
}

fn own_binary() -> anyhow::Result<Command> {
    let exe = std::env::current_exe().context("cannot find this benchmark's own binary")?;
    Ok(Command::new(exe))
}

async fn next_line<T: serde::de::DeserializeOwned>(
    lines: &mut Lines<BufReader<ChildStdout>>,
) -> anyhow::Result<T> {
    let line = lines
        .next_line()
        .await?
        .context("the child exited before it was ready")?;
    serde_json::from_str(&line).with_context(|| format!("unexpected line from the child: {line}"))
}

async fn wait_ready(base_url: &str, child: &mut tokio::process::Child) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{base_url}/readyz");
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the child exited before it was ready ({status})");
        }
        if let Ok(response) = http.get(&url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// `VmHWM` of a `/proc/<pid>/status` text, in bytes.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    parse_status_kib(status, "VmHWM:")
}

/// The field `name` (e.g. `VmRSS:`, in kB) of a `/proc/<pid>/status` text, in bytes.
fn parse_status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line
        .trim_start_matches(name)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_is_read_from_vm_hwm() {
        let status =
            "Name:\tauth-bench\nVmPeak:\t  200000 kB\nVmHWM:\t   41234 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(41234 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        assert_eq!(parse_status_kib(status, "VmRSS:"), Some(40000 * 1024));
    }
}
