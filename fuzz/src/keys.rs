//! Signing keys for the token targets, generated once per fuzzing process (no key is kept in
//! the repository). Tokens in the `jwt_verify` seeds therefore name keys the process does not
//! have and exercise the parsing and key lookup; `jwt_claims` signs each input with these keys
//! and exercises the signature check and the claims reader.

use auth_jose::{JwkSet, KeyMaterial, KeySet, SigningAlgorithm};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::OnceLock;

/// The three keys, RS256, ES256 and EdDSA, as the server holds them.
pub fn signing_keys() -> &'static [KeyMaterial] {
    static KEYS: OnceLock<Vec<KeyMaterial>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ]
        .into_iter()
        .map(|algorithm| KeyMaterial::generate(algorithm, 2048).unwrap().0)
        .collect()
    })
}

/// The public keys, as the server publishes them.
pub fn jwks() -> JwkSet {
    JwkSet {
        keys: signing_keys().iter().map(|key| key.jwk().clone()).collect(),
    }
}

/// The public keys parsed for verification, once.
pub fn key_set() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::from_jwks(&jwks()))
}

/// A compact JWS of `payload` under `header` (both as given, JSON or not), signed with `key`.
pub fn sign(key: &KeyMaterial, header: &[u8], payload: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = key.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
