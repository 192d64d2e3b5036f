//! A client's public keys as it registered them (its `jwks`, or the document at its `jwks_uri`,
//! RFC 7591 section 2), parsed for verifying what the client signs: `private_key_jwt`
//! assertions (RFC 7523) and request objects (RFC 9101).
//!
//! Clients publish keys the way their libraries export them, so this is more lenient than the
//! issuer's own JWKS: `kid`, `use` and `alg` may be missing. A key without `alg` is used with
//! every algorithm its type allows (an RSA key with RS256 and PS256); a key whose `use` is not
//! `sig` is left out; a token whose header names no `kid` is tried against each key of its
//! algorithm. A set holding private key material is refused whole: the client has published
//! its secret and must be told.

use crate::jws::{JwsError, Rules, Unverified, Verified};
use crate::{Jwk, PublicKey, SigningAlgorithm};
use serde::Deserialize;

/// Members that only a private (or symmetric) key has (RFC 7518 section 6).
const PRIVATE_MEMBERS: [&str; 9] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];

/// Most keys a client may register: a token without `kid` is tried against each key of its
/// algorithm, so the set bounds the work one token can cause.
pub const MAX_CLIENT_KEYS: usize = 10;

/// Largest RSA modulus accepted from clients, in bytes (4096 bits): a larger key costs more to
/// verify with and adds no security a client needs.
const MAX_RSA_MODULUS_BYTES: usize = 512;

/// Why a client's key set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientKeysError {
    /// Not a JWK set.
    #[error("jwks must be a JSON object with a `keys` array of JWKs")]
    NotASet,
    /// A key holds private or symmetric key material.
    #[error("key {0} of jwks holds private key material: register public keys only")]
    Private(usize),
    /// A key meant for signing that cannot be used.
    #[error("key {index} of jwks is not a usable signing key: {reason}")]
    Unusable {
        /// Position of the key in the set.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Two keys share a `kid`.
    #[error("two keys of jwks have the kid `{0}`")]
    DuplicateKid(String),
    /// No key verifies anything.
    #[error(
        "jwks holds no signing key (RSA, EC P-256 or Ed25519 with RS256, PS256, ES256 or EdDSA)"
    )]
    Empty,
    /// Too many keys.
    #[error("jwks holds more than {MAX_CLIENT_KEYS} keys")]
    TooMany,
}

/// One published key as a client library may export it.
#[derive(Deserialize)]
struct LooseJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// A verification key with the `kid` it was published under, if any.
#[derive(Debug)]
struct ClientKey {
    kid: Option<String>,
    key: PublicKey,
}

/// A client's keys, parsed once.
#[derive(Debug, Default)]
pub struct ClientKeys {
    keys: Vec<ClientKey>,
}

impl ClientKeys {
    /// Parses a JWK set a client registered or published.
    pub fn parse(jwks: &serde_json::Value) -> Result<Self, ClientKeysError> {
        let list = jwks
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or(ClientKeysError::NotASet)?;
        if list.len() > MAX_CLIENT_KEYS {
            return Err(ClientKeysError::TooMany);
        }
        let mut keys: Vec<ClientKey> = Vec::new();
        for (index, value) in list.iter().enumerate() {
            let object = value.as_object().ok_or(ClientKeysError::NotASet)?;
            if PRIVATE_MEMBERS.iter().any(|m| object.contains_key(*m)) {
                return Err(ClientKeysError::Private(index));
            }
            let unusable = |reason: &str| ClientKeysError::Unusable {
                index,
                reason: reason.to_owned(),
            };
            let jwk: LooseJwk = serde_json::from_value(value.clone())
                .map_err(|_| unusable("its members are not JWK strings"))?;
            // RFC 7517 section 4.2: a key for another use (encryption) is not ours to use.
            if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            let algorithms = match jwk.alg.as_deref() {
                Some(name) => vec![
                    SigningAlgorithm::parse(name)
                        .ok_or_else(|| unusable("its alg is not RS256, PS256, ES256 or EdDSA"))?,
                ],
                None => match (jwk.kty.as_str(), jwk.crv.as_deref()) {
                    ("RSA", _) => vec![SigningAlgorithm::Rs256, SigningAlgorithm::Ps256],
                    ("EC", Some("P-256")) => vec![SigningAlgorithm::Es256],
                    ("OKP", Some("Ed25519")) => vec![SigningAlgorithm::EdDsa],
                    // A key of a type or curve this server does not verify with (P-384, X25519)
                    // may sit in a set for other servers.
                    _ => continue,
                },
            };
            if jwk.kty == "RSA"
                && jwk.n.as_deref().is_some_and(|n| {
                    base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, n)
                        .map_or(true, |n| {
                            n.iter().skip_while(|b| **b == 0).count() > MAX_RSA_MODULUS_BYTES
                        })
                })
            {
                return Err(unusable("RSA keys of more than 4096 bits are not accepted"));
            }
            if let Some(kid) = jwk.kid.as_deref().filter(|kid| !kid.is_empty())
                && keys.iter().any(|k| k.kid.as_deref() == Some(kid))
            {
                return Err(ClientKeysError::DuplicateKid(kid.to_owned()));
            }
            for algorithm in algorithms {
                let strict = Jwk {
                    kty: jwk.kty.clone(),
                    kid: jwk.kid.clone().unwrap_or_default(),
                    use_: "sig".into(),
                    alg: algorithm.as_str().into(),
                    n: jwk.n.clone(),
                    e: jwk.e.clone(),
                    crv: jwk.crv.clone(),
                    x: jwk.x.clone(),
                    y: jwk.y.clone(),
                };
                let key = PublicKey::from_jwk(&strict).map_err(|e| unusable(&e.to_string()))?;
                keys.push(ClientKey {
                    kid: jwk.kid.clone().filter(|kid| !kid.is_empty()),
                    key,
                });
            }
        }
        if keys.is_empty() {
            return Err(ClientKeysError::Empty);
        }
        Ok(Self { keys })
    }

    /// Whether a key has this `kid`.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// The algorithms the keys verify.
    pub fn algorithms(&self) -> Vec<SigningAlgorithm> {
        let mut algorithms: Vec<SigningAlgorithm> = Vec::new();
        for key in &self.keys {
            if !algorithms.contains(&key.key.algorithm()) {
                algorithms.push(key.key.algorithm());
            }
        }
        algorithms
    }

    /// Verifies a compact JWS the client signed: the header under `rules`, then the signature
    /// with the key its `kid` names, or, without a `kid`, with any key of the header's
    /// algorithm.
    pub fn verify(&self, token: &str, rules: &Rules<'_>) -> Result<Verified, JwsError> {
        let unverified = Unverified::parse(token, rules)?;
        let kid = unverified.kid();
        let mut candidates = self
            .keys
            .iter()
            .filter(|k| kid.is_empty() || k.kid.as_deref() == Some(kid))
            .peekable();
        if candidates.peek().is_none() {
            return Err(JwsError::UnknownKey(kid.to_owned()));
        }
        let mut last = JwsError::UnknownKey(kid.to_owned());
        for candidate in candidates {
            // A key of another algorithm is refused before its signature is checked; with a
            // `kid`, that is the answer (algorithm confusion), without one, the next key is tried.
            match unverified.verify(&candidate.key) {
                Ok(payload) => {
                    return Ok(Verified {
                        header: unverified.header(),
                        payload,
                    });
                }
                Err(JwsError::AlgorithmMismatch { .. }) if kid.is_empty() => {}
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyMaterial;
    use crate::jws::{Typ, sign};
    use serde_json::json;

    const CLIENT: Rules<'static> = Rules {
        algorithms: &SigningAlgorithm::FROM_CLIENTS,
        typ: Typ::Any,
        require_kid: false,
    };

    fn exported(key: &KeyMaterial, keep_kid: bool, keep_alg: bool) -> serde_json::Value {
        let mut jwk = serde_json::to_value(key.jwk()).unwrap();
        let object = jwk.as_object_mut().unwrap();
        object.remove("use");
        if !keep_kid {
            object.remove("kid");
        }
        if !keep_alg {
            object.remove("alg");
        }
        jwk
    }

    /// A token signed by `key` whose header names no `kid`.
    fn without_kid(key: &KeyMaterial) -> String {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = json!({"alg": key.algorithm().as_str(), "typ": "JWT"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(json!({"iss": "c"}).to_string())
        );
        let signature = key.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn keys_as_libraries_export_them_verify_with_and_without_a_kid() {
        for algorithm in SigningAlgorithm::FROM_CLIENTS {
            let (key, _) = KeyMaterial::generate(algorithm, 2048).unwrap();
            let keys = ClientKeys::parse(&json!({"keys": [exported(&key, true, false)]})).unwrap();
            let token = sign(&key, "JWT", &json!({"iss": "c"})).unwrap();
            assert!(keys.verify(&token, &CLIENT).is_ok(), "{algorithm} by kid");
            assert!(
                keys.verify(&without_kid(&key), &CLIENT).is_ok(),
                "{algorithm} without kid"
            );
            let (other, _) = KeyMaterial::generate(algorithm, 2048).unwrap();
            assert_eq!(
                keys.verify(&without_kid(&other), &CLIENT).unwrap_err(),
                JwsError::BadSignature,
                "{algorithm}: another key's signature"
            );
            assert!(matches!(
                keys.verify(&sign(&other, "JWT", &json!({})).unwrap(), &CLIENT),
                Err(JwsError::UnknownKey(_))
            ));
        }
    }

    #[test]
    fn a_key_with_an_alg_verifies_only_that_algorithm() {
        let (ps256, _) = KeyMaterial::generate(SigningAlgorithm::Ps256, 2048).unwrap();
        let keys = ClientKeys::parse(&json!({"keys": [exported(&ps256, false, true)]})).unwrap();
        assert_eq!(keys.algorithms(), vec![SigningAlgorithm::Ps256]);
        assert!(keys.verify(&without_kid(&ps256), &CLIENT).is_ok());
        // The same RSA key's RS256 signature: the key is registered for PS256 only.
        let rs256 = KeyMaterial::from_pkcs8(
            SigningAlgorithm::Rs256,
            &KeyMaterial::generate(SigningAlgorithm::Rs256, 2048)
                .unwrap()
                .1,
        )
        .unwrap();
        assert!(keys.verify(&without_kid(&rs256), &CLIENT).is_err());
    }

    #[test]
    fn private_material_unknown_algorithms_and_empty_sets_are_refused() {
        let (key, _) = KeyMaterial::generate(SigningAlgorithm::Es256, 0).unwrap();
        let mut private = exported(&key, true, true);
        private["d"] = json!("AAAA");
        assert_eq!(
            ClientKeys::parse(&json!({"keys": [private]})).unwrap_err(),
            ClientKeysError::Private(0)
        );
        let mut hmac = exported(&key, true, true);
        hmac["alg"] = json!("HS256");
        assert!(matches!(
            ClientKeys::parse(&json!({"keys": [hmac]})),
            Err(ClientKeysError::Unusable { index: 0, .. })
        ));
        let mut encryption = exported(&key, true, true);
        encryption["use"] = json!("enc");
        assert_eq!(
            ClientKeys::parse(&json!({"keys": [encryption]})).unwrap_err(),
            ClientKeysError::Empty
        );
        assert_eq!(
            ClientKeys::parse(&json!({"keys": "x"})).unwrap_err(),
            ClientKeysError::NotASet
        );
        // An RSA modulus over 4096 bits: refused before any key is parsed.
        let huge = json!({"kty": "RSA", "n": base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD, [0xffu8; 513]), "e": "AQAB"});
        assert!(matches!(
            ClientKeys::parse(&json!({"keys": [huge]})),
            Err(ClientKeysError::Unusable { index: 0, .. })
        ));
        let many: Vec<_> = (0..=MAX_CLIENT_KEYS)
            .map(|_| exported(&key, false, true))
            .collect();
        assert_eq!(
            ClientKeys::parse(&json!({"keys": many})).unwrap_err(),
            ClientKeysError::TooMany
        );
        let twice = exported(&key, true, true);
        assert!(matches!(
            ClientKeys::parse(&json!({"keys": [twice.clone(), twice]})),
            Err(ClientKeysError::DuplicateKid(_))
        ));
    }
}
