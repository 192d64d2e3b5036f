//! Deliveries are signed here independently (aws-lc-rs HMAC over `{id}.{timestamp}.{body}`),
//! as the Standard Webhooks scheme and `auth_proto::events` describe.

use auth_client::ManualClock;
use auth_client::webhooks::{EventType, WebhookError, WebhookVerifier};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

const KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const SENT: u64 = 1_790_000_000;
const ID: &str = "0193a4e2-7c1d-7e3a-9b1f-2c4d5e6f7a8b";

fn secret(key: &[u8]) -> String {
    format!("whsec_{}", STANDARD.encode(key))
}

fn body(id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "type": "user.registered",
        "occurred_at": SENT,
        "issuer": "https://id.example.com",
        "data": {"user_id": "u1", "email": "ann@example.com", "email_verified": false},
    }))
    .unwrap()
}

fn sign(key: &[u8], id: &str, timestamp: u64, body: &[u8]) -> String {
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), &message);
    format!("v1,{}", STANDARD.encode(tag.as_ref()))
}

fn headers(id: &str, timestamp: u64, signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", id.parse().unwrap());
    headers.insert("webhook-timestamp", timestamp.to_string().parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());
    headers
}

/// A verifier for `KEY` whose clock reads `SENT + offset_secs`.
fn verifier(offset_secs: u64) -> WebhookVerifier {
    let now = UNIX_EPOCH + Duration::from_secs(SENT + offset_secs);
    WebhookVerifier::new(&secret(KEY))
        .unwrap()
        .clock(Arc::new(ManualClock::at(now)))
}

#[test]
fn a_valid_delivery_is_accepted_and_parsed() {
    let body = body(ID);
    let signature = sign(KEY, ID, SENT, &body);

    let event = verifier(10)
        .verify(&headers(ID, SENT, &signature), &body)
        .unwrap();

    assert_eq!(event.id, ID);
    assert_eq!(event.kind, EventType::UserRegistered);
    assert_eq!(event.data.user_id.as_deref(), Some("u1"));
}

#[test]
fn one_matching_signature_among_several_is_enough() {
    let body = body(ID);
    let signatures = format!(
        "v1,bm90IHRoaXMgb25l v2,whatever {}",
        sign(KEY, ID, SENT, &body)
    );

    verifier(0)
        .verify(&headers(ID, SENT, &signatures), &body)
        .unwrap();
}

#[test]
fn a_tampered_body_is_refused() {
    let body = body(ID);
    let signature = sign(KEY, ID, SENT, &body);
    let tampered = String::from_utf8(body)
        .unwrap()
        .replace("ann@", "eve@")
        .into_bytes();

    let error = verifier(0)
        .verify(&headers(ID, SENT, &signature), &tampered)
        .unwrap_err();

    assert!(matches!(error, WebhookError::BadSignature), "{error:?}");
}

#[test]
fn a_delivery_signed_with_another_secret_is_refused() {
    let body = body(ID);
    let signature = sign(b"another secret of thirty-two b..", ID, SENT, &body);

    let error = verifier(0)
        .verify(&headers(ID, SENT, &signature), &body)
        .unwrap_err();

    assert!(matches!(error, WebhookError::BadSignature), "{error:?}");
}

#[test]
fn a_stale_timestamp_is_refused() {
    let body = body(ID);
    let signature = sign(KEY, ID, SENT, &body);

    let error = verifier(301)
        .verify(&headers(ID, SENT, &signature), &body)
        .unwrap_err();

    assert!(
        matches!(error, WebhookError::StaleTimestamp { timestamp, .. } if timestamp == SENT as i64),
        "{error:?}"
    );
    verifier(300)
        .verify(&headers(ID, SENT, &signature), &body)
        .unwrap();
}

#[test]
fn a_body_whose_id_is_not_the_header_id_is_refused() {
    let body = body("another-event");
    let signature = sign(KEY, ID, SENT, &body);

    let error = verifier(0)
        .verify(&headers(ID, SENT, &signature), &body)
        .unwrap_err();

    assert!(
        matches!(&error, WebhookError::IdMismatch { header, body } if header == ID && body == "another-event"),
        "{error:?}"
    );
}

#[test]
fn a_delivery_without_a_signature_header_is_refused() {
    let body = body(ID);
    let mut headers = headers(ID, SENT, "v1,x");
    headers.remove("webhook-signature");

    let error = verifier(0).verify(&headers, &body).unwrap_err();

    assert!(
        matches!(error, WebhookError::MissingHeader("webhook-signature")),
        "{error:?}"
    );
}
