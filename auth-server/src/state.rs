//! What every handler can reach.

use crate::config::{EventSettings, HttpLimits, RegistrationSetting, Settings};
use crate::discovery::Discovery;
use crate::pages::DEFAULT_STYLESHEET;
use auth_core::Provider;
use auth_core::mail::transport::MailTransport;
use auth_core::registration::{RegistrationMode, RegistrationPolicy};
use lettre::message::Mailbox;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;

/// Shared state of the HTTP server. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The authorization server.
    pub provider: Provider,
    /// Pre-rendered discovery metadata.
    pub discovery: Arc<Discovery>,
    /// The Prometheus registry.
    pub metrics: PrometheusHandle,
    /// How often to re-read the signing keys.
    pub key_refresh_interval: Duration,
    /// Settings of the pages and registration.
    pub web: Arc<WebSettings>,
    /// Outgoing mail delivery.
    pub mail: Arc<MailDelivery>,
    /// Where events go.
    pub events: Arc<EventSettings>,
}

/// How queued mail leaves the server.
pub struct MailDelivery {
    /// The transport.
    pub transport: MailTransport,
    /// The sender.
    pub from: Mailbox,
    /// How often the worker polls the outbox.
    pub poll_interval: Duration,
}

/// Settings the HTTP layer needs beyond the provider's.
#[derive(Debug)]
pub struct WebSettings {
    /// Name on the pages.
    pub product_name: String,
    /// The stylesheet served at `/static/auth.css`.
    pub stylesheet: String,
    /// Header with the client address, behind a proxy.
    pub client_ip_header: Option<String>,
    /// Request size and time limits.
    pub http: HttpLimits,
    /// Whether sign-up is offered.
    pub signup_enabled: bool,
    /// Dynamic client registration.
    pub registration: RegistrationPolicy,
}

impl AppState {
    /// Builds the state for `provider` with the server `settings`.
    pub fn new(provider: Provider, settings: &Settings) -> anyhow::Result<Self> {
        let mode = match &settings.registration {
            RegistrationSetting::Open => RegistrationMode::Open,
            RegistrationSetting::Disabled => RegistrationMode::Disabled,
            RegistrationSetting::Token(token) => {
                RegistrationMode::InitialAccessToken(provider.hasher().hash(token))
            }
        };
        let web = WebSettings {
            product_name: settings.product_name.clone(),
            stylesheet: settings
                .stylesheet
                .clone()
                .unwrap_or_else(|| DEFAULT_STYLESHEET.to_owned()),
            client_ip_header: settings.client_ip_header.clone(),
            http: settings.http,
            signup_enabled: settings.signup_enabled,
            registration: RegistrationPolicy {
                mode,
                allowed_scope: settings.registration_scope.clone(),
            },
        };
        let discovery = Arc::new(Discovery::new(provider.settings(), &web));
        let mail = MailDelivery {
            transport: crate::startup::mail_transport(settings)?,
            from: settings.mail.from.clone(),
            poll_interval: settings.mail.poll_interval,
        };
        Ok(Self {
            provider,
            discovery,
            metrics: crate::telemetry::metrics_handle(),
            key_refresh_interval: settings.key_refresh_interval,
            web: Arc::new(web),
            mail: Arc::new(mail),
            events: Arc::new(settings.events.clone()),
        })
    }
}
