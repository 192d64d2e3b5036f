//! Webhook signature verification (`WebhookVerifier::verify_parts`, Standard Webhooks).
//!
//! Input: `webhook-id`, `webhook-timestamp`, `webhook-signature` and the body, separated by
//! `\n` (the body is the rest). The verifier's clock is fixed at the seeds' timestamp. Asserts:
//! - a delivery verifies only when one `v1,` entry of the signature header decodes to the
//!   HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret, the timestamp is within the
//!   tolerance, and the body is an event with that id;
//! - the real signature of the input's id, timestamp and body is never refused as a bad
//!   signature, and with one byte of the body changed (or a byte appended), it always is.

#![no_main]

use auth_client::ManualClock;
use auth_client::webhooks::{WebhookError, WebhookVerifier};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

/// The secret the seeds are signed with.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The verifier's time: the seeds' `webhook-timestamp`.
const NOW: u64 = 1_767_225_600;

fn verifier() -> &'static WebhookVerifier {
    static VERIFIER: OnceLock<WebhookVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(NOW));
        WebhookVerifier::new(SECRET).unwrap().clock(Arc::new(clock))
    })
}

fn key() -> hmac::Key {
    let bytes = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    hmac::Key::new(hmac::HMAC_SHA256, &bytes)
}

fuzz_target!(|data: &[u8]| {
    let mut fields = data.splitn(4, |&b| b == b'\n');
    let (Some(id), Some(timestamp), Some(signatures)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return;
    };
    let body = fields.next().unwrap_or_default();
    let (Ok(id), Ok(timestamp), Ok(signatures)) = (
        std::str::from_utf8(id),
        std::str::from_utf8(timestamp),
        std::str::from_utf8(signatures),
    ) else {
        return;
    };
    let verifier = verifier();
    let key = key();
    let signed = |body: &[u8]| {
        let mut message = format!("{id}.{timestamp}.").into_bytes();
        message.extend_from_slice(body);
        hmac::sign(&key, &message)
    };

    let tag = signed(body);
    if verifier
        .verify_parts(id, timestamp, signatures, body)
        .is_ok()
    {
        let signed_by_us = signatures
            .split_ascii_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            .any(|candidate| candidate == tag.as_ref());
        assert!(signed_by_us, "verified without the real signature");
        let sent: i64 = timestamp.trim().parse().unwrap();
        assert!(sent.abs_diff(NOW as i64) <= 300);
    }

    let real = format!("v1,{}", STANDARD.encode(tag.as_ref()));
    let genuine = verifier.verify_parts(id, timestamp, &real, body);
    assert!(
        !matches!(genuine, Err(WebhookError::BadSignature)),
        "the real signature was refused"
    );
    let mut altered = body.to_vec();
    match altered.get_mut(usize::from(*data.first().unwrap_or(&0)) % (body.len() + 1)) {
        Some(byte) => *byte ^= 0x01,
        None => altered.push(b' '),
    }
    let forged = verifier.verify_parts(id, timestamp, &real, &altered);
    assert!(
        matches!(
            forged,
            Err(WebhookError::BadSignature
                | WebhookError::InvalidTimestamp
                | WebhookError::StaleTimestamp { .. })
        ),
        "an altered body passed the signature check: {forged:?}"
    );
});
