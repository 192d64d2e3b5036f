//! `[keys]`: the key-encryption key and the signing keys' algorithm, size and rotation timing.

use super::secret::Secret;
use anyhow::bail;
use auth_core::keys::{KeyPolicy, SigningAlgorithm};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// `[keys]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// The key-encryption key: 32 bytes in standard base64.
    pub encryption_key: Option<Secret>,
    /// A file holding the key-encryption key, used when `encryption_key` is not set. Created on
    /// first start when the database holds no keys yet.
    pub encryption_key_file: PathBuf,
    /// Signing algorithm of new keys: `RS256`, `ES256` or `EdDSA` (case-sensitive). Stored
    /// keys keep theirs; a change takes effect with the next rotation.
    #[serde(with = "AlgorithmName")]
    pub algorithm: SigningAlgorithm,
    /// RSA modulus size of new RS256 keys (ignored for the other algorithms).
    pub rsa_bits: u32,
    /// Seconds a new key is published before it signs.
    pub publish_delay_secs: u64,
    /// Seconds between re-reads of the key set (to follow rotations made by other replicas).
    pub refresh_interval_secs: u64,
}

/// The names `keys.algorithm` accepts: the JWS `alg` names (RFC 7518 section 3.1), in the order
/// an error lists them.
#[derive(Serialize, Deserialize)]
#[serde(remote = "SigningAlgorithm")]
enum AlgorithmName {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// Accepted from clients only; the server's own keys never use it.
    #[serde(rename = "PS256", skip_deserializing)]
    Ps256,
}

impl Default for KeysConfig {
    fn default() -> Self {
        Self {
            encryption_key: None,
            encryption_key_file: PathBuf::from("data/kek.key"),
            algorithm: SigningAlgorithm::Rs256,
            rsa_bits: 2048,
            publish_delay_secs: 300,
            refresh_interval_secs: 60,
        }
    }
}

impl KeysConfig {
    /// The policy for new keys; a retired key stays published while the longest-lived token
    /// it signed (`longest_token`) may still be presented.
    pub(super) fn policy(&self, longest_token: Duration) -> anyhow::Result<KeyPolicy> {
        if self.algorithm == SigningAlgorithm::Rs256 && !matches!(self.rsa_bits, 2048 | 3072 | 4096)
        {
            bail!(
                "keys.rsa_bits must be 2048, 3072 or 4096; got {}",
                self.rsa_bits
            );
        }
        if self.refresh_interval_secs == 0 {
            bail!("keys.refresh_interval_secs must be at least 1");
        }
        Ok(KeyPolicy {
            algorithm: self.algorithm,
            rsa_bits: self.rsa_bits,
            publish_delay: Duration::from_secs(self.publish_delay_secs),
            // A retired key verifies every token it signed, plus a minute for clock skew.
            retired_key_lifetime: longest_token + Duration::from_secs(60),
        })
    }
}
