//! The key-encryption key (KEK): the one secret an operator must keep.
//!
//! It encrypts private signing keys and TOTP secrets at rest (AES-256-GCM) and derives the key of
//! the keyed hash under which random tokens are stored. Every replica of a deployment is given the
//! same KEK; a wrong one is detected at start-up because the stored keys fail to decrypt.

use crate::secrets::TokenHasher;
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;

/// Length of the KEK in bytes.
pub const KEK_LEN: usize = 32;

/// Why a KEK or a sealed value could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// The configured value is not base64 of 32 bytes.
    #[error(
        "the key-encryption key must be 32 bytes encoded in standard base64 (44 characters); got {0}"
    )]
    Malformed(&'static str),
    /// Decryption failed: the data was sealed under another KEK, or altered.
    #[error(
        "stored data cannot be decrypted with this key-encryption key (is it the key the data was written with?)"
    )]
    WrongKey,
    /// The crypto backend failed.
    #[error("the crypto backend failed")]
    Crypto,
}

/// The key-encryption key. Its `Debug` never shows the key.
pub struct KeyEncryptionKey {
    aead: RandomizedNonceKey,
    hash_key: hmac::Key,
}

impl KeyEncryptionKey {
    /// Parses a KEK from standard base64 (as written in the configuration).
    pub fn parse_base64(encoded: &str) -> Result<Self, KekError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| KekError::Malformed("text that is not base64"))?;
        let bytes: [u8; KEK_LEN] = bytes
            .try_into()
            .map_err(|_| KekError::Malformed("a value of the wrong length"))?;
        Self::from_bytes(&bytes)
    }

    /// A fresh random KEK and its base64 form, to be stored by the operator.
    pub fn generate() -> Result<(Self, String), KekError> {
        let mut bytes = [0u8; KEK_LEN];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KekError::Crypto)?;
        let encoded = STANDARD.encode(bytes);
        Ok((Self::from_bytes(&bytes)?, encoded))
    }

    fn from_bytes(bytes: &[u8; KEK_LEN]) -> Result<Self, KekError> {
        let aead = RandomizedNonceKey::new(&AES_256_GCM, bytes).map_err(|_| KekError::Crypto)?;
        // A PRF output under the KEK with a fixed label: a key for token hashing that is
        // independent of the encryption key.
        let derived = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, bytes),
            b"auth-core token hash v1",
        );
        let hash_key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());
        Ok(Self { aead, hash_key })
    }

    /// Encrypts `plaintext`, binding it to `context` (for example a key id), and returns
    /// nonce || ciphertext || tag.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KekError> {
        let mut in_out = plaintext.to_vec();
        let nonce = self
            .aead
            .seal_in_place_append_tag(Aad::from(context), &mut in_out)
            .map_err(|_| KekError::Crypto)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KekError> {
        if sealed.len() < NONCE_LEN {
            return Err(KekError::WrongKey);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::WrongKey)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = self
            .aead
            .open_in_place(nonce, Aad::from(context), &mut in_out)
            .map_err(|_| KekError::WrongKey)?;
        Ok(plaintext.to_vec())
    }

    /// The keyed hash for storing random tokens.
    pub fn token_hasher(&self) -> TokenHasher {
        TokenHasher::new(self.hash_key.clone())
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_with_the_same_key_and_context_only() {
        let (kek, _) = KeyEncryptionKey::generate().unwrap();
        let (other, _) = KeyEncryptionKey::generate().unwrap();
        let sealed = kek.seal(b"kid-1", b"private key").unwrap();
        assert_eq!(kek.open(b"kid-1", &sealed).unwrap(), b"private key");
        assert!(matches!(
            kek.open(b"kid-2", &sealed),
            Err(KekError::WrongKey)
        ));
        assert!(matches!(
            other.open(b"kid-1", &sealed),
            Err(KekError::WrongKey)
        ));
    }

    #[test]
    fn malformed_keys_are_refused_with_the_reason() {
        let err = KeyEncryptionKey::parse_base64("not base64!").unwrap_err();
        assert!(err.to_string().contains("not base64"));
        let err = KeyEncryptionKey::parse_base64("c2hvcnQ=").unwrap_err();
        assert!(err.to_string().contains("wrong length"));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let (kek, encoded) = KeyEncryptionKey::generate().unwrap();
        let shown = format!("{kek:?}");
        assert!(!shown.contains(&encoded));
        assert_eq!(shown, "KeyEncryptionKey(..)");
    }
}
