//! What every handler can reach.

use crate::config::{EventSettings, HttpLimits, RegistrationSetting, Settings};
use crate::discovery::Discovery;
use crate::extract::TrustedProxies;
use crate::pages::DEFAULT_STYLESHEET;
use auth_core::Provider;
use auth_core::mail::transport::MailTransport;
use auth_core::registration::{RegistrationMode, RegistrationPolicy};
use lettre::message::Mailbox;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;

/// Shared state of the HTTP server: one reference-counted pointer, cloned for every request
/// by the middleware and the handler, so a clone is a single atomic increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
pub struct Shared {
    /// The authorization server.
    pub provider: Provider,
    /// Discovery metadata, and the rendered documents.
    pub discovery: Discovery,
    /// The Prometheus registry.
    pub metrics: PrometheusHandle,
    /// How often to re-read the signing keys.
    pub key_refresh_interval: Duration,
    /// Settings of the pages and registration.
    pub web: WebSettings,
    /// Outgoing mail delivery.
    pub mail: MailDelivery,
    /// Where events go.
    pub events: EventSettings,
    /// How often the back-channel logout outbox is polled.
    pub backchannel_poll_interval: Duration,
    /// How long a client has to answer a logout token.
    pub backchannel_timeout: Duration,
    /// This server as a WebAuthn relying party, when passkeys are on.
    pub passkeys: Option<auth_core::passkeys::RelyingParty>,
    /// Upstream identity providers users may sign in with.
    pub upstreams: auth_core::upstream::Upstreams,
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
    /// The messages of the pages in every language.
    pub i18n: std::sync::Arc<crate::i18n::Catalog>,
    /// The stylesheet served at `/static/auth.css`.
    pub stylesheet: String,
    /// Proxies trusted to name the client's address.
    pub proxies: TrustedProxies,
    /// Request size and time limits.
    pub http: HttpLimits,
    /// Whether sign-up is offered.
    pub signup_enabled: bool,
    /// Dynamic client registration.
    pub registration: RegistrationPolicy,
    /// The keyed hash of the bearer token that may read `/metrics`, if one is configured.
    pub metrics_token: Option<auth_core::secrets::TokenHash>,
}

impl AppState {
    /// Builds the state for `provider` with the server `settings`.
    pub fn new(provider: Provider, settings: &Settings) -> anyhow::Result<Self> {
        let mode = match &settings.registration {
            RegistrationSetting::Open => RegistrationMode::Open,
            RegistrationSetting::Disabled => RegistrationMode::Disabled,
            RegistrationSetting::Token(token) => {
                RegistrationMode::InitialAccessToken(provider.hasher().hash(token.expose()))
            }
        };
        let web = WebSettings {
            product_name: settings.product_name.clone(),
            i18n: settings.i18n.clone(),
            stylesheet: settings
                .stylesheet
                .clone()
                .unwrap_or_else(|| DEFAULT_STYLESHEET.to_owned()),
            proxies: settings.proxies.clone(),
            http: settings.http,
            signup_enabled: settings.signup_enabled,
            registration: RegistrationPolicy {
                mode,
                allowed_scope: settings.registration_scope.clone(),
            },
            metrics_token: settings
                .metrics_token
                .as_ref()
                .map(|token| provider.hasher().hash(token.expose().trim())),
        };
        let discovery = Discovery::new(provider.settings(), &web);
        // Upstreams are reached under the outbound rules; loopback and private addresses only
        // when this server itself runs on http (loopback, development).
        let upstreams = auth_core::upstream::Upstreams::new(
            settings.upstream.clone(),
            !provider.settings().issuer.is_https(),
        );
        let mail = MailDelivery {
            transport: crate::startup::mail_transport(settings)?,
            from: settings.mail.from.clone(),
            poll_interval: settings.mail.poll_interval,
        };
        let passkeys = settings.passkeys_rp_name.as_deref().and_then(|name| {
            match auth_core::passkeys::RelyingParty::new(&provider.settings().issuer, name) {
                Ok(rp) => Some(rp),
                Err(e) => {
                    tracing::warn!(error = %e, "passkeys are off");
                    None
                }
            }
        });
        Ok(Self(Arc::new(Shared {
            provider,
            discovery,
            metrics: crate::telemetry::metrics_handle(),
            key_refresh_interval: settings.key_refresh_interval,
            web,
            mail,
            events: settings.events.clone(),
            backchannel_poll_interval: settings.backchannel_poll_interval,
            backchannel_timeout: settings.backchannel_timeout,
            passkeys,
            upstreams,
        })))
    }
}
