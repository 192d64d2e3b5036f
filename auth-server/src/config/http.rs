//! `[http]`: the reverse proxies trusted to name the client's address, and what one request or
//! connection may cost.

use crate::extract::{Cidr, ProxyHeader, TrustedProxies};
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[http]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Networks of the reverse proxies in front of the server (`10.0.0.0/8`, `::1`): only a
    /// request from one of them may name the client's address, in `client_ip_header`. Empty:
    /// the TCP peer address is the client's, and no header is read.
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies add the client address to: `x-forwarded-for` (the
    /// default; any header of comma-separated addresses) or `forwarded` (RFC 7239). The client
    /// is the rightmost entry, across every line of it, not in `trusted_proxies`.
    pub client_ip_header: Option<String>,
    /// Largest request body in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers) in bytes (431 beyond).
    pub max_header_bytes: usize,
    /// Seconds a connection may take to send a complete request head, counted from when it
    /// opens or from the end of the previous response (so also the keep-alive idle limit).
    pub header_read_timeout_secs: u64,
    /// Seconds a request may take to send its whole body (408 beyond).
    pub body_read_timeout_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            client_ip_header: None,
            max_body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
        }
    }
}

/// Limits on what one connection or request may cost, from `[http]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest request head.
    pub max_header_bytes: usize,
    /// Time to a complete request head (also the keep-alive idle limit).
    pub header_read_timeout: Duration,
    /// Time to a complete request body.
    pub body_read_timeout: Duration,
}

impl HttpConfig {
    fn limits(&self) -> HttpLimits {
        HttpLimits {
            max_body_bytes: self.max_body_bytes,
            max_header_bytes: self.max_header_bytes,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
        }
    }

    /// `trusted_proxies` and `client_ip_header`, checked.
    pub(super) fn trusted_proxies(&self) -> anyhow::Result<TrustedProxies> {
        let networks = self
            .trusted_proxies
            .iter()
            .map(|n| Cidr::parse(n).map_err(|e| anyhow::anyhow!("http.trusted_proxies: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let header = match self
            .client_ip_header
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            Some(_) if networks.is_empty() => bail!(
                "http.client_ip_header is set but http.trusted_proxies is empty: list the \
                 networks of your proxies (e.g. trusted_proxies = [\"10.0.0.0/8\"]); only their \
                 requests may name the client address, since any client can send the header"
            ),
            Some(name) if name == "forwarded" => ProxyHeader::Forwarded,
            Some(name) => ProxyHeader::List(
                axum::http::HeaderName::try_from(name.as_str()).with_context(|| {
                    format!("http.client_ip_header `{name}` is not a header name")
                })?,
            ),
            None => ProxyHeader::List(axum::http::HeaderName::from_static("x-forwarded-for")),
        };
        Ok(TrustedProxies::new(header, networks))
    }

    /// The limits, each checked against its range.
    pub(super) fn checked_limits(&self) -> anyhow::Result<HttpLimits> {
        if !(1024..=16 * 1024 * 1024).contains(&self.max_body_bytes) {
            bail!(
                "http.max_body_bytes must be between 1024 and 16777216; got {}",
                self.max_body_bytes
            );
        }
        // hyper's read buffer cannot be smaller than 8 KiB; 1 MiB is far beyond any browser.
        if !(8 * 1024..=1024 * 1024).contains(&self.max_header_bytes) {
            bail!(
                "http.max_header_bytes must be between 8192 and 1048576; got {}",
                self.max_header_bytes
            );
        }
        for (name, value) in [
            (
                "http.header_read_timeout_secs",
                self.header_read_timeout_secs,
            ),
            ("http.body_read_timeout_secs", self.body_read_timeout_secs),
        ] {
            if value == 0 || value > 600 {
                bail!("{name} must be between 1 and 600; got {value}");
            }
        }
        Ok(self.limits())
    }
}
