//! The delivery worker: takes due messages from the outbox, sends them, and schedules retries
//! with exponential backoff. Replicas share the outbox; a claimed message is leased for a
//! while, so two replicas never send it at the same time, and a replica that dies mid-send
//! leaves it to be retried.

use super::Queued;
use super::transport::MailTransport;
use crate::Provider;
use crate::store::StoreError;
use lettre::message::Mailbox;
use std::time::Duration;

/// How long a claimed message is reserved for the claiming replica.
const LEASE_SECS: i64 = 60;
/// Messages handled per batch.
const BATCH: u32 = 20;
/// After this many failed attempts a message is given up: 10 s doubling to one hour, then
/// hourly, adds up to a little over two days of waiting.
pub const MAX_ATTEMPTS: i64 = 60;

/// Seconds to wait before retry `attempt` (1-based): 10 s, 20 s, 40 s, ... at most an hour.
pub fn backoff_secs(attempt: i64) -> i64 {
    let exponent = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    10_i64
        .saturating_mul(2_i64.saturating_pow(exponent))
        .min(3600)
}

/// Sends every due message once. Returns how many were sent.
pub async fn deliver_due(
    provider: &Provider,
    transport: &MailTransport,
    from: &Mailbox,
) -> Result<usize, StoreError> {
    let mut sent = 0;
    loop {
        let now = provider.clock().unix();
        let batch = provider
            .store()
            .claim_due_mail(now, LEASE_SECS, BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for queued in batch {
            let message: Result<Queued, String> = provider
                .kek()
                .open(queued.id.as_bytes(), &queued.sealed_message)
                .map_err(|e| e.to_string())
                .and_then(|json| serde_json::from_slice(&json).map_err(|e| e.to_string()));
            let result = match message {
                Ok(queued) => transport
                    .send(from, &queued.message)
                    .await
                    .map(|()| queued.uncounted)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(format!("unreadable queued message: {e}")),
            };
            let now = provider.clock().unix();
            match result {
                Ok(uncounted) => {
                    provider.store().mail_sent(&queued.id).await?;
                    // Mails that answer anyone's request about an address stay out of the
                    // count, which would tell whether it has an account.
                    if !uncounted {
                        metrics::counter!("auth_mail_sent_total").increment(1);
                    }
                    sent += 1;
                }
                Err(error) => {
                    let attempts = queued.attempts + 1;
                    let give_up = attempts >= MAX_ATTEMPTS;
                    provider
                        .store()
                        .mail_failed(
                            &queued.id,
                            attempts,
                            now + backoff_secs(attempts),
                            &error,
                            give_up.then_some(now),
                        )
                        .await?;
                    metrics::counter!("auth_mail_failures_total").increment(1);
                    if give_up {
                        tracing::error!(id = %queued.id, attempts, error = %error, "gave up delivering a mail");
                    } else {
                        tracing::warn!(id = %queued.id, attempts, error = %error, "mail delivery failed; will retry");
                    }
                }
            }
        }
    }
}

/// Runs the worker until the task is dropped: wakes when a mail is queued by this replica, and
/// at least every `poll` to pick up retries and mail queued by other replicas.
pub async fn run(provider: Provider, transport: MailTransport, from: Mailbox, poll: Duration) {
    loop {
        match deliver_due(&provider, &transport, &from).await {
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot read the mail outbox"),
        }
        let _ = tokio::time::timeout(poll, provider.mail_notify().notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_secs(1), 10);
        assert_eq!(backoff_secs(2), 20);
        assert_eq!(backoff_secs(5), 160);
        assert_eq!(backoff_secs(12), 3600);
        assert_eq!(backoff_secs(40), 3600);
    }

    #[test]
    fn a_message_is_retried_for_about_two_days() {
        let waited: i64 = (1..MAX_ATTEMPTS).map(backoff_secs).sum();
        assert!((2 * 86_400..3 * 86_400).contains(&waited), "{waited} s");
    }
}
