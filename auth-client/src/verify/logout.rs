//! Logout tokens of [OpenID Connect Back-Channel Logout 1.0](https://openid.net/specs/openid-connect-backchannel-1_0.html):
//! the authorization server posts one to a client's `backchannel_logout_uri` when a session the
//! client received tokens in ends. [`LogoutVerifier`] checks one as section 2.6 asks.

use super::{Verifier, VerifyError};
use crate::clock;
use crate::dpop::SeenProofs;
use auth_jose::SigningAlgorithm;
use auth_jose::jws::{JwsError, Rules, Typ, Unverified};
use auth_proto::logout::{BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The header rules of a logout token: the algorithms the authorization server signs with, a
/// `kid`, and `typ` `logout+jwt` (section 2.4: logout tokens SHOULD be explicitly typed; this
/// server always types them, so an untyped JWT, such as an ID token, is not taken for one).
const LOGOUT_TOKEN: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::ALL,
    typ: Typ::Is(LOGOUT_TOKEN_TYP),
    require_kid: true,
};

/// What a verified logout token says: which session ended (`sid`, as in the ID tokens issued
/// in it) or which user's sessions (`sub`, as this client sees the user). At least one is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutToken {
    /// The session at the authorization server that ended.
    pub sid: Option<String>,
    /// The user, as this client sees them.
    pub sub: Option<String>,
    /// The token's id.
    pub jti: String,
    /// When it was issued, seconds since the epoch.
    pub iat: i64,
}

/// Why a logout token was refused. Section 2.8: answer 400 (the axum endpoint does).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutTokenError {
    /// The JWS (algorithm, key, signature) or `iss`, `aud` or `exp` is refused, or the
    /// issuer's keys could not be read ([`VerifyError::is_token_error`] tells which).
    #[error(transparent)]
    Token(VerifyError),
    /// The header's `typ` is not `logout+jwt`.
    #[error("the token's type is not `logout+jwt` (Back-Channel Logout section 2.4)")]
    WrongType,
    /// A claim section 2.6 checks is missing or wrong; the message names it.
    #[error("the logout token is invalid: {0}")]
    Invalid(String),
    /// A token with this `jti` was received before.
    #[error("the logout token was received before")]
    Replayed,
}

impl LogoutTokenError {
    /// Whether the token is at fault; `false` when the issuer's keys could not be read.
    pub fn is_token_error(&self) -> bool {
        match self {
            Self::Token(error) => error.is_token_error(),
            _ => true,
        }
    }
}

/// Verifies logout tokens for one client (this service's client id is their `aud`).
///
/// Shares the [`Verifier`]'s issuer, key cache, clock and leeway; remembers the `jti` of every
/// token it accepted until the token expires, so a replayed token is refused (per process:
/// replicas of a service do not share what they saw, but ending a session that is already
/// ended changes nothing).
///
/// ```no_run
/// # async fn run(verifier: auth_client::Verifier, token: &str) {
/// use auth_client::LogoutVerifier;
///
/// let logouts = LogoutVerifier::new(verifier, "webapp");
/// match logouts.verify(token).await {
///     Ok(logout) => { /* end the sessions of logout.sid, else of logout.sub */ }
///     Err(error) => { /* answer 400 */ }
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct LogoutVerifier {
    verifier: Verifier,
    client_id: Arc<str>,
    max_age: Duration,
    seen: Arc<SeenProofs>,
}

impl std::fmt::Debug for LogoutVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogoutVerifier")
            .field("issuer", &self.verifier.issuer())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl LogoutVerifier {
    /// A verifier of logout tokens from `verifier`'s issuer for the client `client_id`.
    pub fn new(verifier: Verifier, client_id: impl Into<String>) -> Self {
        Self {
            verifier,
            client_id: client_id.into().into(),
            max_age: Duration::from_secs(300),
            seen: Arc::default(),
        }
    }

    /// Oldest `iat` accepted (default five minutes; the server's tokens live two), besides the
    /// leeway.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The client id tokens must be meant for.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Verifies `token` (the `logout_token` form parameter) as section 2.6 asks: the header
    /// (`typ` `logout+jwt`, an allowed `alg`, a `kid` the issuer publishes) and signature;
    /// `iss` the issuer, `aud` this client, `exp` not past and `iat` neither in the future nor
    /// older than the maximum age (both with the leeway); an `events` object with the
    /// back-channel logout member, itself an object; `sub`, `sid` or both; no `nonce`; and a
    /// `jti` not seen before.
    pub async fn verify(&self, token: &str) -> Result<LogoutToken, LogoutTokenError> {
        let unverified = Unverified::parse(token, &LOGOUT_TOKEN).map_err(|e| match e {
            JwsError::WrongType { .. } => LogoutTokenError::WrongType,
            other => LogoutTokenError::Token(VerifyError::from_jws(other)),
        })?;
        let inner = &self.verifier.inner;
        let verify = |key: &auth_jose::PublicKey| {
            unverified
                .verify_json::<serde_json::Map<String, Value>>(key)
                .map_err(VerifyError::from_jws)
        };
        let claims = match inner
            .keys
            .with_fresh_key(unverified.kid(), inner.clock.now(), verify)
        {
            Some(claims) => claims,
            None => {
                let key = Box::pin(inner.keys.key(unverified.kid())).await;
                key.and_then(|key| verify(key.as_ref()))
            }
        }
        .map_err(LogoutTokenError::Token)?;
        let now = clock::unix(inner.clock.now());
        let leeway = i64::try_from(inner.leeway.as_secs()).unwrap_or(60);
        let max_age = i64::try_from(self.max_age.as_secs()).unwrap_or(300);
        let logout = check(
            &claims,
            &Expected {
                issuer: &inner.issuer,
                client_id: &self.client_id,
                now,
                leeway,
                max_age,
            },
        )?;
        // Last, so a refused token spends no `jti`.
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
        if !self
            .seen
            .first_use(&self.client_id, &logout.jti, exp + leeway, now)
        {
            return Err(LogoutTokenError::Replayed);
        }
        Ok(logout)
    }
}

/// What the claims are checked against.
struct Expected<'a> {
    issuer: &'a str,
    client_id: &'a str,
    now: i64,
    leeway: i64,
    max_age: i64,
}

/// The claim checks of section 2.6 (all but the replay).
fn check(
    claims: &serde_json::Map<String, Value>,
    expect: &Expected<'_>,
) -> Result<LogoutToken, LogoutTokenError> {
    let invalid = |m: &str| LogoutTokenError::Invalid(m.to_owned());
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let iss = text("iss").ok_or_else(|| invalid("the `iss` claim is missing"))?;
    if iss != expect.issuer {
        return Err(LogoutTokenError::Token(VerifyError::WrongIssuer {
            expected: expect.issuer.to_owned(),
            found: iss,
        }));
    }
    let audience: Vec<String> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => return Err(invalid("the `aud` claim is missing")),
    };
    if !audience.iter().any(|aud| aud == expect.client_id) {
        return Err(LogoutTokenError::Token(VerifyError::WrongAudience {
            expected: expect.client_id.to_owned(),
            found: audience,
        }));
    }
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    let iat = number("iat").ok_or_else(|| invalid("the `iat` claim is missing"))?;
    if iat > expect.now + expect.leeway || iat < expect.now - expect.max_age - expect.leeway {
        return Err(invalid("the `iat` claim is outside the accepted window"));
    }
    let exp = number("exp").ok_or_else(|| invalid("the `exp` claim is missing"))?;
    // RFC 7519 section 4.1.4: the current time MUST be before `exp`.
    if expect.now >= exp.saturating_add(expect.leeway) {
        return Err(LogoutTokenError::Token(VerifyError::Expired { exp }));
    }
    // Section 2.4: `events` holds the back-channel logout member, a JSON object.
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT));
    if !event.is_some_and(Value::is_object) {
        return Err(invalid(
            "the `events` claim does not hold the back-channel logout event",
        ));
    }
    // Section 2.4: a logout token MUST contain `sub`, `sid` or both ...
    let (sub, sid) = (text("sub"), text("sid"));
    if sub.is_none() && sid.is_none() {
        return Err(invalid("the token names neither `sub` nor `sid`"));
    }
    // ... and MUST NOT contain `nonce` (so an ID token cannot pass for one).
    if claims.contains_key("nonce") {
        return Err(invalid("a logout token must not carry `nonce`"));
    }
    let jti = text("jti").ok_or_else(|| invalid("the `jti` claim is missing"))?;
    Ok(LogoutToken { sid, sub, jti, iat })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(change: Value) -> serde_json::Map<String, Value> {
        let mut claims = json!({
            "iss": "https://id.test", "aud": "webapp", "iat": 1000, "exp": 1120, "jti": "j1",
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} }, "sid": "s1", "sub": "u1",
        });
        if let (Some(object), Some(change)) = (claims.as_object_mut(), change.as_object()) {
            for (name, value) in change {
                if value.is_null() {
                    object.remove(name);
                } else {
                    object.insert(name.clone(), value.clone());
                }
            }
        }
        claims.as_object().cloned().unwrap()
    }

    fn expect(now: i64) -> Expected<'static> {
        Expected {
            issuer: "https://id.test",
            client_id: "webapp",
            now,
            leeway: 60,
            max_age: 300,
        }
    }

    #[test]
    fn a_valid_token_names_its_session_and_user() {
        let logout = check(&claims(json!({})), &expect(1010)).unwrap();
        assert_eq!(logout.sid.as_deref(), Some("s1"));
        assert_eq!(logout.sub.as_deref(), Some("u1"));
        assert!(check(&claims(json!({"sub": null})), &expect(1010)).is_ok());
        assert!(check(&claims(json!({"sid": null})), &expect(1010)).is_ok());
    }

    #[test]
    fn each_check_of_section_2_6_refuses() {
        let refused = |change: Value, now: i64| check(&claims(change), &expect(now)).unwrap_err();
        assert!(matches!(
            refused(json!({"iss": "https://evil.test"}), 1010),
            LogoutTokenError::Token(VerifyError::WrongIssuer { .. })
        ));
        assert!(matches!(
            refused(json!({"aud": ["other"]}), 1010),
            LogoutTokenError::Token(VerifyError::WrongAudience { .. })
        ));
        assert!(matches!(
            refused(json!({}), 1180),
            LogoutTokenError::Token(VerifyError::Expired { exp: 1120 })
        ));
        for (change, now, named) in [
            (json!({"sid": null, "sub": null}), 1010, "neither"),
            (json!({"nonce": "n"}), 1010, "nonce"),
            (json!({"events": {}}), 1010, "events"),
            (
                json!({"events": {BACKCHANNEL_LOGOUT_EVENT: "yes"}}),
                1010,
                "events",
            ),
            (json!({"events": null}), 1010, "events"),
            (json!({"iat": 2000, "exp": 2100}), 1010, "iat"),
            (json!({"iat": 600, "exp": 5000}), 1010, "iat"),
            (json!({"jti": null}), 1010, "jti"),
            (json!({"exp": null}), 1010, "exp"),
        ] {
            let error = refused(change.clone(), now);
            assert!(error.to_string().contains(named), "{change}: {error}");
        }
    }
}
