//! Requests to upstream providers, under the rules for URLs the server reaches but does not
//! control (the same as for clients' URLs, `clients::keys`): https only, a ten-second timeout,
//! no redirects followed, no proxy from the environment, at most [`MAX_BODY_BYTES`] read, and
//! never a loopback, private or link-local address, unless the server itself runs on loopback
//! (development and tests), where http and any address are allowed. Errors are for the log and
//! never repeat the URL or the body.

use crate::clients::keys::{client_url_http, is_public, without_url};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::net::IpAddr;
use std::time::Duration;

/// Largest answer read from an upstream.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client for upstream providers.
pub struct Outbound {
    http: Result<reqwest::Client, String>,
    allow_private: bool,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

/// How the client authenticates at a token endpoint (RFC 6749 section 2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the form-encoded id and secret.
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
}

impl Outbound {
    /// A client; `allow_private` for a server on loopback.
    pub fn new(allow_private: bool) -> Self {
        let http = client_url_http(TIMEOUT, allow_private).map_err(|e| {
            tracing::error!(error = %e, "cannot build the HTTP client for upstream providers");
            "the server's HTTP client is unavailable".to_owned()
        });
        Self {
            http,
            allow_private,
        }
    }

    /// Checks `url` against the rules before anything is sent.
    pub fn check_url(&self, url: &str) -> Result<url::Url, String> {
        let parsed = url::Url::parse(url).map_err(|_| "not a URL".to_owned())?;
        let https = parsed.scheme() == "https";
        if !(https || (self.allow_private && parsed.scheme() == "http")) {
            return Err("only https URLs are reached".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("URLs with credentials are not reached".into());
        }
        let host = parsed.host_str().unwrap_or_default();
        // An address in the URL is never resolved, so the resolver cannot check it.
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>()
            && !self.allow_private
            && !is_public(ip)
        {
            return Err("the URL names a non-public address".into());
        }
        Ok(parsed)
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        self.http.as_ref().map_err(Clone::clone)
    }

    /// GETs a JSON document, with `bearer` as the access token if given.
    pub async fn get_json(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<serde_json::Value, String> {
        let url = self.check_url(url)?;
        let mut request = self
            .client()?
            .get(url)
            .header("accept", "application/json")
            // GitHub's API refuses requests without a User-Agent.
            .header("user-agent", "auth-server");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("the request failed ({})", without_url(&e)))?;
        let (status, body) = read(response).await?;
        if !status.is_success() {
            return Err(format!("it answered {}", status.as_u16()));
        }
        body
    }

    /// POSTs a form to a token endpoint with the client's credentials; the JSON answer and
    /// its status (an error answer of RFC 6749 section 5.2 is JSON too).
    pub async fn post_token(
        &self,
        url: &str,
        form: &[(&str, &str)],
        client_id: &str,
        client_secret: &str,
        auth: ClientAuth,
    ) -> Result<(u16, serde_json::Value), String> {
        let url = self.check_url(url)?;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self
            .client()?
            .post(url)
            .header("accept", "application/json")
            .header("user-agent", "auth-server");
        match auth {
            ClientAuth::Basic => {
                // RFC 6749 section 2.3.1: the id and secret are form-encoded before Basic.
                let encode = |s: &str| -> String {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
                };
                let credentials = format!("{}:{}", encode(client_id), encode(client_secret));
                request = request.header(
                    "authorization",
                    format!("Basic {}", STANDARD.encode(credentials)),
                );
            }
            ClientAuth::Post => {
                fields.push(("client_id", client_id));
                fields.push(("client_secret", client_secret));
            }
        }
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the request failed ({})", without_url(&e)))?;
        let (status, body) = read(response).await?;
        Ok((status.as_u16(), body?))
    }
}

async fn read(
    mut response: reqwest::Response,
) -> Result<(reqwest::StatusCode, Result<serde_json::Value, String>), String> {
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the answer failed ({})", without_url(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("the answer is larger than {MAX_BODY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let json = serde_json::from_slice(&body)
        .map_err(|_| format!("the answer (status {}) is not JSON", status.as_u16()));
    Ok((status, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_production_server_reaches_only_public_https_urls() {
        let production = Outbound::new(false);
        for refused in [
            "http://idp.example.com/token",
            "https://127.0.0.1/token",
            "https://[::1]/token",
            "https://169.254.169.254/latest",
            "https://user:pass@idp.example.com/token",
            "ftp://idp.example.com/",
        ] {
            assert!(production.check_url(refused).is_err(), "{refused}");
        }
        assert!(
            production
                .check_url("https://idp.example.com/token")
                .is_ok()
        );
        let development = Outbound::new(true);
        assert!(development.check_url("http://127.0.0.1:8080/token").is_ok());
    }
}
