//! The comparison with node-oidc-provider (`--compare node-oidc-provider`): its folder
//! `auth-bench/node` (a `package.json`, its lock file and `server.mjs`), the install script that
//! fetches the package, and the command that starts it as a server child. What the server is
//! configured like, and how it differs from ours, is in `server.mjs` and docs/performance.md.

use crate::cli::Algorithm;
use anyhow::{Context, bail};
use std::path::PathBuf;
use tokio::process::Command;

/// The resource server (RFC 8707) of `server.mjs` whose access tokens are opaque: the only
/// ones node-oidc-provider can introspect, since it does not store its JWT access tokens.
pub const OPAQUE_RESOURCE: &str = "urn:auth-bench:opaque";

/// `auth-bench/node`, where the package is installed.
pub fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// Runs `auth-bench/node/install` (`npm ci` unless `node_modules` is current).
pub async fn install() -> anyhow::Result<()> {
    let script = folder().join("install");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .await
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(())
}

/// The command of a server child: `node server.mjs`, with the seeded user when `with_user`.
pub fn command(algorithm: Algorithm, with_user: bool) -> Command {
    let mut command = Command::new("node");
    command
        .current_dir(folder())
        .arg("server.mjs")
        .arg("--algorithm")
        .arg(algorithm.jose())
        .env("NODE_ENV", "production");
    if with_user {
        command.arg("--with-user");
    }
    command
}

/// `oidc-provider <version> on Node.js <version>`, as installed.
pub async fn versions() -> anyhow::Result<String> {
    let manifest = folder().join("node_modules/oidc-provider/package.json");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let package: serde_json::Value = serde_json::from_str(&text)?;
    let node = Command::new("node").arg("--version").output().await?;
    Ok(format!(
        "oidc-provider {} on Node.js {}",
        package["version"].as_str().unwrap_or("?"),
        String::from_utf8_lossy(&node.stdout).trim()
    ))
}
