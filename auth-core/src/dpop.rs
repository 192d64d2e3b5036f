//! DPoP at this server, [RFC 9449](https://www.rfc-editor.org/rfc/rfc9449): the checks of a
//! proof that need a clock and shared state, on top of `auth-jose`'s checks of the proof
//! itself.
//!
//! - `iat` within [`MAX_AGE_SECS`] before and [`FUTURE_SKEW_SECS`] after now (section 11.1);
//! - `jti` used once per key while the proof could be accepted, in the database every replica
//!   shares (section 11.1);
//! - when the deployment requires it, a nonce the server issued (section 8): stateless, the
//!   keyed hash of the current five-minute window, so every replica issues and accepts the
//!   same nonces without storing them; the previous window's nonce is still accepted.

use crate::Provider;
use crate::clients::assertion::first_use;
use crate::error::OAuthError;
use auth_jose::SigningAlgorithm;
use auth_jose::dpop::{self, Request};
use auth_proto::error::ErrorCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use auth_jose::dpop::{Request as ProofRequest, access_token_hash};

/// Oldest a proof may be (its `iat` before now).
pub const MAX_AGE_SECS: i64 = 300;
/// How far in the future a proof's `iat` may be (clock differences).
pub const FUTURE_SKEW_SECS: i64 = 60;
/// How long a nonce window lasts; a nonce is good for one to two windows.
pub const NONCE_WINDOW_SECS: i64 = 300;

/// Rules for DPoP.
#[derive(Debug, Clone, Default)]
pub struct DpopPolicy {
    /// Proofs must carry a nonce this server issued (section 8).
    pub require_nonce: bool,
}

/// A proof as a request presented it: the `DPoP` header, and the URL the request was made to
/// (the issuer's URL of the endpoint).
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The `DPoP` header value.
    pub proof: &'a str,
    /// The URL the client addressed.
    pub url: &'a str,
}

/// An `invalid_dpop_proof` error.
pub fn invalid(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, description)
}

/// Checks a proof for `request` (section 4.3) and returns the thumbprint of its key.
pub async fn check(
    provider: &Provider,
    proof: &str,
    request: &Request<'_>,
) -> Result<String, OAuthError> {
    check_with(provider, proof, request, &SigningAlgorithm::FROM_CLIENTS).await
}

/// [`check`], accepting only proofs signed with one of `algorithms` (FAPI 2.0 narrows them).
pub async fn check_with(
    provider: &Provider,
    proof: &str,
    request: &Request<'_>,
    algorithms: &[SigningAlgorithm],
) -> Result<String, OAuthError> {
    let proof = dpop::verify(proof, request).map_err(|e| invalid(e.to_string()))?;
    if !algorithms.contains(&proof.alg) {
        return Err(invalid(
            "the DPoP proof is signed with an algorithm this client may not use",
        ));
    }
    let now = provider.clock().unix();
    // Item 11: a proof made long ago, or far in the future, is refused.
    if proof.iat < now - MAX_AGE_SECS || proof.iat > now + FUTURE_SKEW_SECS {
        return Err(invalid(format!(
            "the DPoP proof's iat must be within {MAX_AGE_SECS} s before and {FUTURE_SKEW_SECS} s after the server's time"
        )));
    }
    // Item 10: the server's nonce, when it asks for one.
    if provider.settings().dpop.require_nonce
        && !proof
            .nonce
            .as_deref()
            .is_some_and(|nonce| nonce_is_current(provider, nonce, now))
    {
        return Err(OAuthError::new(
            ErrorCode::UseDpopNonce,
            "the DPoP proof must carry the nonce of the DPoP-Nonce header",
        ));
    }
    // Section 11.1: a proof is used once, on whichever replica.
    let remember_until = proof.iat + MAX_AGE_SECS + FUTURE_SKEW_SECS;
    if !first_use(provider, "dpop", &proof.jkt, &proof.jti, remember_until).await? {
        return Err(invalid(
            "the DPoP proof was used before: make a new one for each request",
        ));
    }
    Ok(proof.jkt)
}

/// Asks for the server's nonce before anything else is checked or recorded: a proof whose
/// (unverified) `nonce` is not current gets `use_dpop_nonce` at once, so the client's retry with
/// the nonce finds its client assertion and request object unused. Stateless; [`check`]
/// verifies the nonce again with the proof.
pub fn ask_for_nonce_first(provider: &Provider, proof: &str) -> Result<(), OAuthError> {
    if !provider.settings().dpop.require_nonce {
        return Ok(());
    }
    let nonce = crate::clients::keys::peek_claims(proof)
        .and_then(|claims| claims.get("nonce")?.as_str().map(str::to_owned));
    let now = provider.clock().unix();
    if nonce.is_some_and(|nonce| nonce_is_current(provider, &nonce, now)) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UseDpopNonce,
            "the DPoP proof must carry the nonce of the DPoP-Nonce header",
        ))
    }
}

/// Checks the proof of a POST by `client` to the endpoint at `presented.url` (the token and
/// pushed authorization request endpoints), with the algorithms the client may use.
pub async fn check_client_post(
    provider: &Provider,
    client: &crate::clients::Client,
    presented: Presented<'_>,
) -> Result<String, OAuthError> {
    let request = Request {
        method: "POST",
        url: presented.url,
        access_token: None,
    };
    let algorithms = crate::fapi::client_algorithms(provider, client);
    check_with(provider, presented.proof, &request, algorithms).await
}

/// The nonce of the window holding `now`.
fn nonce_at(provider: &Provider, now: i64) -> String {
    let window = now.div_euclid(NONCE_WINDOW_SECS);
    let hash = provider.hasher().hash(&format!("dpop-nonce\0{window}"));
    URL_SAFE_NO_PAD.encode(&hash.as_bytes()[..18])
}

/// The nonce clients should put in their next proofs (the `DPoP-Nonce` header).
pub fn nonce(provider: &Provider) -> String {
    nonce_at(provider, provider.clock().unix())
}

/// Whether `nonce` is this window's or the previous one's.
fn nonce_is_current(provider: &Provider, nonce: &str, now: i64) -> bool {
    [now, now - NONCE_WINDOW_SECS]
        .iter()
        .any(|at| nonce_at(provider, *at) == nonce)
}

/// Whether a `dpop_jkt` value is a SHA-256 thumbprint: 43 base64url characters.
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
