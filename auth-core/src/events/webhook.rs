//! Webhook deliveries by the Standard Webhooks scheme (see [`auth_proto::events`]): the event
//! as the JSON body, `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, the
//! signature an HMAC-SHA256 over `{id}.{timestamp}.{body}`. A 2xx answer within ten seconds
//! is a delivery; anything else is retried.

use super::WebhookSecret;
use auth_proto::events::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;

/// A configured endpoint.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: url::Url,
    secret: WebhookSecret,
}

impl Webhook {
    /// An endpoint at `url` signed with `secret`.
    pub fn new(url: url::Url, secret: WebhookSecret) -> Self {
        Self { url, secret }
    }

    /// Its URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }
}

/// The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
pub fn signature(secret: &WebhookSecret, id: &str, timestamp: i64, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose());
    let signed = format!("{id}.{timestamp}.{body}");
    format!(
        "v1,{}",
        STANDARD.encode(hmac::sign(&key, signed.as_bytes()))
    )
}

/// Posts events to webhooks.
#[derive(Clone)]
pub struct WebhookSender {
    http: reqwest::Client,
}

impl WebhookSender {
    /// A sender with a ten-second timeout and no redirects.
    pub fn new() -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http })
    }

    /// Posts `body` (the event `id`) to `hook`, signed at `timestamp`.
    pub async fn send(
        &self,
        hook: &Webhook,
        id: &str,
        body: &str,
        timestamp: i64,
    ) -> Result<(), String> {
        let response = self
            .http
            .post(hook.url.clone())
            .header("content-type", "application/json")
            .header(HEADER_ID, id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(
                HEADER_SIGNATURE,
                signature(&hook.secret, id, timestamp, body),
            )
            .body(body.to_owned())
            .send()
            .await
            // Without the URL: it is logged apart, by host only.
            .map_err(|e| e.without_url().to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
