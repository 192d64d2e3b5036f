//! The delivery worker: claims due logout notices, signs a logout token for each, posts it to
//! the client's `backchannel_logout_uri` (section 2.5) and records the outcome. A 2xx answer is
//! a delivery (section 2.8: the RP answers 200 OK, or 400 when the token was refused); anything
//! else, or no answer within the timeout ([`DEFAULT_TIMEOUT`] unless configured), is retried
//! with the mail outbox's backoff (10 s doubling) and given up after [`MAX_ATTEMPTS`], the row
//! kept with `failed_at` and the last error.
//!
//! Posts go out concurrently, so a client that never answers holds one slot for one timeout,
//! not the queue (security review, finding 1): up to [`MAX_IN_FLIGHT`] at once per replica,
//! and at most [`PER_RECEIVER`] to one receiver. The worker claims only as many notices as it
//! has free slots, and a claimed notice is posted at once or, when its receiver already has
//! its share in flight, handed back unsent for one timeout (no attempt counted); nothing waits
//! behind another post. The claim leases a notice for one timeout plus [`LEASE_MARGIN_SECS`]
//! (the longest it can be in flight), so replicas never send the same one at once, and one that
//! dies mid-send leaves it to be retried. Claims come earliest due first; a new notice is due
//! at once, so it never waits behind retries.
//!
//! The URI is the client's choice, so a post follows no redirect, reads no answer body, and
//! never connects to a loopback, private or link-local address unless the server itself runs
//! on loopback (development), as for `jwks_uri` fetches (`clients::keys`).

use super::{LogoutNotice, logout_token};
use crate::Provider;
use crate::clients::ClientId;
use crate::clients::keys::{client_url_http, is_public, without_url};
use crate::mail::outbox::backoff_secs;
use crate::store::StoreError;
use auth_proto::logout::LOGOUT_TOKEN_PARAM;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;
use tokio::task::JoinSet;

/// Failed attempts after which a notice is given up: 10 s doubling to an hour adds up to about
/// three and a half hours of trying, longer than any session a client keeps for a user who
/// has logged out should survive unnoticed, and short enough not to pile up.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a client has to answer, unless configured: a receiver only checks a JWT and ends
/// a session, so five seconds is plenty, and a receiver that never answers holds its slots
/// no longer than that.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Posts in flight at once on one replica.
pub const MAX_IN_FLIGHT: usize = 16;
/// Posts in flight at once to one receiver, the host and port of the URI. Not per client:
/// anyone may register clients (`POST /register`), so one party with many clients pointing
/// at one slow endpoint would otherwise take every slot; a receiver serving many clients
/// (one party's) is told two at a time, one timeout each. Hosts are names, not addresses:
/// many names for one tarpit still get two slots each, bounded by [`MAX_IN_FLIGHT`] and the
/// timeout (docs/security.md, what remains open).
pub const PER_RECEIVER: usize = 2;
/// Posts in flight at once to self-registered clients (RFC 7591) together. Anyone may register
/// clients, each naming another receiver that never answers; without this share they would
/// take every slot and put every later notice behind them. With it, the clients an
/// administrator created always have `MAX_IN_FLIGHT - SELF_REGISTERED_SHARE` slots.
pub const SELF_REGISTERED_SHARE: usize = 12;
/// The lease beyond the timeout: looking the client up, signing, and recording the outcome.
const LEASE_MARGIN_SECS: i64 = 30;

/// Posts logout tokens.
#[derive(Clone)]
pub struct LogoutSender {
    http: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

impl LogoutSender {
    /// A sender with `timeout` per post, no redirects and no proxy; `allow_private` lets it
    /// reach loopback and private addresses (a server on loopback, in development and tests).
    pub fn new(allow_private: bool, timeout: Duration) -> Result<Self, String> {
        let http = client_url_http(timeout, allow_private).map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            allow_private,
            timeout,
        })
    }

    /// How long a claimed notice is reserved: the longest one post can take, plus the work
    /// around it. Each claimed notice is posted at once or handed back, never queued behind
    /// another post, so one timeout is all that is ever in flight for it.
    fn lease_secs(&self) -> i64 {
        self.timeout_secs() + LEASE_MARGIN_SECS
    }

    /// The timeout in whole seconds, rounded up.
    fn timeout_secs(&self) -> i64 {
        let secs = self.timeout.as_secs() + u64::from(self.timeout.subsec_nanos() > 0);
        i64::try_from(secs).unwrap_or(i64::MAX / 2)
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

/// The receiver a URI names, for [`PER_RECEIVER`]: its host and port (the URI itself when it
/// does not parse; its post fails at once).
fn receiver_of(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) => format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        ),
        Err(_) => uri.to_owned(),
    }
}

/// One replica's worker: the posts in flight, and how many go to each receiver.
struct Worker {
    provider: Provider,
    sender: LogoutSender,
    /// Each task posts one notice, records the outcome and returns its receiver and whether
    /// its client registered itself.
    in_flight: JoinSet<(String, bool)>,
    per_receiver: HashMap<String, usize>,
    /// Posts in flight to self-registered clients.
    self_registered: usize,
}

impl Worker {
    /// Claims due notices while there are free slots, and starts posting them. Returns how
    /// many it started.
    async fn start_due(&mut self) -> Result<usize, StoreError> {
        let mut started = 0;
        loop {
            let free = MAX_IN_FLIGHT.saturating_sub(self.in_flight.len());
            if free == 0 {
                return Ok(started);
            }
            let now = self.provider.clock().unix();
            let batch = self
                .provider
                .store()
                .claim_due_logouts(
                    now,
                    self.sender.lease_secs(),
                    u32::try_from(free).unwrap_or(u32::MAX),
                )
                .await?;
            if batch.is_empty() {
                return Ok(started);
            }
            for notice in batch {
                if self.start(notice).await? {
                    started += 1;
                }
            }
        }
    }

    /// Starts posting `notice`, or settles it at once (nothing to post), or hands it back
    /// when its receiver has its share in flight. Returns whether a post started.
    async fn start(&mut self, notice: LogoutNotice) -> Result<bool, StoreError> {
        let (uri, token, self_registered) = match prepare(&self.provider, &notice).await? {
            Prepared::Post {
                uri,
                token,
                self_registered,
            } => (uri, token, self_registered),
            Prepared::Settled(outcome) => {
                record(&self.provider, &notice, outcome).await?;
                return Ok(false);
            }
        };
        let receiver = receiver_of(&uri);
        let busy = self.per_receiver.entry(receiver.clone()).or_default();
        if *busy >= PER_RECEIVER
            || (self_registered && self.self_registered >= SELF_REGISTERED_SHARE)
        {
            // Due again once the receiver's posts in flight have had their timeout.
            let later = self.provider.clock().unix() + self.sender.timeout_secs();
            self.provider
                .store()
                .logout_deferred(&notice.id, later)
                .await?;
            return Ok(false);
        }
        *busy += 1;
        self.self_registered += usize::from(self_registered);
        let (provider, sender) = (self.provider.clone(), self.sender.clone());
        self.in_flight.spawn(async move {
            let outcome = match sender.post(&uri, &token).await {
                Ok(()) => Outcome::Delivered,
                Err(e) => Outcome::Failed(e),
            };
            if let Err(e) = record(&provider, &notice, outcome).await {
                // The lease runs out and the notice is tried again.
                tracing::error!(id = %notice.id, error = %e, "cannot record a back-channel logout");
            }
            (receiver, self_registered)
        });
        Ok(true)
    }

    /// Waits until a post finishes (freeing a slot, and its receiver's) or `poll` passes.
    async fn wait(&mut self, poll: Duration) {
        tokio::select! {
            Some(done) = self.in_flight.join_next() => {
                let (receiver, self_registered) = match done {
                    Ok(done) => done,
                    Err(e) => {
                        // A post that panicked: its receiver's count cannot be told apart, so
                        // the counts start over with the posts still in flight.
                        tracing::error!(error = %e, "a back-channel logout post failed");
                        self.per_receiver.clear();
                        self.self_registered = 0;
                        return;
                    }
                };
                self.self_registered = self.self_registered.saturating_sub(usize::from(self_registered));
                if let Some(busy) = self.per_receiver.get_mut(&receiver) {
                    *busy = busy.saturating_sub(1);
                    if *busy == 0 {
                        self.per_receiver.remove(&receiver);
                    }
                }
            }
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Records what an attempt came to.
async fn record(
    provider: &Provider,
    notice: &LogoutNotice,
    outcome: Outcome,
) -> Result<(), StoreError> {
    let now = provider.clock().unix();
    match outcome {
        Outcome::Delivered => {
            provider.store().logout_delivered(&notice.id, now).await?;
            metrics::counter!("auth_backchannel_logouts_delivered_total").increment(1);
            Ok(())
        }
        Outcome::Failed(error) => failed(provider, notice, &error, false, now).await,
        Outcome::Pointless(error) => failed(provider, notice, &error, true, now).await,
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

/// A claimed notice, ready to post or already decided.
enum Prepared {
    /// The signed logout token, where it goes, and whether the client registered itself.
    Post {
        uri: String,
        token: String,
        self_registered: bool,
    },
    /// Nothing to post.
    Settled(Outcome),
}

async fn prepare(provider: &Provider, notice: &LogoutNotice) -> Result<Prepared, StoreError> {
    let client = match ClientId::parse(&notice.client_id) {
        Ok(id) => provider.store().client(&id).await?,
        Err(_) => None,
    };
    let Some(client) = client else {
        return Ok(Prepared::Settled(Outcome::Pointless(
            "the client is deleted".to_owned(),
        )));
    };
    let Some(uri) = client.backchannel.uri.clone() else {
        return Ok(Prepared::Settled(Outcome::Pointless(
            "the client no longer registers a backchannel_logout_uri".to_owned(),
        )));
    };
    let now = provider.clock().unix();
    let ring = provider.keys().ring();
    let Some(key) = ring.signing_key(now) else {
        return Ok(Prepared::Settled(Outcome::Failed(
            "no signing key is active".to_owned(),
        )));
    };
    Ok(match logout_token(provider, key, &client, notice, now) {
        Ok(token) => Prepared::Post {
            uri,
            token,
            self_registered: client.registered_dynamically(),
        },
        Err(e) => Prepared::Settled(Outcome::Failed(format!("cannot sign: {e}"))),
    })
}

/// Runs the worker until the task is dropped (posts in flight are dropped with it; their
/// leases run out and they are tried again). It looks for due notices every `poll`, and
/// whenever a post finishes.
pub async fn run(provider: Provider, sender: LogoutSender, poll: Duration) {
    let mut worker = Worker {
        provider,
        sender,
        in_flight: JoinSet::new(),
        per_receiver: HashMap::new(),
        self_registered: 0,
    };
    loop {
        if let Err(e) = worker.start_due().await {
            tracing::error!(error = %e, "cannot read the back-channel logout outbox");
        }
        worker.wait(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receiver_is_the_host_and_port_of_the_uri() {
        assert_eq!(
            receiver_of("https://a.example.com/bc/1"),
            "a.example.com:443"
        );
        assert_eq!(
            receiver_of("https://a.example.com:443/bc/2?x=1"),
            "a.example.com:443"
        );
        assert_eq!(receiver_of("http://127.0.0.1:8090/bc"), "127.0.0.1:8090");
        assert_ne!(
            receiver_of("http://127.0.0.1:8090/bc"),
            receiver_of("http://127.0.0.1:8091/bc")
        );
        assert_eq!(receiver_of("not a url"), "not a url");
    }
}
