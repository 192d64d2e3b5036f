//! Events for other services (the contract is [`auth_proto::events`]): where they go and how
//! they reach it.
//!
//! The store writes an event in the transaction of the change it describes, with one delivery
//! row per destination known at that time ([`EventRouting`]); [`delivery`] then sends each
//! delivery on its own, to a [`webhook`] or to [`nats`], retrying with backoff. This module
//! knows nothing of SQL; the store knows nothing of HTTP or NATS.

pub mod delivery;
pub mod nats;
pub mod webhook;

use auth_proto::events::{Event, EventData, EventType};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Where events written now must be delivered, and the issuer they name. The store holds one;
/// with no destination it writes no event at all.
#[derive(Debug, Clone, Default)]
pub struct EventRouting {
    /// The issuer events carry.
    pub issuer: String,
    /// The destination names ([`Destination::name`]).
    pub destinations: Vec<String>,
}

/// A place events are delivered to.
#[derive(Debug, Clone)]
pub enum Destination {
    /// An HTTPS endpoint (Standard Webhooks).
    Webhook(webhook::Webhook),
    /// The NATS server, under a subject prefix.
    Nats,
}

impl Destination {
    /// The name stored with each delivery: `webhook:<url>` or `nats`.
    pub fn name(&self) -> String {
        match self {
            Self::Webhook(hook) => format!("webhook:{}", hook.url()),
            Self::Nats => "nats".to_owned(),
        }
    }

    /// The metrics label: `webhook` or `nats`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Webhook(_) => "webhook",
            Self::Nats => "nats",
        }
    }
}

/// A webhook signing key, written `whsec_<base64 of 24 to 64 bytes>`. Never printed.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Decodes `whsec_<base64>`; the message says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let encoded = text
            .strip_prefix(auth_proto::events::SECRET_PREFIX)
            .ok_or("must start with `whsec_`")?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| "must be `whsec_` followed by standard base64")?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(format!(
                "must decode to 24 to 64 bytes; it decodes to {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// The HMAC key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(_)")
    }
}

/// What a user event reports: the user's state after the change.
#[derive(Debug, Clone)]
pub struct UserState {
    /// E-mail address.
    pub email: String,
    /// Whether it is confirmed.
    pub email_verified: bool,
    /// Name.
    pub name: String,
    /// Roles, sorted.
    pub roles: Vec<String>,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// What an event is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A user (by id).
    User(&'a str),
    /// A client (by id).
    Client(&'a str),
}

/// Builds an event with a fresh id (UUID v7, so ids sort by time). `state` is the user's
/// state after the change, `None` for client events and `user.deleted`.
pub fn build(
    routing: &EventRouting,
    kind: EventType,
    subject: Subject<'_>,
    state: Option<UserState>,
    occurred_at: i64,
) -> Event {
    let mut data = EventData::default();
    match subject {
        Subject::User(id) => data.user_id = Some(id.to_owned()),
        Subject::Client(id) => data.client_id = Some(id.to_owned()),
    }
    if let Some(state) = state {
        data.email = Some(state.email);
        data.email_verified = Some(state.email_verified);
        data.name = Some(state.name);
        data.roles = Some(state.roles);
        data.disabled = Some(state.disabled);
    }
    Event {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        occurred_at,
        issuer: routing.issuer.clone(),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_secrets_are_whsec_and_24_to_64_bytes() {
        let ok = format!("whsec_{}", STANDARD.encode([7u8; 32]));
        assert_eq!(WebhookSecret::parse(&ok).map(|s| s.0.len()), Ok(32));
        assert!(WebhookSecret::parse(&STANDARD.encode([7u8; 32])).is_err());
        assert!(WebhookSecret::parse("whsec_not base64!").is_err());
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 16]))).is_err());
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 65]))).is_err());
        assert_eq!(
            format!("{:?}", WebhookSecret::parse(&ok)),
            "Ok(WebhookSecret(_))"
        );
    }
}
