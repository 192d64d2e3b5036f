//! The set of keys a replica knows, and which of them signs and which are published at a time.
//!
//! Keys of different algorithms may sit in one ring: after a rotation from RS256 to ES256 the
//! retired RSA key stays published, and its tokens keep verifying, while the EC key signs. Each
//! token names its key by `kid`, and the key decides the algorithm.

use super::material::{KeyMaterial, SigningAlgorithm};
use auth_proto::jwk::JwkSet;
use std::sync::Arc;

/// A key with its timeline.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// Monotonic generation number.
    pub generation: i64,
    /// From when it signs.
    pub activates_at: i64,
    /// From when it no longer signs.
    pub retires_at: Option<i64>,
    /// From when it is no longer published nor accepted.
    pub expires_at: Option<i64>,
    /// The key itself, shared between successive rings.
    pub material: Arc<KeyMaterial>,
}

impl SigningKey {
    /// The key id.
    pub fn kid(&self) -> &str {
        self.material.kid()
    }

    /// Whether the key signs new tokens at `now`.
    pub fn signs_at(&self, now: i64) -> bool {
        self.activates_at <= now && self.retires_at.is_none_or(|retires| now < retires)
    }

    /// Whether the key is published (and accepted for verification) at `now`.
    pub fn published_at(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// The keys of a deployment, newest generation first.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
}

impl KeyRing {
    /// A ring of `keys` (any order).
    pub fn new(mut keys: Vec<SigningKey>) -> Self {
        keys.sort_by_key(|k| std::cmp::Reverse(k.generation));
        Self { keys }
    }

    /// The key that signs at `now`: the newest active one.
    pub fn signing_key(&self, now: i64) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.signs_at(now))
    }

    /// The published key with this id.
    pub fn verifying_key(&self, kid: &str, now: i64) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.kid() == kid && k.published_at(now))
    }

    /// Any known key with this id, published or not.
    pub fn get(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// The JWK set at `now`: every key not yet expired, including keys that do not sign yet.
    pub fn jwks(&self, now: i64) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .filter(|k| k.published_at(now))
                .map(|k| k.material.jwk().clone())
                .collect(),
        }
    }

    /// The algorithms of the keys published at `now`, newest key first, each once: what ID
    /// tokens from this ring may be signed with, now or until those keys expire.
    pub fn published_algorithms(&self, now: i64) -> Vec<SigningAlgorithm> {
        let mut algorithms = Vec::new();
        for key in self.keys.iter().filter(|k| k.published_at(now)) {
            let algorithm = key.material.algorithm();
            if !algorithms.contains(&algorithm) {
                algorithms.push(algorithm);
            }
        }
        algorithms
    }

    /// The highest generation known (0 when empty).
    pub fn latest_generation(&self) -> i64 {
        self.keys.first().map_or(0, |k| k.generation)
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All keys, newest first.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }
}
