//! The delivery worker: claims due deliveries from the outbox, sends each to its destination,
//! and records the outcome. Each destination of an event retries on its own with the mail
//! outbox's backoff (10 s doubling to an hour, given up after about two days, the row kept with
//! `failed_at` and the last error). A claim leases the delivery, so replicas never send the
//! same one at once, and one that dies mid-send leaves it to be retried.

use super::Destination;
use super::nats::NatsPublisher;
use super::webhook::WebhookSender;
use crate::Provider;
use crate::mail::outbox::{MAX_ATTEMPTS, backoff_secs};
use crate::store::{QueuedDelivery, StoreError};
use std::time::Duration;

/// How long a claimed delivery is reserved for the claiming replica (beyond the send timeout).
const LEASE_SECS: i64 = 60;
/// Deliveries handled per batch.
const BATCH: u32 = 20;

/// The configured destinations and what sends to them.
#[derive(Clone)]
pub struct Sinks {
    destinations: Vec<Destination>,
    webhooks: WebhookSender,
    nats: Option<NatsPublisher>,
}

impl Sinks {
    /// Sinks for `destinations`; `nats` must be given when one of them is NATS.
    pub fn new(
        destinations: Vec<Destination>,
        nats: Option<NatsPublisher>,
    ) -> Result<Self, String> {
        Ok(Self {
            destinations,
            webhooks: WebhookSender::new()?,
            nats,
        })
    }

    /// Sends one delivery.
    async fn send(
        &self,
        destination: &Destination,
        delivery: &QueuedDelivery,
        now: i64,
    ) -> Result<(), String> {
        match (destination, &self.nats) {
            (Destination::Webhook(hook), _) => {
                self.webhooks
                    .send(hook, &delivery.event_id, &delivery.payload, now)
                    .await
            }
            (Destination::Nats, Some(nats)) => {
                nats.publish(&delivery.event_id, &delivery.event_type, &delivery.payload)
                    .await
            }
            (Destination::Nats, None) => Err("NATS is not configured".to_owned()),
        }
    }
}

/// Sends every due delivery once. Returns how many were delivered.
pub async fn deliver_due(provider: &Provider, sinks: &Sinks) -> Result<usize, StoreError> {
    let mut delivered = 0;
    loop {
        let now = provider.clock().unix();
        let mut batch = provider
            .store()
            .claim_due_deliveries(now, LEASE_SECS, BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(delivered);
        }
        // Event ids are UUID v7: sorting by id sends a destination's events in order.
        batch.sort_by(|a, b| a.event_id.cmp(&b.event_id));
        for delivery in batch {
            let destination = sinks
                .destinations
                .iter()
                .find(|d| d.name() == delivery.destination);
            let kind = destination.map_or("unknown", Destination::kind);
            let host = match destination {
                Some(Destination::Webhook(hook)) => hook.url().host_str().unwrap_or_default(),
                _ => kind,
            };
            let result = match destination {
                Some(destination) => {
                    sinks
                        .send(destination, &delivery, provider.clock().unix())
                        .await
                }
                None => Err("the destination is no longer configured".to_owned()),
            };
            let now = provider.clock().unix();
            match result {
                Ok(()) => {
                    provider
                        .store()
                        .delivery_done(&delivery.event_id, &delivery.destination, now)
                        .await?;
                    metrics::counter!("auth_events_delivered_total", "destination_kind" => kind)
                        .increment(1);
                    delivered += 1;
                }
                Err(error) => {
                    let attempts = delivery.attempts + 1;
                    let give_up = attempts >= MAX_ATTEMPTS;
                    provider
                        .store()
                        .delivery_failed(
                            &delivery.event_id,
                            &delivery.destination,
                            attempts,
                            now + backoff_secs(attempts),
                            &error,
                            give_up.then_some(now),
                        )
                        .await?;
                    metrics::counter!("auth_events_failures_total", "destination_kind" => kind)
                        .increment(1);
                    let (id, event_type) = (&delivery.event_id, &delivery.event_type);
                    if give_up {
                        tracing::error!(%id, %event_type, destination = %host, attempts, %error, "gave up delivering an event");
                    } else {
                        tracing::warn!(%id, %event_type, destination = %host, attempts, %error, "event delivery failed; will retry");
                    }
                }
            }
        }
    }
}

/// Runs the worker until the task is dropped, looking for due deliveries every `poll`.
pub async fn run(provider: Provider, sinks: Sinks, poll: Duration) {
    loop {
        if let Err(e) = deliver_due(&provider, &sinks).await {
            tracing::error!(error = %e, "cannot read the event outbox");
        }
        tokio::time::sleep(poll).await;
    }
}
