//! Settings of the example binaries, from environment variables with defaults that match
//! `auth-server serve --demo` on this machine.

use anyhow::{Context, bail};
use auth_client::{ClientCredentials, TokenSource, UserDirectory, Verifier};
use std::net::SocketAddr;

/// What every example service reads at start-up.
pub struct Service {
    /// See [`issuer`].
    pub issuer: String,
    /// Where it listens (see [`bind`]).
    pub bind: SocketAddr,
    /// Its client (see [`credentials`]).
    pub credentials: ClientCredentials,
    /// Verifies the access tokens it is called with (`aud`: [`audience`]).
    pub verifier: Verifier,
}

impl Service {
    /// The settings of the service whose variables start with `prefix`, listening at
    /// `default_bind` and calling as client `default_id` unless they say otherwise; reads the
    /// provider metadata and keys for its verifier.
    pub async fn from_env(
        prefix: &str,
        default_bind: &str,
        default_id: &str,
    ) -> anyhow::Result<Self> {
        let issuer = issuer();
        let bind = bind(prefix, default_bind)?;
        let credentials = credentials(prefix, default_id)?;
        let verifier = Verifier::new(&issuer, audience()).await?;
        Ok(Self {
            issuer,
            bind,
            credentials,
            verifier,
        })
    }

    /// The user directory, asked with the service's own tokens (scope `users:read`). Fails now,
    /// with the reason, if the directory cannot be asked.
    pub async fn user_directory(&self) -> anyhow::Result<UserDirectory> {
        let tokens = TokenSource::builder(&self.issuer, self.credentials.clone())
            .scope("users:read")
            .build()
            .await?;
        let directory = UserDirectory::new(&self.issuer, tokens)?;
        directory.ensure_ready().await?;
        Ok(directory)
    }
}

/// The authorization server's issuer (`AUTH_ISSUER`, default `http://127.0.0.1:8080`).
pub fn issuer() -> String {
    var("AUTH_ISSUER").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned())
}

/// The `aud` access tokens carry (`AUTH_AUDIENCE`, default: the issuer, as the server does).
pub fn audience() -> String {
    var("AUTH_AUDIENCE").unwrap_or_else(issuer)
}

/// The `aud` the tickets service accepts on tokens the events service exchanged for it
/// (`TICKETS_AUDIENCE`, default `http://127.0.0.1:8103`, its address).
pub fn tickets_audience() -> String {
    var("TICKETS_AUDIENCE").unwrap_or_else(|| "http://127.0.0.1:8103".to_owned())
}

/// The address a service listens on: `<PREFIX>_BIND`, else `default`.
pub fn bind(prefix: &str, default: &str) -> anyhow::Result<SocketAddr> {
    let name = format!("{prefix}_BIND");
    let value = var(&name).unwrap_or_else(|| default.to_owned());
    value
        .parse()
        .with_context(|| format!("{name} `{value}` is not an address:port"))
}

/// A URL setting: `name`, else `default`.
pub fn url(name: &str, default: &str) -> anyhow::Result<String> {
    let value = var(name).unwrap_or_else(|| default.to_owned());
    url::Url::parse(&value).with_context(|| format!("{name} `{value}` is not a URL"))?;
    Ok(value.trim_end_matches('/').to_owned())
}

/// The service's client: `<PREFIX>_CLIENT_ID` (default `default_id`) and the required
/// `<PREFIX>_CLIENT_SECRET`.
pub fn credentials(prefix: &str, default_id: &str) -> anyhow::Result<ClientCredentials> {
    let id = var(&format!("{prefix}_CLIENT_ID")).unwrap_or_else(|| default_id.to_owned());
    let secret_name = format!("{prefix}_CLIENT_SECRET");
    let Some(secret) = var(&secret_name) else {
        bail!(
            "{secret_name} is not set: use the secret `auth-server seed` (or `serve --demo`) \
             printed for the client `{id}`, or create one with `auth-server client create`"
        );
    };
    Ok(ClientCredentials::new(id, secret))
}

/// A variable's value; unset and empty are the same.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
