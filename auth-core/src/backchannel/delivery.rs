//! The delivery worker: claims due logout notices, signs a logout token for each, posts it to
//! the client's `backchannel_logout_uri` (section 2.5) and records the outcome. A 2xx answer is
//! a delivery (section 2.8: the RP answers 200 OK, or 400 when the token was refused); anything
//! else, or no answer within [`TIMEOUT`], is retried with the mail outbox's backoff (10 s
//! doubling) and given up after [`MAX_ATTEMPTS`], the row kept with `failed_at` and the last
//! error. A claim leases the notice, so replicas never send the same one at once, and one that
//! dies mid-send leaves it to be retried.
//!
//! The URI is the client's choice, so a post follows no redirect, reads no answer body, and
//! never connects to a loopback, private or link-local address unless the server itself runs
//! on loopback (development), as for `jwks_uri` fetches (`clients::keys`).

use super::{LogoutNotice, logout_token};
use crate::Provider;
use crate::clients::ClientId;
use crate::clients::keys::{is_public, public_only_resolver, without_url};
use crate::mail::outbox::backoff_secs;
use crate::store::StoreError;
use auth_proto::logout::LOGOUT_TOKEN_PARAM;
use std::net::IpAddr;
use std::time::Duration;

/// Failed attempts after which a notice is given up: 10 s doubling to an hour adds up to about
/// three and a half hours of trying, longer than any session a client keeps for a user who
/// has logged out should survive unnoticed, and short enough not to pile up.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a client has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed notice is reserved for the claiming replica (beyond the timeout).
const LEASE_SECS: i64 = 60;
/// Notices handled per batch.
const BATCH: u32 = 20;

/// Posts logout tokens.
#[derive(Clone)]
pub struct LogoutSender {
    http: reqwest::Client,
    allow_private: bool,
}

impl LogoutSender {
    /// A sender with a ten-second timeout and no redirects; `allow_private` lets it reach
    /// loopback and private addresses (a server on loopback, in development and tests).
    pub fn new(allow_private: bool) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(public_only_resolver(allow_private))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            allow_private,
        })
    }

    /// Posts `token` to `uri` as `application/x-www-form-urlencoded` (section 2.5).
    async fn post(&self, uri: &str, token: &str) -> Result<(), String> {
        let url = url::Url::parse(uri).map_err(|_| "the URI is not a URL".to_owned())?;
        // An address in the URL is never resolved, so the resolver cannot check it.
        if let Some(ip) = url
            .host_str()
            .and_then(|host| host.trim_matches(['[', ']']).parse::<IpAddr>().ok())
            && !self.allow_private
            && !is_public(ip)
        {
            return Err("the URI names a non-public address".to_owned());
        }
        let response = self
            .http
            .post(url)
            .form(&[(LOGOUT_TOKEN_PARAM, token)])
            .send()
            .await
            .map_err(|e| format!("the request failed ({})", without_url(&e)))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!(
                "the client answered {}",
                response.status().as_u16()
            ))
        }
    }
}

/// Sends every due notice once. Returns how many were delivered.
pub async fn deliver_due(provider: &Provider, sender: &LogoutSender) -> Result<usize, StoreError> {
    let mut delivered = 0;
    loop {
        let now = provider.clock().unix();
        let batch = provider
            .store()
            .claim_due_logouts(now, LEASE_SECS, BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(delivered);
        }
        for notice in batch {
            let outcome = send(provider, sender, &notice).await?;
            let now = provider.clock().unix();
            match outcome {
                Outcome::Delivered => {
                    provider.store().logout_delivered(&notice.id, now).await?;
                    metrics::counter!("auth_backchannel_logouts_delivered_total").increment(1);
                    delivered += 1;
                }
                Outcome::Failed(error) => failed(provider, &notice, &error, false, now).await?,
                Outcome::Pointless(error) => failed(provider, &notice, &error, true, now).await?,
            }
        }
    }
}

/// Records a failed attempt: retried later, or given up after [`MAX_ATTEMPTS`] or when
/// `pointless`.
async fn failed(
    provider: &Provider,
    notice: &LogoutNotice,
    error: &str,
    pointless: bool,
    now: i64,
) -> Result<(), StoreError> {
    let attempts = notice.attempts + 1;
    let give_up = pointless || attempts >= MAX_ATTEMPTS;
    provider
        .store()
        .logout_failed(
            &notice.id,
            attempts,
            now + backoff_secs(attempts),
            error,
            give_up.then_some(now),
        )
        .await?;
    metrics::counter!("auth_backchannel_logouts_failures_total").increment(1);
    let (id, client) = (&notice.id, &notice.client_id);
    if give_up {
        tracing::error!(%id, %client, attempts, %error, "gave up a back-channel logout");
    } else {
        tracing::warn!(%id, %client, attempts, %error, "back-channel logout failed; will retry");
    }
    Ok(())
}

/// What one attempt came to.
enum Outcome {
    /// The client answered 2xx.
    Delivered,
    /// Worth retrying.
    Failed(String),
    /// Never worth retrying: the client no longer wants to be told.
    Pointless(String),
}

async fn send(
    provider: &Provider,
    sender: &LogoutSender,
    notice: &LogoutNotice,
) -> Result<Outcome, StoreError> {
    let client = match ClientId::parse(&notice.client_id) {
        Ok(id) => provider.store().client(&id).await?,
        Err(_) => None,
    };
    let Some(client) = client else {
        return Ok(Outcome::Pointless("the client is deleted".to_owned()));
    };
    let Some(uri) = client.backchannel.uri.clone() else {
        return Ok(Outcome::Pointless(
            "the client no longer registers a backchannel_logout_uri".to_owned(),
        ));
    };
    let now = provider.clock().unix();
    let ring = provider.keys().ring();
    let Some(key) = ring.signing_key(now) else {
        return Ok(Outcome::Failed("no signing key is active".to_owned()));
    };
    let token = match logout_token(provider, key, &client, notice, now) {
        Ok(token) => token,
        Err(e) => return Ok(Outcome::Failed(format!("cannot sign: {e}"))),
    };
    Ok(match sender.post(&uri, &token).await {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Failed(e),
    })
}

/// Runs the worker until the task is dropped, looking for due notices every `poll`.
pub async fn run(provider: Provider, sender: LogoutSender, poll: Duration) {
    loop {
        if let Err(e) = deliver_due(&provider, &sender).await {
            tracing::error!(error = %e, "cannot read the back-channel logout outbox");
        }
        tokio::time::sleep(poll).await;
    }
}
