//! Text messages. The server ships no SMS provider of its own: [`SmsSender`] is the seam, and
//! [`WebhookSmsSender`] posts each message to an HTTPS endpoint the operator runs (a small
//! bridge to their provider), signed with HMAC-SHA256 so the bridge can trust it.

use async_trait::async_trait;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use std::time::Duration;

/// A text message.
#[derive(Clone, Serialize)]
pub struct SmsMessage {
    /// Phone number, E.164.
    pub to: String,
    /// The text.
    pub text: String,
}

impl std::fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsMessage(..)")
    }
}

/// Sends text messages.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends one message.
    async fn send(&self, message: &SmsMessage) -> Result<(), String>;
}

/// Posts `{"to": ..., "text": ...}` to a URL with `X-Signature: sha256=<base64 HMAC of the body>`.
pub struct WebhookSmsSender {
    url: String,
    key: hmac::Key,
    http: reqwest::Client,
}

impl WebhookSmsSender {
    /// A sender posting to `url`, signing with `secret`.
    pub fn new(url: String, secret: &[u8]) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            url,
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            http,
        })
    }
}

/// The signature header value for `body`.
pub fn signature(key: &hmac::Key, body: &[u8]) -> String {
    format!("sha256={}", STANDARD.encode(hmac::sign(key, body)))
}

#[async_trait]
impl SmsSender for WebhookSmsSender {
    async fn send(&self, message: &SmsMessage) -> Result<(), String> {
        let body = serde_json::to_vec(message).map_err(|e| e.to_string())?;
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-signature", signature(&self.key, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the SMS webhook answered {}", response.status()))
        }
    }
}
