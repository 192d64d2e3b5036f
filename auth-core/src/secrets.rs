//! Random tokens and how they are stored.
//!
//! Every token this server hands out (client secrets, refresh tokens, codes, registration access
//! tokens) is 256 random bits with a recognisable prefix, so secret scanners can spot a leaked
//! one. Only a keyed hash of it is stored ([`TokenHasher`]); a fast hash is right for
//! high-entropy random values (argon2 is for passwords). Comparisons are constant-time.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Random bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system RNG failing is unrecoverable: there is no safe fallback for key material.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator failed");
    bytes
}

/// A new random token: `prefix` followed by 256 bits in base64url.
pub fn new_token(prefix: &str) -> SecretString {
    let mut token = String::with_capacity(prefix.len() + 43);
    token.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(random_bytes::<32>(), &mut token);
    SecretString::from(token)
}

/// A random identifier (not a secret): 128 bits in base64url.
pub fn new_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// The stored form of a token: HMAC-SHA256 under a key derived from the KEK.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash bytes, as stored.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Rebuilds a hash read from storage; `None` when the length is wrong.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// Hashes tokens for storage and lookup.
#[derive(Clone)]
pub struct TokenHasher {
    key: hmac::Key,
}

impl TokenHasher {
    pub(crate) fn new(key: hmac::Key) -> Self {
        Self { key }
    }

    /// The stored form of `token`.
    pub fn hash(&self, token: &str) -> TokenHash {
        let tag = hmac::sign(&self.key, token.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        TokenHash(out)
    }

    /// Whether `presented` hashes to `stored`, in constant time.
    pub fn verify(&self, presented: &SecretString, stored: &TokenHash) -> bool {
        self.hash(presented.expose_secret()).ct_eq(stored)
    }
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kek::KeyEncryptionKey;

    #[test]
    fn tokens_carry_their_prefix_and_256_bits() {
        let token = new_token("cs_");
        let token = token.expose_secret();
        assert!(token.starts_with("cs_"));
        assert_eq!(token.len(), 3 + 43);
        assert_ne!(new_token("cs_").expose_secret(), token);
    }

    #[test]
    fn a_hash_verifies_only_its_own_token_and_only_under_its_key() {
        let (kek, _) = KeyEncryptionKey::generate().unwrap();
        let (other_kek, _) = KeyEncryptionKey::generate().unwrap();
        let hasher = kek.token_hasher();
        let token = new_token("rt_");
        let stored = hasher.hash(token.expose_secret());
        assert!(hasher.verify(&token, &stored));
        assert!(!hasher.verify(&new_token("rt_"), &stored));
        assert!(!other_kek.token_hasher().verify(&token, &stored));
    }
}
