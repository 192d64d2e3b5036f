//! `[sms]`: the webhook that forwards text messages to an SMS provider.

use super::secret::Secret;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// `[sms]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// HTTPS endpoint that receives `{"to", "text"}` and forwards to an SMS provider.
    pub webhook_url: Option<String>,
    /// Secret for the `X-Signature` HMAC of each post.
    pub webhook_secret: Option<Secret>,
}

/// The checked SMS webhook.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    /// Where texts are posted.
    pub webhook_url: String,
    /// The key of each post's `X-Signature`.
    pub webhook_secret: Secret,
}

impl SmsConfig {
    /// The webhook, if one is configured, checked.
    pub(super) fn settings(&self) -> anyhow::Result<Option<SmsSettings>> {
        match (&self.webhook_url, &self.webhook_secret) {
            (None, _) => Ok(None),
            (Some(url), Some(secret)) if secret.expose().len() >= 16 => {
                let parsed = url::Url::parse(url)
                    .with_context(|| format!("sms.webhook_url `{url}` is not a URL"))?;
                if parsed.scheme() != "https"
                    && !matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
                {
                    bail!("sms.webhook_url must use https (http only on loopback)");
                }
                Ok(Some(SmsSettings {
                    webhook_url: url.clone(),
                    webhook_secret: secret.clone(),
                }))
            }
            (Some(_), _) => bail!(
                "sms.webhook_secret of at least 16 characters is required with sms.webhook_url"
            ),
        }
    }
}
