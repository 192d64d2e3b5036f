//! Token verification against a fixed key set, for the fuzz targets in `fuzz/` only.
//!
//! Hidden, and not part of the supported API: [`Verifier`](super::Verifier) is the way to trust
//! a token. The fuzzers need the same header rules, signature check and claims reader without a
//! server to fetch keys from, so this runs exactly the steps of `Verifier::verify` with an
//! `auth-jose` key set given up front.

use super::jwt::{self, Expectations};
use super::{Claims, VerifyError};
use auth_jose::KeySet;
use std::time::Duration;

/// Verifies `token` as `Verifier::verify` does (without introspection) against `keys`, with a
/// leeway of 60 s.
pub fn verify(
    keys: &KeySet,
    token: &str,
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, VerifyError> {
    let unverified = jwt::parse(token)?;
    let key = keys
        .get(unverified.kid())
        .ok_or_else(|| VerifyError::UnknownKey(unverified.kid().to_owned()))?;
    let raw = jwt::verify(&unverified, key)?;
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
