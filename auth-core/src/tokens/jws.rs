//! JWS compact serialization ([RFC 7515](https://www.rfc-editor.org/rfc/rfc7515)) signed and
//! verified with the key ring; the JOSE work itself is `auth-jose`'s.
//!
//! Verification here is for the server's own tokens (introspection, userinfo, `id_token_hint`):
//! the key is the ring's key of the header's `kid`, published at the time, and the header's
//! `alg` must be that key's algorithm, so a token cannot pick a weaker one. Any `typ` passes
//! the JWS checks; the callers tell access tokens and ID tokens apart by it.

use crate::keys::{KeyRing, SigningAlgorithm, SigningKey};
use auth_jose::jws::{self, Rules, Typ, Unverified};
pub use auth_jose::jws::{Header, JwsError, MAX_TOKEN_LEN, Verified, peek_kid};
use serde::Serialize;

/// The header rules of the server's own tokens: any algorithm a ring key may have (the key
/// decides), any `typ`.
const OWN_TOKENS: Rules<'static> = Rules {
    algorithms: &SigningAlgorithm::ALL,
    typ: Typ::Any,
    require_kid: true,
};

/// Serializes and signs `claims` with `key`.
pub fn sign(key: &SigningKey, typ: &str, claims: &impl Serialize) -> Result<String, JwsError> {
    jws::sign(&key.material, typ, claims)
}

/// Verifies a compact JWS against the keys published at `now`.
pub fn verify(ring: &KeyRing, now: i64, token: &str) -> Result<Verified, JwsError> {
    let unverified = Unverified::parse(token, &OWN_TOKENS)?;
    let key = ring
        .verifying_key(unverified.kid(), now)
        .ok_or_else(|| JwsError::UnknownKey(unverified.kid().to_owned()))?;
    let payload = unverified.verify(key.material.public_key())?;
    Ok(Verified {
        header: unverified.header(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyMaterial;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::sync::Arc;

    fn key(algorithm: SigningAlgorithm, generation: i64) -> SigningKey {
        let (material, _) = KeyMaterial::generate(algorithm, 2048).unwrap();
        SigningKey {
            generation,
            activates_at: 0,
            retires_at: None,
            expires_at: None,
            material: Arc::new(material),
        }
    }

    /// Re-signs `token` with `signer` under a header naming `alg` and `kid`.
    fn resigned(signer: &SigningKey, alg: &str, kid: &str) -> String {
        let header = serde_json::to_vec(&Header {
            alg: alg.to_owned(),
            typ: Some("JWT".to_owned()),
            kid: Some(kid.to_owned()),
        })
        .unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(b"{}")
        );
        let signature = signer.material.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn a_mixed_ring_verifies_each_key_with_its_own_algorithm_only() {
        let keys: Vec<SigningKey> = [
            SigningAlgorithm::Rs256,
            SigningAlgorithm::Es256,
            SigningAlgorithm::EdDsa,
        ]
        .into_iter()
        .zip(1..)
        .map(|(algorithm, generation)| key(algorithm, generation))
        .collect();
        let ring = KeyRing::new(keys.clone());
        for signer in &keys {
            let token = sign(signer, "JWT", &serde_json::json!({"sub": "s"})).unwrap();
            let verified = verify(&ring, 0, &token).unwrap();
            assert_eq!(verified.header.alg, signer.material.algorithm().as_str());
            for other in keys.iter().filter(|k| k.kid() != signer.kid()) {
                // A header naming another key's kid with this key's alg and signature.
                let confused = resigned(signer, signer.material.algorithm().as_str(), other.kid());
                assert!(matches!(
                    verify(&ring, 0, &confused).unwrap_err(),
                    JwsError::AlgorithmMismatch { .. }
                ));
            }
        }
    }

    #[test]
    fn a_key_no_longer_published_verifies_nothing() {
        let mut signer = key(SigningAlgorithm::EdDsa, 1);
        signer.expires_at = Some(100);
        let token = sign(&signer, "JWT", &serde_json::json!({})).unwrap();
        let ring = KeyRing::new(vec![signer.clone()]);
        assert!(verify(&ring, 99, &token).is_ok());
        assert_eq!(
            verify(&ring, 100, &token).unwrap_err(),
            JwsError::UnknownKey(signer.kid().to_owned())
        );
    }
}
