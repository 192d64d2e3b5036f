//! NATS deliveries: each event is published to `<prefix>.<type>` with the JSON body and the
//! `Nats-Msg-Id` header set to the event id, so a JetStream stream capturing the subjects
//! drops redeliveries within its duplicate window.
//!
//! A publish counts as delivered once it is flushed to the server (core NATS gives no receipt
//! beyond that). The client reconnects on its own after a failure, including when the server
//! is down at start-up; a publish that cannot be flushed within ten seconds is retried later.

use std::time::Duration;

/// How long a publish may take to reach the server.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `prefix` is a valid subject prefix: dot-separated tokens of printable characters
/// other than the wildcards `*` and `>`.
pub fn valid_subject_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|token| {
            !token.is_empty()
                && token
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '*' && c != '>')
        })
}

/// A connection to NATS and the subject prefix.
#[derive(Clone)]
pub struct NatsPublisher {
    client: async_nats::Client,
    prefix: String,
}

impl std::fmt::Debug for NatsPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsPublisher")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl NatsPublisher {
    /// Starts connecting to `url` (`nats://host:4222`); returns at once, so a server that is
    /// down does not stop start-up. Fails only on an invalid URL.
    pub async fn connect(url: &str, prefix: String) -> Result<Self, String> {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self { client, prefix })
    }

    /// Publishes `body` (the event `id` of wire type `kind`) and waits until it is flushed.
    pub async fn publish(&self, id: &str, kind: &str, body: &str) -> Result<(), String> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        let subject = format!("{}.{kind}", self.prefix);
        let publish = async {
            self.client
                .publish_with_headers(subject, headers, body.to_owned().into())
                .await
                .map_err(|e| e.to_string())?;
            self.client.flush().await.map_err(|e| e.to_string())
        };
        tokio::time::timeout(FLUSH_TIMEOUT, publish)
            .await
            .map_err(|_| "NATS did not take the message within 10 seconds".to_owned())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_prefixes_are_tokens_without_wildcards() {
        for ok in ["auth.events", "auth", "a-b_c.d1"] {
            assert!(valid_subject_prefix(ok), "{ok}");
        }
        for bad in [
            "",
            "auth.",
            ".auth",
            "auth..events",
            "auth.*",
            "auth.>",
            "a b",
        ] {
            assert!(!valid_subject_prefix(bad), "{bad}");
        }
    }
}
