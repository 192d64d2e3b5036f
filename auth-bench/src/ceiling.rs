//! The crypto ceilings: aws-lc-rs signing and verifying a JWT-sized message with a fresh key of
//! the benchmark's algorithm, and argon2id hashing a password at the server's parameters, on
//! as many threads as there are cores. Nothing that signs or verifies tokens, or checks
//! passwords, can beat these on this machine.

use crate::cli::Algorithm;
use crate::load::{Measured, drive_threads};
use anyhow::anyhow;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, VerificationAlgorithm};
use std::time::Duration;

/// About the size of an access token's signing input (base64url header and claims).
const MESSAGE_LEN: usize = 380;

enum Signer {
    Rsa(signature::RsaKeyPair),
    Ecdsa(signature::EcdsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
}

struct Key {
    signer: Signer,
    verification: &'static dyn VerificationAlgorithm,
    rng: SystemRandom,
}

impl Key {
    fn generate(algorithm: Algorithm) -> anyhow::Result<Self> {
        let failed = |_| anyhow!("cannot generate a {} key", algorithm.jose());
        Ok(match algorithm {
            Algorithm::Rs256 => Self {
                signer: Signer::Rsa(
                    signature::RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?,
                ),
                verification: &signature::RSA_PKCS1_2048_8192_SHA256,
                rng: SystemRandom::new(),
            },
            Algorithm::Es256 => Self {
                signer: Signer::Ecdsa(
                    signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                        .map_err(failed)?,
                ),
                verification: &signature::ECDSA_P256_SHA256_FIXED,
                rng: SystemRandom::new(),
            },
            Algorithm::EdDsa => Self {
                signer: Signer::Ed25519(signature::Ed25519KeyPair::generate().map_err(failed)?),
                verification: &signature::ED25519,
                rng: SystemRandom::new(),
            },
        })
    }

    fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let failed = |_| anyhow!("signing failed");
        Ok(match &self.signer {
            Signer::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    message,
                    &mut signature,
                )
                .map_err(failed)?;
                signature
            }
            Signer::Ecdsa(key) => key
                .sign(&self.rng, message)
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Signer::Ed25519(key) => key.sign(message).as_ref().to_vec(),
        })
    }

    fn public_key(&self) -> anyhow::Result<ParsedPublicKey> {
        let bytes = match &self.signer {
            Signer::Rsa(key) => key.public_key().as_ref().to_vec(),
            Signer::Ecdsa(key) => key.public_key().as_ref().to_vec(),
            Signer::Ed25519(key) => key.public_key().as_ref().to_vec(),
        };
        ParsedPublicKey::new(self.verification, bytes).map_err(|_| anyhow!("bad public key"))
    }
}

/// Signatures per second.
pub fn sign(algorithm: Algorithm, threads: usize, duration: Duration) -> anyhow::Result<Measured> {
    Signing::new(algorithm)?.run(threads, duration)
}

/// Verifications per second.
pub fn verify(
    algorithm: Algorithm,
    threads: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    Verifying::new(algorithm)?.run(threads, duration)
}

/// The signing ceiling with its key made, so turns of it measure signing alone.
pub struct Signing {
    key: Key,
    message: Vec<u8>,
}

impl Signing {
    pub fn new(algorithm: Algorithm) -> anyhow::Result<Self> {
        Ok(Self {
            key: Key::generate(algorithm)?,
            message: vec![b'e'; MESSAGE_LEN],
        })
    }

    /// Signatures per second on `threads` threads.
    pub fn run(&self, threads: usize, duration: Duration) -> anyhow::Result<Measured> {
        drive_threads(threads, duration, || self.key.sign(&self.message).map(drop))
    }
}

/// The verification ceiling with its key made and its signature computed, so turns of it
/// measure verifying alone.
pub struct Verifying {
    public: ParsedPublicKey,
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl Verifying {
    pub fn new(algorithm: Algorithm) -> anyhow::Result<Self> {
        let key = Key::generate(algorithm)?;
        let message = vec![b'e'; MESSAGE_LEN];
        let signature = key.sign(&message)?;
        Ok(Self {
            public: key.public_key()?,
            message,
            signature,
        })
    }

    /// Verifications per second on `threads` threads.
    pub fn run(&self, threads: usize, duration: Duration) -> anyhow::Result<Measured> {
        drive_threads(threads, duration, || {
            self.public
                .verify_sig(&self.message, &self.signature)
                .map_err(|_| "verification failed")
        })
    }
}

/// Password hashes per second on `threads` threads, at the server's argon2id parameters
/// (`auth_core::users::password`: m = 19 MiB, t = 2, p = 1), at normal priority.
pub fn hashes(threads: usize, duration: Duration) -> anyhow::Result<Measured> {
    drive_threads(threads, duration, || {
        auth_core::users::password::hash_on_this_thread(b"bench-password-Zq7vX2").map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_what_it_verifies() {
        for algorithm in [Algorithm::Rs256, Algorithm::Es256, Algorithm::EdDsa] {
            let key = Key::generate(algorithm).unwrap();
            let signature = key.sign(b"message").unwrap();
            key.public_key()
                .unwrap()
                .verify_sig(b"message", &signature)
                .unwrap();
        }
    }
}
