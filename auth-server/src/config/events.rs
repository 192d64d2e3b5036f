//! `[events]`: where user and client events go (Standard Webhooks, NATS) and the outbox poll.

use super::secret::{Secret, SecretUrl};
use anyhow::{Context, bail};
use auth_core::events::nats::valid_subject_prefix;
use auth_core::events::webhook::Webhook;
use auth_core::events::{Destination, WebhookSecret};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[events]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Endpoints that receive every event (Standard Webhooks).
    pub webhooks: Vec<WebhookConfig>,
    /// `nats://host:4222`: also publish every event to NATS.
    pub nats_url: Option<SecretUrl>,
    /// Events go to `<prefix>.<type>`.
    pub nats_subject_prefix: String,
    /// Seconds between outbox polls (new events and retries).
    pub poll_interval_secs: u64,
}

/// One entry of `events.webhooks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// HTTPS endpoint (http only on loopback).
    pub url: String,
    /// `whsec_<base64 of 24 to 64 bytes>`.
    pub secret: Secret,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            webhooks: Vec::new(),
            nats_url: None,
            nats_subject_prefix: "auth.events".into(),
            poll_interval_secs: 5,
        }
    }
}

/// Validated event settings.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// Where every event goes (webhooks, then NATS).
    pub destinations: Vec<Destination>,
    /// NATS URL and subject prefix.
    pub nats: Option<(SecretUrl, String)>,
    /// Outbox poll interval.
    pub poll_interval: Duration,
}

impl EventsConfig {
    /// The destinations and poll interval, checked.
    pub(super) fn settings(&self) -> anyhow::Result<EventSettings> {
        let mut destinations = Vec::new();
        for (i, hook) in self.webhooks.iter().enumerate() {
            let setting = format!("events.webhooks[{i}]");
            let url = url::Url::parse(&hook.url)
                .with_context(|| format!("{setting}.url `{}` is not a URL", hook.url))?;
            let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                bail!("{setting}.url must use https (http only on loopback)");
            }
            let secret = WebhookSecret::parse(hook.secret.expose())
                .map_err(|e| anyhow::anyhow!("{setting}.secret {e}"))?;
            let destination = Destination::Webhook(Webhook::new(url, secret));
            if destinations
                .iter()
                .any(|d: &Destination| d.name() == destination.name())
            {
                bail!("{setting}.url `{}` is listed twice", hook.url);
            }
            destinations.push(destination);
        }
        if !valid_subject_prefix(&self.nats_subject_prefix) {
            bail!(
                "events.nats_subject_prefix `{}` is not a NATS subject prefix (dot-separated \
                 tokens without spaces, `*` or `>`)",
                self.nats_subject_prefix
            );
        }
        let nats = match &self.nats_url {
            Some(url) if url.starts_with("nats://") => {
                destinations.push(Destination::Nats);
                Some((url.clone(), self.nats_subject_prefix.clone()))
            }
            Some(url) => bail!("events.nats_url `{url}` must start with nats://"),
            None => None,
        };
        if self.poll_interval_secs == 0 {
            bail!("events.poll_interval_secs must be at least 1");
        }
        Ok(EventSettings {
            destinations,
            nats,
            poll_interval: Duration::from_secs(self.poll_interval_secs),
        })
    }
}
