//! Signing a user in on a device without a browser, with the device authorization grant
//! (RFC 8628): ask the server for a pair of codes, show the user where to go and which code to
//! enter, and poll the token endpoint, keeping the interval the server asks for, until the
//! user has decided. `tickets-cli` uses it.

use anyhow::{Context, bail};
use auth_client::auth_proto::device::DeviceAuthorizationResponse;
use auth_client::auth_proto::discovery::ProviderMetadata;
use auth_client::auth_proto::error::{ErrorCode, ErrorResponse};
use auth_client::auth_proto::token::TokenResponse;
use std::time::Duration;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A public client of the server that uses the device grant.
#[derive(Debug, Clone)]
pub struct DeviceLogin {
    http: reqwest::Client,
    client_id: String,
    device_endpoint: String,
    token_endpoint: String,
}

impl DeviceLogin {
    /// Reads the server's endpoints from its discovery document.
    pub async fn discover(issuer: &str, client_id: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let url = format!(
            "{}/.well-known/oauth-authorization-server",
            issuer.trim_end_matches('/')
        );
        let metadata: ProviderMetadata = http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?
            .error_for_status()?
            .json()
            .await
            .context("the discovery document is not valid")?;
        let device_endpoint = metadata
            .device_authorization_endpoint
            .context("the server does not offer the device authorization grant")?;
        Ok(Self {
            http,
            client_id: client_id.to_owned(),
            device_endpoint,
            token_endpoint: metadata.token_endpoint,
        })
    }

    /// Asks for a device code and a user code for `scope` (RFC 8628 section 3.1).
    pub async fn start(&self, scope: &str) -> anyhow::Result<DeviceAuthorizationResponse> {
        let response = self
            .http
            .post(&self.device_endpoint)
            .form(&[("client_id", self.client_id.as_str()), ("scope", scope)])
            .send()
            .await?;
        if !response.status().is_success() {
            let error: ErrorResponse = response.json().await?;
            bail!(
                "the server refused the device authorization request: {} {}",
                error.error,
                error.error_description.unwrap_or_default()
            );
        }
        Ok(response.json().await?)
    }

    /// Polls the token endpoint until the user approved (the tokens) or denied, or the code
    /// expired (errors). Waits `interval` seconds before each poll, 5 more after every
    /// `slow_down` (section 3.5).
    pub async fn wait_for_tokens(
        &self,
        started: &DeviceAuthorizationResponse,
    ) -> anyhow::Result<TokenResponse> {
        let mut interval = started.interval.max(1);
        loop {
            tokio::time::sleep(Duration::from_secs(interval)).await;
            let response = self
                .http
                .post(&self.token_endpoint)
                .form(&[
                    ("grant_type", DEVICE_GRANT),
                    ("client_id", self.client_id.as_str()),
                    ("device_code", started.device_code.as_str()),
                ])
                .send()
                .await?;
            if response.status().is_success() {
                return Ok(response.json().await?);
            }
            let error: ErrorResponse = response.json().await?;
            match error.error {
                ErrorCode::AuthorizationPending => {}
                ErrorCode::SlowDown => interval += 5,
                ErrorCode::AccessDenied => bail!("the request was denied"),
                ErrorCode::ExpiredToken => bail!("the code expired before it was entered"),
                other => bail!(
                    "the token endpoint answered {other}: {}",
                    error.error_description.unwrap_or_default()
                ),
            }
        }
    }
}
