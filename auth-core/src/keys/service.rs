//! Loading, refreshing and rotating the key ring of a replica.

use super::ring::{KeyRing, SigningKey};
use crate::clock::Clock;
use crate::kek::{KekError, KeyEncryptionKey};
use crate::store::{Store, StoreError, StoredKey};
use auth_jose::{KeyMaterial, MaterialError, SigningAlgorithm};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How keys are made and rotated.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    /// Algorithm of new keys (the first key and every rotation). Keys already stored keep
    /// their own algorithm.
    pub algorithm: SigningAlgorithm,
    /// RSA modulus size of new RS256 keys; ignored for the other algorithms.
    pub rsa_bits: u32,
    /// How long a new key is published before it signs.
    pub publish_delay: Duration,
    /// How long a retired key stays published: the longest lifetime of a token it signed, plus
    /// leeway for clock skew.
    pub retired_key_lifetime: Duration,
}

/// When a rotated-in key starts signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// After the publish delay: the normal, zero-downtime rotation.
    AfterPublishDelay,
    /// At once: for a compromised key. Verifiers that cached the old JWK set fetch it again on
    /// the unknown `kid`.
    Immediately,
}

/// The outcome of a rotation.
#[derive(Debug, Clone)]
pub struct RotatedKey {
    /// The new key id.
    pub kid: String,
    /// Its generation.
    pub generation: i64,
    /// When it starts signing.
    pub activates_at: i64,
}

/// Why keys could not be loaded or rotated.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The stored private keys do not decrypt under the configured KEK.
    #[error(
        "signing key `{kid}` cannot be decrypted: the configured key-encryption key is not the one the keys were stored with"
    )]
    WrongKek {
        /// The key that failed.
        kid: String,
    },
    /// A stored key is damaged.
    #[error("signing key `{kid}` is unusable: {reason}")]
    Corrupt {
        /// The key.
        kid: String,
        /// Why.
        reason: String,
    },
    /// Another replica rotated at the same moment.
    #[error("another rotation happened at the same time; run it again if a further key is wanted")]
    ConcurrentRotation,
    /// No key signs right now.
    #[error("no signing key is active")]
    NoActiveKey,
    /// Key generation failed.
    #[error(transparent)]
    Material(#[from] MaterialError),
    /// Sealing failed.
    #[error(transparent)]
    Kek(KekError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key ring of this replica, kept in step with the database.
pub struct KeyService {
    store: Arc<dyn Store>,
    kek: Arc<KeyEncryptionKey>,
    clock: Arc<dyn Clock>,
    policy: KeyPolicy,
    ring: RwLock<Arc<KeyRing>>,
    /// When the ring was last read. Held for the whole of a reload, so callers that find the
    /// ring stale at the same moment wait for one reload instead of each starting their own.
    last_refresh: Mutex<Option<Instant>>,
    reloads: AtomicU64,
}

impl std::fmt::Debug for KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl KeyService {
    /// Loads the keys; on an empty database, creates the first one.
    pub async fn open(
        store: Arc<dyn Store>,
        kek: Arc<KeyEncryptionKey>,
        clock: Arc<dyn Clock>,
        policy: KeyPolicy,
    ) -> Result<Self, KeyError> {
        let service = Self {
            store,
            kek,
            clock,
            policy,
            ring: RwLock::new(Arc::new(KeyRing::default())),
            last_refresh: Mutex::new(None),
            reloads: AtomicU64::new(0),
        };
        service.refresh().await?;
        if service.ring().is_empty() {
            match service.add_key(1, Activation::Immediately).await {
                // Another replica created the first key at the same moment: use theirs.
                Ok(_) | Err(KeyError::ConcurrentRotation) => service.refresh().await?,
                Err(e) => return Err(e),
            }
        }
        let configured = service.policy.algorithm;
        if let Some(key) = service.ring().signing_key(service.clock.unix())
            && key.material.algorithm() != configured
        {
            // Changing the algorithm takes a rotation, so tokens of the old key keep verifying.
            tracing::warn!(
                kid = %key.kid(),
                signing = %key.material.algorithm(),
                configured = %configured,
                "the signing key's algorithm is not keys.algorithm; run `auth-server keys rotate` to switch"
            );
        }
        Ok(service)
    }

    /// The current ring.
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The policy keys are made with.
    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }

    /// How many times this replica has read the keys from the database.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Re-reads the keys from the database, so this replica sees rotations made by others.
    /// Keys already known are not decrypted again.
    pub async fn refresh(&self) -> Result<(), KeyError> {
        let mut last = self.last_refresh.lock().await;
        self.reload().await?;
        *last = Some(Instant::now());
        Ok(())
    }

    /// Refreshes when a token names a key this replica does not know, at most once per
    /// `min_interval`, so a flood of forged `kid`s cannot hammer the database. Single flight:
    /// requests arriving during a reload wait for it and then find the ring fresh.
    pub async fn refresh_for_unknown_kid(&self, min_interval: Duration) -> Result<(), KeyError> {
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < min_interval) {
            return Ok(());
        }
        self.reload().await?;
        *last = Some(Instant::now());
        Ok(())
    }

    /// Reads the keys; the caller holds `last_refresh`.
    async fn reload(&self) -> Result<(), KeyError> {
        let stored = self.store.signing_keys().await?;
        self.reloads.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("auth_signing_key_reloads_total").increment(1);
        let current = self.ring();
        let mut keys = Vec::with_capacity(stored.len());
        for record in stored {
            let material = match current.get(&record.kid) {
                Some(known) => known.material.clone(),
                None => Arc::new(self.open_material(&record)?),
            };
            keys.push(SigningKey {
                generation: record.generation,
                activates_at: record.activates_at,
                retires_at: record.retires_at,
                expires_at: record.expires_at,
                material,
            });
        }
        *self
            .ring
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(KeyRing::new(keys));
        Ok(())
    }

    /// Adds a new key. With [`Activation::AfterPublishDelay`] it signs once the publish delay
    /// has passed; until then the current key keeps signing.
    pub async fn rotate(&self, activation: Activation) -> Result<RotatedKey, KeyError> {
        self.refresh().await?;
        let generation = self.ring().latest_generation() + 1;
        let rotated = self.add_key(generation, activation).await?;
        self.store.delete_expired_keys(self.clock.unix()).await?;
        self.refresh().await?;
        Ok(rotated)
    }

    async fn add_key(
        &self,
        generation: i64,
        activation: Activation,
    ) -> Result<RotatedKey, KeyError> {
        let (algorithm, bits) = (self.policy.algorithm, self.policy.rsa_bits);
        let (material, pkcs8) = tokio::task::spawn_blocking(move || {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            KeyMaterial::generate_racing(algorithm, bits, cores)
        })
        .await
        .map_err(|_| MaterialError::Crypto("generate a key (task failed)"))??;
        let now = self.clock.unix();
        let activates_at = match activation {
            Activation::Immediately => now,
            Activation::AfterPublishDelay => now + secs(self.policy.publish_delay),
        };
        let kid = material.kid().to_owned();
        let sealed = self
            .kek
            .seal(kid.as_bytes(), &pkcs8)
            .map_err(KeyError::Kek)?;
        let public_jwk = serde_json::to_string(material.jwk()).map_err(|e| KeyError::Corrupt {
            kid: kid.clone(),
            reason: e.to_string(),
        })?;
        let record = StoredKey {
            kid: kid.clone(),
            alg: algorithm.as_str().to_owned(),
            generation,
            public_jwk,
            sealed_private_key: sealed,
            created_at: now,
            activates_at,
            retires_at: None,
            expires_at: None,
        };
        let expire_at = activates_at + secs(self.policy.retired_key_lifetime);
        match self.store.rotate_signing_key(&record, expire_at).await {
            Ok(()) => Ok(RotatedKey {
                kid,
                generation,
                activates_at,
            }),
            Err(StoreError::Conflict(_)) => Err(KeyError::ConcurrentRotation),
            Err(e) => Err(e.into()),
        }
    }

    fn open_material(&self, record: &StoredKey) -> Result<KeyMaterial, KeyError> {
        let corrupt = |reason: String| KeyError::Corrupt {
            kid: record.kid.clone(),
            reason,
        };
        let algorithm = SigningAlgorithm::parse(&record.alg)
            .ok_or_else(|| corrupt(format!("unknown algorithm `{}`", record.alg)))?;
        let pkcs8 = self
            .kek
            .open(record.kid.as_bytes(), &record.sealed_private_key)
            .map_err(|e| match e {
                KekError::WrongKey => KeyError::WrongKek {
                    kid: record.kid.clone(),
                },
                other => corrupt(other.to_string()),
            })?;
        let material = KeyMaterial::from_pkcs8(algorithm, &pkcs8)?;
        if material.kid() != record.kid {
            return Err(corrupt("the private key does not match its key id".into()));
        }
        Ok(material)
    }
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
