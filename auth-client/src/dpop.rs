//! DPoP for services (RFC 9449): a key that binds this service's tokens, making a proof per
//! request ([`DpopKey`]), and the memory of proofs already seen by this process's verifier.

use crate::clock::{Clock, unix};
use auth_jose::dpop::{self, Request};
use auth_jose::{KeyMaterial, SigningAlgorithm};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

/// A key this service holds to bind its tokens (RFC 9449). Give it to
/// [`TokenSourceBuilder::dpop_key`](crate::TokenSourceBuilder::dpop_key); tokens then come
/// bound to it, and [`AccessToken::authorization`](crate::AccessToken::authorization) makes the
/// proof each call needs. Cheap to clone; the server's latest nonce is shared by the clones.
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<Inner>,
}

struct Inner {
    key: KeyMaterial,
    clock: Arc<dyn Clock>,
    /// The last `DPoP-Nonce` the authorization server sent.
    nonce: RwLock<Option<String>>,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("algorithm", &self.inner.key.algorithm())
            .field("jkt", &self.jkt())
            .finish_non_exhaustive()
    }
}

/// Why a DPoP key could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make a DPoP key: {0}")]
pub struct DpopKeyError(String);

impl DpopKey {
    /// A new key of `algorithm` (ES256 and EdDSA are fast; RSA keys take a moment), kept in
    /// memory only: a restart gets new tokens with a new key.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<Self, DpopKeyError> {
        let (key, _) =
            KeyMaterial::generate(algorithm, 2048).map_err(|e| DpopKeyError(e.to_string()))?;
        Ok(Self::from_key(key, Arc::new(crate::SystemClock)))
    }

    /// A key from its material, with `clock` for the proofs' `iat`.
    pub fn from_key(key: KeyMaterial, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                key,
                clock,
                nonce: RwLock::new(None),
            }),
        }
    }

    /// The thumbprint bound tokens carry in `cnf.jkt`.
    pub fn jkt(&self) -> &str {
        self.inner.key.kid()
    }

    /// A proof for `method` at `url`, for `access_token` when calling a resource.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        let request = Request {
            method,
            url,
            access_token,
        };
        let jti = uuid_like();
        let iat = unix(self.inner.clock.now());
        let nonce = self
            .inner
            .nonce
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        // Signing with a key that signed before only fails if the crypto library does.
        dpop::sign(&self.inner.key, &request, iat, &jti, nonce.as_deref()).unwrap_or_default()
    }

    /// Remembers the server's nonce for the next proofs.
    pub(crate) fn set_nonce(&self, nonce: &str) {
        *self
            .inner
            .nonce
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(nonce.to_owned());
    }
}

/// 128 random bits, base64url: a proof's `jti`.
fn uuid_like() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // Without randomness no proof is safe to send; a fixed jti is then refused as a replay.
        return "no-randomness".to_owned();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Proofs this process accepted, by key and `jti`, until they could no longer be accepted.
#[derive(Default)]
pub(crate) struct SeenProofs {
    seen: Mutex<HashMap<String, i64>>,
}

/// Proofs remembered at most; past it, the expired ones are dropped, and if none are, the
/// proof is refused (a flood of proofs cannot make the memory forget).
const MAX_SEEN: usize = 100_000;

impl SeenProofs {
    /// Records the proof `jkt`/`jti`, remembered until `until`; `false` when seen already (or
    /// the memory is full of live proofs).
    pub(crate) fn first_use(&self, jkt: &str, jti: &str, until: i64, now: i64) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = format!("{jkt}\0{jti}");
        if seen.get(&key).is_some_and(|until| *until >= now) {
            return false;
        }
        if seen.len() >= MAX_SEEN {
            seen.retain(|_, until| *until >= now);
            if seen.len() >= MAX_SEEN {
                return false;
            }
        }
        seen.insert(key, until);
        true
    }
}
