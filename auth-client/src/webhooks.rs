//! Receiving the server's event webhooks: Standard Webhooks signatures
//! (<https://www.standardwebhooks.com/>), as [`auth_proto::events`] describes them.
//!
//! A delivery is accepted when its `webhook-timestamp` is within the tolerance of now, one of
//! the `v1,<base64>` entries of `webhook-signature` is the HMAC-SHA256 of
//! `"{webhook-id}.{webhook-timestamp}.{body}"` under the secret (compared in constant time),
//! and the body is an [`Event`] whose `id` is the `webhook-id`. Deliveries may repeat:
//! deduplicate on [`Event::id`].

pub use auth_proto::events::{
    Event, EventData, EventType, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, SECRET_PREFIX,
};

use crate::clock::{Clock, SystemClock};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The configured secret is not `whsec_<base64>` of 24 to 64 bytes.
    #[error("the webhook secret is unusable: {0}")]
    InvalidSecret(&'static str),
    /// A header is missing or not visible ASCII.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a number of seconds.
    #[error("the `webhook-timestamp` header is not a number of seconds")]
    InvalidTimestamp,
    /// Sent too long ago, or in the future: a replay, or clocks far apart.
    #[error(
        "the delivery was signed at {timestamp}, more than {tolerance_secs} s from now ({now})"
    )]
    StaleTimestamp {
        /// The header's timestamp.
        timestamp: i64,
        /// This receiver's time.
        now: i64,
        /// The tolerance in seconds.
        tolerance_secs: u64,
    },
    /// No `v1` signature matches: altered, or signed with another secret.
    #[error("no `v1` signature of the delivery matches the secret")]
    BadSignature,
    /// The signed body is not an event.
    #[error("the body is not an event: {0}")]
    InvalidBody(String),
    /// The body's `id` is not the `webhook-id` header.
    #[error("the body's id `{body}` is not the `webhook-id` header `{header}`")]
    IdMismatch {
        /// The `webhook-id` header.
        header: String,
        /// The event's `id`.
        body: String,
    },
}

/// Verifies deliveries signed with one webhook secret.
///
/// `Debug` prints no key.
///
/// ```
/// use auth_client::webhooks::{WebhookError, WebhookVerifier};
///
/// let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("webhook-id", "msg_1".parse().unwrap());
/// headers.insert("webhook-timestamp", "1614265330".parse().unwrap());
/// headers.insert("webhook-signature", "v1,bm90IGEgc2lnbmF0dXJl".parse().unwrap());
/// // Years old and wrongly signed: refused.
/// assert!(verifier.verify(&headers, br#"{"id":"msg_1"}"#).is_err());
/// # Ok::<(), WebhookError>(())
/// ```
pub struct WebhookVerifier {
    key: hmac::Key,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl WebhookVerifier {
    /// A verifier for `secret`, written `whsec_<base64>` (the prefix may be left out), with
    /// a tolerance of 5 minutes.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| WebhookError::InvalidSecret("not base64 after `whsec_`"))?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(WebhookError::InvalidSecret(
                "the key must be 24 to 64 bytes",
            ));
        }
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &bytes),
            tolerance: Duration::from_secs(300),
            clock: Arc::new(SystemClock),
        })
    }

    /// How far `webhook-timestamp` may be from now, either way (default 5 minutes).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Verifies a delivery from its headers and raw body, and parses the event.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, WebhookError> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(WebhookError::MissingHeader(name))
        };
        self.verify_parts(
            header(HEADER_ID)?,
            header(HEADER_TIMESTAMP)?,
            header(HEADER_SIGNATURE)?,
            body,
        )
    }

    /// Verifies a delivery from the values of its three headers and its raw body.
    pub fn verify_parts(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
    ) -> Result<Event, WebhookError> {
        let sent: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::InvalidTimestamp)?;
        let now = self.clock.unix();
        if now.abs_diff(sent) > self.tolerance.as_secs() {
            return Err(WebhookError::StaleTimestamp {
                timestamp: sent,
                now,
                tolerance_secs: self.tolerance.as_secs(),
            });
        }
        let mut signed = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
        signed.extend_from_slice(id.as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(timestamp.as_bytes());
        signed.push(b'.');
        signed.extend_from_slice(body);
        // Several space-separated entries (key rotation); other versions are skipped.
        // `hmac::verify` compares in constant time.
        let matched = signatures
            .split_ascii_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            .any(|tag| hmac::verify(&self.key, &signed, &tag).is_ok());
        if !matched {
            return Err(WebhookError::BadSignature);
        }
        let event: Event =
            serde_json::from_slice(body).map_err(|e| WebhookError::InvalidBody(e.to_string()))?;
        if event.id != id {
            return Err(WebhookError::IdMismatch {
                header: id.to_owned(),
                body: event.id,
            });
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, from_unix};

    /// The example of the Standard Webhooks reference libraries.
    #[test]
    fn the_reference_signature_matches() {
        let clock = Arc::new(ManualClock::at(from_unix(1_614_265_330)));
        let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap()
            .clock(clock);
        let result = verifier.verify_parts(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            br#"{"test": 2432232314}"#,
        );
        // The signature matches; the body is not an event of this server.
        assert!(
            matches!(result, Err(WebhookError::InvalidBody(_))),
            "{result:?}"
        );
        let altered = verifier.verify_parts(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            br#"{"test": 2432232315}"#,
        );
        assert!(matches!(altered, Err(WebhookError::BadSignature)));
    }

    #[test]
    fn secrets_must_be_base64_of_a_sensible_length() {
        assert!(WebhookVerifier::new("whsec_???").is_err());
        assert!(WebhookVerifier::new("whsec_c2hvcnQ=").is_err());
    }
}
