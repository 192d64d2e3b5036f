//! Events the server publishes about users and clients, for other services of the platform.
//!
//! The server writes each event to an outbox in the same database transaction as the change it
//! describes, then delivers it to every configured webhook and, when configured, to NATS. An
//! event may be delivered more than once (after a retry); its `id` never changes, so receivers
//! deduplicate on it.
//!
//! # Webhook deliveries
//!
//! Deliveries follow the Standard Webhooks signature scheme
//! (<https://www.standardwebhooks.com/>): a `POST` with `Content-Type: application/json`, the
//! [`Event`] as the body, and three headers:
//!
//! - [`HEADER_ID`] (`webhook-id`): the event id;
//! - [`HEADER_TIMESTAMP`] (`webhook-timestamp`): seconds since the Unix epoch at sending;
//! - [`HEADER_SIGNATURE`] (`webhook-signature`): `v1,<base64 HMAC-SHA256>` over
//!   `"{id}.{timestamp}.{body}"`, keyed with the webhook secret. The secret is written
//!   `whsec_<base64 of 24 to 64 random bytes>`; the key is the decoded bytes.
//!
//! A receiver answers 2xx once it has stored the event; anything else (or no answer within
//! ten seconds) is retried with backoff.
//!
//! # NATS
//!
//! Each event is published to `<prefix>.<type>` (for example `auth.events.user.registered`)
//! with the JSON body and the `Nats-Msg-Id` header set to the event id, so a JetStream stream
//! deduplicates redeliveries.

use serde::{Deserialize, Serialize};

/// Header carrying the event id.
pub const HEADER_ID: &str = "webhook-id";
/// Header carrying the sending time (seconds since the epoch).
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the `v1,<base64>` signatures (space-separated when there are several).
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// Prefix of webhook secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique and stable across redeliveries (a UUID).
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened, seconds since the Unix epoch.
    pub occurred_at: i64,
    /// The issuer of the server that published it.
    pub issuer: String,
    /// Details; which fields are set depends on `type`.
    pub data: EventData,
}

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A user account was created (sign-up, API registration, admin or CLI).
    #[serde(rename = "user.registered")]
    UserRegistered,
    /// Profile, e-mail address or e-mail verification changed.
    #[serde(rename = "user.updated")]
    UserUpdated,
    /// The account was disabled.
    #[serde(rename = "user.disabled")]
    UserDisabled,
    /// The account was enabled again.
    #[serde(rename = "user.enabled")]
    UserEnabled,
    /// The account was deleted.
    #[serde(rename = "user.deleted")]
    UserDeleted,
    /// A role was granted or revoked.
    #[serde(rename = "user.roles_changed")]
    UserRolesChanged,
    /// A client was created or registered.
    #[serde(rename = "client.created")]
    ClientCreated,
    /// A client was deleted.
    #[serde(rename = "client.deleted")]
    ClientDeleted,
}

impl EventType {
    /// The wire name, also the NATS subject suffix: `user.registered`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::UserUpdated => "user.updated",
            Self::UserDisabled => "user.disabled",
            Self::UserEnabled => "user.enabled",
            Self::UserDeleted => "user.deleted",
            Self::UserRolesChanged => "user.roles_changed",
            Self::ClientCreated => "client.created",
            Self::ClientDeleted => "client.deleted",
        }
    }

    /// Every kind.
    pub const ALL: [EventType; 8] = [
        Self::UserRegistered,
        Self::UserUpdated,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::UserDeleted,
        Self::UserRolesChanged,
        Self::ClientCreated,
        Self::ClientDeleted,
    ];

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// What an event is about. User events set `user_id` (and, except for `user.deleted`, the
/// user's state after the change); client events set `client_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    /// The user (user events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's e-mail address after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether that address is confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's roles after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Whether the account is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// The client (client events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_by_their_wire_names() {
        for kind in EventType::ALL {
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("user.exploded"), None);
    }
}
