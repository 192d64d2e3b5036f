//! The audit log: security events in the database, readable through the admin API. Failures
//! are also logged with `tracing`. Recording never fails the operation it describes: an
//! unwritable audit entry is logged as an error instead.

use crate::Provider;
use crate::store::{AuditEvent, AuditFilter, StoreError};
use crate::users::UserId;
use serde_json::{Map, Value};

/// An event being recorded.
#[derive(Debug, Clone)]
pub struct Entry {
    event: &'static str,
    success: bool,
    user_id: Option<String>,
    client_id: Option<String>,
    actor: Option<String>,
    ip: Option<String>,
    details: Map<String, Value>,
    outcome_in_metrics: bool,
}

impl Entry {
    /// A successful `event`.
    pub fn new(event: &'static str) -> Self {
        Self {
            event,
            success: true,
            user_id: None,
            client_id: None,
            actor: None,
            ip: None,
            details: Map::new(),
            outcome_in_metrics: true,
        }
    }

    /// Marks the event a failure.
    pub fn failure(mut self) -> Self {
        self.success = false;
        self
    }

    /// Marks an event anyone can cause about an e-mail address (sign-up, password reset,
    /// verification resend): its outcome depends on whether the address has an account, which
    /// the answer hides, so the metric counts the request (`outcome="requested"`) and only the
    /// audit log (admin-only) keeps the outcome.
    pub fn about_an_address(mut self) -> Self {
        self.outcome_in_metrics = false;
        self
    }

    /// The user concerned.
    pub fn user(mut self, user: &UserId) -> Self {
        self.user_id = Some(user.to_string());
        self
    }

    /// The client concerned.
    pub fn client(mut self, client: &str) -> Self {
        self.client_id = Some(client.to_owned());
        self
    }

    /// Who acted, when not the user.
    pub fn actor(mut self, actor: &str) -> Self {
        self.actor = Some(actor.to_owned());
        self
    }

    /// Client address.
    pub fn ip(mut self, ip: &str) -> Self {
        if !ip.is_empty() {
            self.ip = Some(ip.to_owned());
        }
        self
    }

    /// A detail (never a secret or an e-mail address).
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }
}

/// Appends `entry` to the audit log.
pub async fn record(provider: &Provider, entry: Entry) {
    let outcome = if entry.success { "success" } else { "failure" };
    if !entry.success {
        tracing::warn!(
            event = entry.event,
            user = entry.user_id.as_deref().unwrap_or("-"),
            client = entry.client_id.as_deref().unwrap_or("-"),
            "security event failed"
        );
    }
    let metric_outcome = if entry.outcome_in_metrics {
        outcome
    } else {
        "requested"
    };
    metrics::counter!("auth_audit_events_total", "event" => entry.event, "outcome" => metric_outcome)
        .increment(1);
    let event = AuditEvent {
        id: uuid::Uuid::now_v7().to_string(),
        at: provider.clock().unix(),
        event: entry.event.to_owned(),
        outcome: outcome.to_owned(),
        user_id: entry.user_id,
        client_id: entry.client_id,
        actor: entry.actor,
        ip: entry.ip,
        details: Value::Object(entry.details).to_string(),
    };
    if let Err(e) = provider.store().insert_audit(&event).await {
        tracing::error!(error = %e, event = %event.event, "cannot write to the audit log");
    }
}

/// Reads events, newest first.
pub async fn list(
    provider: &Provider,
    filter: &AuditFilter,
) -> Result<Vec<AuditEvent>, StoreError> {
    provider.store().audit_events(filter).await
}
