//! The set of keys a replica knows, and which of them signs and which are published at a time.
//!
//! Keys of different algorithms may sit in one ring: after a rotation from RS256 to ES256 the
//! retired RSA key stays published, and its tokens keep verifying, while the EC key signs. Each
//! token names its key by `kid`, and the key decides the algorithm.

use auth_jose::{JwkSet, KeyMaterial, SigningAlgorithm};
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

    /// When the set of keys published at `now` next changes: the earliest expiry after `now`,
    /// or `None` when no published key expires. Documents rendered from the published keys
    /// (the JWK set, the algorithms in discovery) stay true until then, or until the ring is
    /// replaced.
    pub fn published_until(&self, now: i64) -> Option<i64> {
        self.keys
            .iter()
            .filter_map(|k| k.expires_at)
            .filter(|&expires| expires > now)
            .min()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(generation: i64, expires_at: Option<i64>) -> SigningKey {
        let (material, _) = KeyMaterial::generate(SigningAlgorithm::EdDsa, 0).unwrap();
        SigningKey {
            generation,
            activates_at: 0,
            retires_at: expires_at.map(|e| e - 10),
            expires_at,
            material: Arc::new(material),
        }
    }

    #[test]
    fn the_published_set_changes_at_the_next_expiry_only() {
        let ring = KeyRing::new(vec![key(1, Some(100)), key(2, Some(200)), key(3, None)]);
        assert_eq!(ring.published_until(0), Some(100));
        assert_eq!(ring.jwks(99).keys.len(), 3);
        // At the expiry itself the key is gone; the next change is the other expiry.
        assert_eq!(ring.published_until(100), Some(200));
        assert_eq!(ring.jwks(100).keys.len(), 2);
        assert_eq!(ring.published_until(200), None);
        assert_eq!(ring.jwks(200).keys.len(), 1);
        assert_eq!(KeyRing::new(vec![key(1, None)]).published_until(0), None);
    }
}
