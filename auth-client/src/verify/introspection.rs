//! Introspection mode ([RFC 7662](https://www.rfc-editor.org/rfc/rfc7662)): after the offline
//! checks, ask the authorization server whether the token is still active, so a revocation is
//! seen within the cache TTL instead of at the token's expiry.
//!
//! Answers are cached under the SHA-256 of the token (never the token itself), for the
//! configured TTL but never past the token's `exp`.

use crate::clock::{Clock, from_unix, later};
use crate::credentials::ClientCredentials;
use crate::transport::{FetchError, send_json};
use auth_proto::introspection::IntrospectionResponse;
use aws_lc_rs::digest::{SHA256, digest};
use reqwest::header::AUTHORIZATION;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

type TokenHash = [u8; 32];

pub(crate) struct Introspector {
    endpoint: String,
    credentials: ClientCredentials,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    answers: Mutex<HashMap<TokenHash, (bool, SystemTime)>>,
}

impl Introspector {
    pub fn new(
        endpoint: String,
        credentials: ClientCredentials,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
        ttl: Duration,
    ) -> Self {
        Self {
            endpoint,
            credentials,
            http,
            clock,
            ttl,
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the server considers `token` (which expires at `exp`) active.
    pub async fn is_active(&self, token: &str, exp: i64) -> Result<bool, FetchError> {
        let hash = hash(token);
        let now = self.clock.now();
        if let Some((active, until)) = self.lock().get(&hash)
            && now < *until
        {
            return Ok(*active);
        }
        // RFC 7662 section 2.1: a POST of `token` (and a type hint), with client
        // authentication (section 2.1 says the endpoint MUST require some).
        let request = self
            .http
            .post(&self.endpoint)
            .header(AUTHORIZATION, self.credentials.basic_authorization())
            .form(&[("token", token), ("token_type_hint", "access_token")]);
        let (answer, _): (IntrospectionResponse, _) = send_json(&self.endpoint, request).await?;
        let until = later(now, self.ttl).min(from_unix(exp));
        let mut answers = self.lock();
        if answers.len() >= SWEEP_AT {
            answers.retain(|_, (_, until)| now < *until);
            if answers.len() >= SWEEP_AT {
                answers.clear();
            }
        }
        answers.insert(hash, (answer.active, until));
        Ok(answer.active)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, (bool, SystemTime)>> {
        self.answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn hash(token: &str) -> TokenHash {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    out
}
