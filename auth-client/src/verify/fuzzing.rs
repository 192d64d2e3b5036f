//! Token verification against a fixed key set, for the fuzz targets in `fuzz/` only.
//!
//! Hidden, and not part of the supported API: [`Verifier`](super::Verifier) is the way to trust
//! a token. The fuzzers need the same header parser, signature check and claims reader without a
//! server to fetch keys from, so this runs exactly the steps of `Verifier::verify` with keys
//! given up front.

use super::jwt::{self, Expectations, Unverified};
use super::keys::{VerifyingKey, parse_key};
use super::{Claims, VerifyError};
use auth_proto::jwk::JwkSet;
use std::collections::HashMap;
use std::time::Duration;

/// Verification keys parsed once from a JWK set; unusable keys are left out, as
/// `Verifier` leaves them out.
pub struct FixedKeys {
    keys: HashMap<String, VerifyingKey>,
}

impl FixedKeys {
    /// Parses the usable keys of `jwks`.
    pub fn new(jwks: &JwkSet) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.kid.clone(), parse_key(jwk)?)))
            .collect();
        Self { keys }
    }

    /// Verifies `token` as `Verifier::verify` does (without introspection), with a leeway of
    /// 60 s.
    pub fn verify(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        now: i64,
    ) -> Result<Claims, VerifyError> {
        let unverified = Unverified::parse(token)?;
        let key = self
            .keys
            .get(&*unverified.kid)
            .ok_or_else(|| VerifyError::UnknownKey(unverified.kid.to_string()))?;
        let raw = unverified.verify(key)?;
        jwt::check(
            raw,
            &Expectations {
                issuer,
                audience,
                now,
                leeway: Duration::from_secs(60),
            },
        )
    }
}
