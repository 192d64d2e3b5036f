//! Access token verification in `auth-client` with arbitrary token strings: the header parser,
//! the key lookup, the signature check and the claims reader, against RS256, ES256 and EdDSA
//! keys generated at start (`auth_client::fuzzing::FixedKeys`, the steps of `Verifier::verify`).
//!
//! Asserts: a token is accepted only when its header names a published key of the header's
//! algorithm and the signature over `header.payload` verifies with that key (checked again
//! here with the signing side's own verifier), and its claims carry the expected issuer, an
//! audience among them, and an `exp` not past (with the 60 s leeway).

#![no_main]

use auth_client::fuzzing::FixedKeys;
use auth_fuzz::keys::{jwks, signing_keys};
use auth_fuzz::{AUDIENCE, ISSUER, NOW};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn verifier() -> &'static FixedKeys {
    static KEYS: OnceLock<FixedKeys> = OnceLock::new();
    KEYS.get_or_init(|| FixedKeys::new(&jwks()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(claims) = verifier().verify(token, ISSUER, AUDIENCE, NOW) else {
        return;
    };
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let key = signing_keys()
        .iter()
        .find(|key| key.kid() == kid)
        .unwrap_or_else(|| panic!("accepted under unknown kid {kid:?}"));
    assert_eq!(header["alg"].as_str(), Some(key.algorithm().as_str()));
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
    assert!(
        key.verify(signing_input.as_bytes(), &signature),
        "accepted without a valid signature"
    );
    assert_eq!(claims.issuer, ISSUER);
    assert!(claims.audience.iter().any(|aud| aud == AUDIENCE));
    assert!(NOW < claims.exp.saturating_add(60));
});
